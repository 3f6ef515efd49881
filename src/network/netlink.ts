/**
 * rtnetlink requests, byte for byte (rtnetlink(7), netlink(7);
 * linux/rtnetlink.h, if_link.h, veth.h): what `ip link add ... type veth
 * peer ...`, `ip addr add` and `ip route add` send. Pure: the socket is
 * native/netlink.c's.
 *
 *   nlmsghdr  u32 len, u16 type, u16 flags, u32 seq, u32 pid      16 bytes
 *   ifinfomsg u8 family, u8 pad, u16 type, i32 index, u32 flags, u32 change
 *   ifaddrmsg u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index
 *   rtmsg     u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags
 *   rtattr    u16 len, u16 type, data, padded to 4 bytes
 */
import { parseIp } from './ipv4.js'

const RTM_NEWLINK = 16
const RTM_DELLINK = 17
const RTM_GETLINK = 18
const RTM_SETLINK = 19
const RTM_NEWADDR = 20
const RTM_NEWROUTE = 24

const NLM_F_REQUEST = 0x1
const NLM_F_ACK = 0x4
const NLM_F_EXCL = 0x200
const NLM_F_CREATE = 0x400

const AF_INET = 2
const AF_BRIDGE = 7
const IFF_UP = 0x1

const IFLA_ADDRESS = 1
const IFLA_IFNAME = 3
const IFLA_LINK = 5
const IFLA_MASTER = 10
const IFLA_PROTINFO = 12
const IFLA_LINKINFO = 18
const NLA_F_NESTED = 0x8000
const IFLA_BRPORT_MODE = 4
const IFLA_NET_NS_FD = 28
const IFLA_INFO_KIND = 1
const IFLA_INFO_DATA = 2
const VETH_INFO_PEER = 1
const IFA_ADDRESS = 1
const IFA_LOCAL = 2
const IFA_BROADCAST = 4
const RTA_GATEWAY = 5
const RTA_OIF = 4
const RT_TABLE_MAIN = 254
const RTPROT_BOOT = 3
const RT_SCOPE_UNIVERSE = 0
const RTN_UNICAST = 1

let seq = 0

/**
 * A request written in place: one DataView over a zeroed buffer, lengths
 * filled in when an attribute closes. Not Buffer's writers and concat: in
 * a process that starts once per container their first calls cost more
 * than the five requests' syscalls (1.5 ms, profiled).
 */
class Request {
  private readonly view = new DataView(new ArrayBuffer(512))
  private at = 16

  constructor(type: number, flags: number) {
    this.view.setUint16(4, type, true)
    this.view.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | flags, true)
    this.view.setUint32(8, (seq = (seq + 1) >>> 0), true)
  }

  u8(n: number): this {
    this.view.setUint8(this.at, n)
    this.at += 1
    return this
  }
  u16(n: number): this {
    this.view.setUint16(this.at, n, true)
    this.at += 2
    return this
  }
  u32(n: number): this {
    this.view.setUint32(this.at, n >>> 0, true)
    this.at += 4
    return this
  }
  /** An IPv4 address, in network byte order. */
  ip(ip: string | number): this {
    this.view.setUint32(this.at, (typeof ip === 'string' ? parseIp(ip) : ip) >>> 0, false)
    this.at += 4
    return this
  }
  str(s: string): this {
    const v = this.view
    for (let i = 0; i < s.length; i++) v.setUint8(this.at + i, s.charCodeAt(i))
    this.at += s.length + 1 // the NUL: the buffer is zeroed
    return this
  }
  mac(text: string): this {
    for (const x of text.split(':')) this.u8(parseInt(x, 16))
    return this
  }
  ifinfomsg(index = 0, up = false, family = 0): this {
    // family AF_UNSPEC (0) unless given, and type 0: the buffer is zeroed
    this.view.setUint8(this.at, family)
    this.view.setInt32(this.at + 4, index, true)
    this.view.setUint32(this.at + 8, up ? IFF_UP : 0, true)
    this.view.setUint32(this.at + 12, up ? IFF_UP : 0, true)
    this.at += 16
    return this
  }
  /** rta_len covers what fill wrote (a nest's inner padding included), not the padding after it. */
  attr(type: number, fill: (r: this) => unknown): this {
    const start = this.at
    this.at += 4
    fill(this)
    this.view.setUint16(start, this.at - start, true)
    this.view.setUint16(start + 2, type, true)
    this.at = (this.at + 3) & ~3
    return this
  }
  done(): Buffer {
    this.view.setUint32(0, this.at, true)
    return Buffer.from(this.view.buffer, 0, this.at)
  }
}

