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
const RTM_GETLINK = 18
const RTM_NEWADDR = 20
const RTM_NEWROUTE = 24

const NLM_F_REQUEST = 0x1
const NLM_F_ACK = 0x4
const NLM_F_EXCL = 0x200
const NLM_F_CREATE = 0x400

const AF_UNSPEC = 0
const AF_INET = 2
const IFF_UP = 0x1

const IFLA_ADDRESS = 1
const IFLA_IFNAME = 3
const IFLA_MASTER = 10
const IFLA_LINKINFO = 18
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

const align = (n: number) => (n + 3) & ~3

function attr(type: number, data: Buffer): Buffer {
  const out = Buffer.alloc(align(4 + data.length))
  out.writeUInt16LE(4 + data.length, 0)
  out.writeUInt16LE(type, 2)
  data.copy(out, 4)
  return out
}
const nested = (type: number, ...parts: Buffer[]) => attr(type, Buffer.concat(parts))
const str = (s: string) => Buffer.from(`${s}\0`, 'latin1')
function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0, 0)
  return b
}
/** An IPv4 address in network byte order. */
function ip4(ip: string): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(parseIp(ip) >>> 0, 0)
  return b
}
function mac(text: string): Buffer {
  return Buffer.from(text.split(':').map((x) => parseInt(x, 16)))
}

function ifinfomsg(index = 0, up = false): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt8(AF_UNSPEC, 0)
  b.writeInt32LE(index, 4)
  b.writeUInt32LE(up ? IFF_UP : 0, 8)
  b.writeUInt32LE(up ? IFF_UP : 0, 12)
  return b
}

function message(type: number, flags: number, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body)
  const head = Buffer.alloc(16)
  head.writeUInt32LE(16 + payload.length, 0)
  head.writeUInt16LE(type, 4)
  head.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK | flags, 6)
  head.writeUInt32LE((seq = (seq + 1) >>> 0), 8)
  return Buffer.concat([head, payload])
}

/**
 * `ip link add HOST master BRIDGE up type veth peer name PEER address MAC
 * netns FD`: the peer is made inside the namespace the fd names (without
 * one, beside the first), down.
 */
export function newVeth(o: { host: string; bridgeIndex: number; peer: string; peerMac?: string; peerNetnsFd?: number }): Buffer {
  const peer = Buffer.concat([
    ifinfomsg(),
    attr(IFLA_IFNAME, str(o.peer)),
    ...(o.peerNetnsFd !== undefined ? [attr(IFLA_NET_NS_FD, u32(o.peerNetnsFd))] : []),
    ...(o.peerMac ? [attr(IFLA_ADDRESS, mac(o.peerMac))] : []),
  ])
  return message(
    RTM_NEWLINK,
    NLM_F_CREATE | NLM_F_EXCL,
    ifinfomsg(0, true),
    attr(IFLA_IFNAME, str(o.host)),
    attr(IFLA_MASTER, u32(o.bridgeIndex)),
    nested(IFLA_LINKINFO, attr(IFLA_INFO_KIND, str('veth')), nested(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer))),
  )
}

/** `ip link show NAME`: the answer names its index. */
export function getLink(name: string): Buffer {
  return message(RTM_GETLINK, 0, ifinfomsg(), attr(IFLA_IFNAME, str(name)))
}

/** `ip link set dev INDEX up`. */
export function linkUp(index: number): Buffer {
  return message(RTM_NEWLINK, 0, ifinfomsg(index, true))
}

/** `ip addr add IP/PREFIX broadcast + dev INDEX`. */
export function addAddress(index: number, ip: string, prefix: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt8(AF_INET, 0)
  b.writeUInt8(prefix, 1)
  b.writeUInt32LE(index, 4)
  const hostBits = 32 - prefix
  const broadcast = Buffer.alloc(4)
  broadcast.writeUInt32BE((parseIp(ip) | (hostBits === 32 ? 0xffffffff : (2 ** hostBits - 1))) >>> 0, 0)
  return message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, b, attr(IFA_LOCAL, ip4(ip)), attr(IFA_ADDRESS, ip4(ip)), attr(IFA_BROADCAST, broadcast))
}

/** `ip route add default via GATEWAY dev INDEX`. */
export function addDefaultRoute(index: number, gateway: string): Buffer {
  const b = Buffer.alloc(12)
  b.writeUInt8(AF_INET, 0)
  b.writeUInt8(RT_TABLE_MAIN, 4)
  b.writeUInt8(RTPROT_BOOT, 5)
  b.writeUInt8(RT_SCOPE_UNIVERSE, 6)
  b.writeUInt8(RTN_UNICAST, 7)
  return message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, b, attr(RTA_GATEWAY, ip4(gateway)), attr(RTA_OIF, u32(index)))
}