/**
 * `ip link add HOST master BRIDGE up type veth peer name PEER address MAC
 * netns FD`: the peer is made inside the namespace the fd names (without
 * one, beside the first), down.
 */
export function newVeth(o: { host: string; bridgeIndex: number; peer: string; peerMac?: string; peerNetnsFd?: number }): Buffer {
  return new Request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL)
    .ifinfomsg(0, true)
    .attr(IFLA_IFNAME, (r) => r.str(o.host))
    .attr(IFLA_MASTER, (r) => r.u32(o.bridgeIndex))
    .attr(IFLA_LINKINFO, (r) =>
      r.attr(IFLA_INFO_KIND, (k) => k.str('veth')).attr(IFLA_INFO_DATA, (d) =>
        d.attr(VETH_INFO_PEER, (p) => {
          p.ifinfomsg().attr(IFLA_IFNAME, (n) => n.str(o.peer))
          if (o.peerNetnsFd !== undefined) p.attr(IFLA_NET_NS_FD, (n) => n.u32(o.peerNetnsFd!))
          if (o.peerMac) p.attr(IFLA_ADDRESS, (n) => n.mac(o.peerMac!))
        }),
      ),
    )
    .done()
}

/** `ip link show NAME`: the answer names its index. */
export function getLink(name: string): Buffer {
  return new Request(RTM_GETLINK, 0).ifinfomsg().attr(IFLA_IFNAME, (r) => r.str(name)).done()
}

/** `ip link del NAME` (a veth pair goes whole). */
export function deleteLink(name: string): Buffer {
  return new Request(RTM_DELLINK, 0).ifinfomsg().attr(IFLA_IFNAME, (r) => r.str(name)).done()
}

/** `ip link set dev INDEX up`. */
export function linkUp(index: number): Buffer {
  return new Request(RTM_NEWLINK, 0).ifinfomsg(index, true).done()
}

/** `ip addr add IP/PREFIX broadcast + dev INDEX`. */
export function addAddress(index: number, ip: string, prefix: number): Buffer {
  const host = 2 ** (32 - prefix) - 1
  const broadcast = (Math.floor(parseIp(ip) / (host + 1)) * (host + 1) + host) >>> 0
  return new Request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL)
    .u8(AF_INET).u8(prefix).u8(0).u8(0).u32(index)
    .attr(IFA_LOCAL, (r) => r.ip(ip))
    .attr(IFA_ADDRESS, (r) => r.ip(ip))
    .attr(IFA_BROADCAST, (r) => r.ip(broadcast))
    .done()
}

/** `ip route add default via GATEWAY dev INDEX`. */
export function addDefaultRoute(index: number, gateway: string): Buffer {
  return new Request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL)
    .u8(AF_INET).u8(0).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(RTPROT_BOOT).u8(RT_SCOPE_UNIVERSE).u8(RTN_UNICAST).u32(0)
    .attr(RTA_GATEWAY, (r) => r.ip(gateway))
    .attr(RTA_OIF, (r) => r.u32(index))
    .done()
}

/**
 * `bridge link set dev INDEX hairpin on`: the bridge sends a frame back out
 * of the port it came in by, which a container's packet to its own
 * published port, NATed back to it, needs (br_netfilter NATs it on the
 * bridge). As Docker sets it on its containers' ports (libnetwork's
 * setHairpinMode).
 */
export function bridgePortHairpin(index: number): Buffer {
  return new Request(RTM_SETLINK, 0)
    .ifinfomsg(index, false, AF_BRIDGE)
    .attr(IFLA_PROTINFO | NLA_F_NESTED, (r) => r.attr(IFLA_BRPORT_MODE, (m) => m.u8(1)))
    .done()
}

/** A u32 attribute of getLink's answer (its ifinfomsg, then attributes). */
function linkU32(payload: Buffer, type: number): number | undefined {
  for (let at = 16; at + 4 <= payload.length; ) {
    const len = payload.readUInt16LE(at)
    if (len < 4) return undefined
    if (payload.readUInt16LE(at + 2) === type && len >= 8) return payload.readUInt32LE(at + 4)
    at += (len + 3) & ~3
  }
  return undefined
}

/** The bridge a link is a port of (IFLA_MASTER), from getLink's answer. */
export function linkMaster(payload: Buffer): number | undefined {
  return linkU32(payload, IFLA_MASTER)
}

/** A veth's peer (IFLA_LINK): its index in the namespace the peer is in. */
export function linkPeer(payload: Buffer): number | undefined {
  return linkU32(payload, IFLA_LINK)
}
