// The rtnetlink requests of the default bridge's fast path (src/network/netlink.ts),
// read back field by field as the kernel reads them (rtnetlink(7)): lengths,
// flags, the nesting of a veth's peer, addresses in network byte order.
import { describe, expect, it } from 'vitest'
import { addAddress, addDefaultRoute, deleteLink, getLink, linkMaster, linkUp, newVeth } from '../src/network/netlink.js'

interface Attr { type: number; data: Buffer }

function attrs(buf: Buffer): Attr[] {
  const out: Attr[] = []
  for (let at = 0; at < buf.length; ) {
    const len = buf.readUInt16LE(at)
    expect(len).toBeGreaterThanOrEqual(4)
    out.push({ type: buf.readUInt16LE(at + 2), data: buf.subarray(at + 4, at + len) })
    at += (len + 3) & ~3
  }
  return out
}
const find = (list: Attr[], type: number) => {
  const a = list.find((x) => x.type === type)
  expect(a, `attribute ${type}`).toBeDefined()
  return a!.data
}
const cstr = (b: Buffer) => {
  expect(b[b.length - 1]).toBe(0)
  return b.subarray(0, -1).toString('latin1')
}
function header(msg: Buffer) {
  expect(msg.readUInt32LE(0)).toBe(msg.length)
  expect(msg.length % 4).toBe(0)
  return { type: msg.readUInt16LE(4), flags: msg.readUInt16LE(6), seq: msg.readUInt32LE(8), body: msg.subarray(16) }
}

describe('rtnetlink requests', () => {
  it('a veth pair: the host end on the bridge and up, the peer named, with its MAC, in the namespace of an fd', () => {
    const h = header(newVeth({ host: 'vethabc', bridgeIndex: 7, peer: 'eth0', peerMac: '02:aa:bb:cc:dd:0e', peerNetnsFd: 42 }))
    expect(h.type).toBe(16) // RTM_NEWLINK
    expect(h.flags).toBe(0x1 | 0x4 | 0x200 | 0x400) // REQUEST, ACK, EXCL, CREATE
    expect(h.body.readUInt32LE(8) & 1).toBe(1) // ifi_flags IFF_UP
    expect(h.body.readUInt32LE(12) & 1).toBe(1) // ifi_change
    const top = attrs(h.body.subarray(16))
    expect(cstr(find(top, 3))).toBe('vethabc') // IFLA_IFNAME
    expect(find(top, 10).readUInt32LE(0)).toBe(7) // IFLA_MASTER
    const info = attrs(find(top, 18)) // IFLA_LINKINFO
    expect(cstr(find(info, 1))).toBe('veth') // IFLA_INFO_KIND
    const peer = find(attrs(find(info, 2)), 1) // IFLA_INFO_DATA > VETH_INFO_PEER: an ifinfomsg, then attributes
    expect(peer.readUInt32LE(8)).toBe(0) // the peer starts down
    const peerAttrs = attrs(peer.subarray(16))
    expect(cstr(find(peerAttrs, 3))).toBe('eth0')
    expect(find(peerAttrs, 28).readUInt32LE(0)).toBe(42) // IFLA_NET_NS_FD
    expect([...find(peerAttrs, 1)]).toEqual([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e]) // IFLA_ADDRESS
  })

  it('a veth pair without a namespace fd leaves the peer beside the host end', () => {
    const peer = find(attrs(find(attrs(find(attrs(header(newVeth({ host: 'a', bridgeIndex: 1, peer: 'b' })).body.subarray(16)), 18)), 2)), 1)
    expect(attrs(peer.subarray(16)).map((a) => a.type)).toEqual([3])
  })

  it('an address: prefix, interface, local address and broadcast in network byte order', () => {
    const h = header(addAddress(5, '10.91.0.7', 16))
    expect(h.type).toBe(20) // RTM_NEWADDR
    expect([h.body[0], h.body[1]]).toEqual([2, 16]) // AF_INET, prefixlen
    expect(h.body.readUInt32LE(4)).toBe(5)
    const a = attrs(h.body.subarray(8))
    expect([...find(a, 2)]).toEqual([10, 91, 0, 7]) // IFA_LOCAL
    expect([...find(a, 1)]).toEqual([10, 91, 0, 7]) // IFA_ADDRESS
    expect([...find(a, 4)]).toEqual([10, 91, 255, 255]) // IFA_BROADCAST
    expect([...find(attrs(header(addAddress(5, '192.168.3.9', 24)).body.subarray(8)), 4)]).toEqual([192, 168, 3, 255])
  })

  it('the default route: main table, unicast, through the gateway on the interface', () => {
    const h = header(addDefaultRoute(5, '10.91.0.1'))
    expect(h.type).toBe(24) // RTM_NEWROUTE
    expect([...h.body.subarray(0, 8)]).toEqual([2, 0, 0, 0, 254, 3, 0, 1]) // AF_INET, dst_len 0, table main, boot, universe, unicast
    const a = attrs(h.body.subarray(12))
    expect([...find(a, 5)]).toEqual([10, 91, 0, 1]) // RTA_GATEWAY
    expect(find(a, 4).readUInt32LE(0)).toBe(5) // RTA_OIF
  })

  it('a link by name, and up by index; every request has a sequence number of its own', () => {
    const get = header(getLink('eth0'))
    expect(get.type).toBe(18) // RTM_GETLINK
    expect(cstr(find(attrs(get.body.subarray(16)), 3))).toBe('eth0')
    const up = header(linkUp(9))
    expect(up.type).toBe(16)
    expect(up.flags & 0x600).toBe(0) // changes a link, creates none
    expect([up.body.readInt32LE(4), up.body.readUInt32LE(8), up.body.readUInt32LE(12)]).toEqual([9, 1, 1])
    expect(up.seq).not.toBe(get.seq)
    const del = header(deleteLink('mini-run0-pin'))
    expect(del.type).toBe(17) // RTM_DELLINK
    expect(cstr(find(attrs(del.body.subarray(16)), 3))).toBe('mini-run0-pin')
  })

  it('reads the bridge a link is a port of from an answer (IFLA_MASTER), and none when it has none', () => {
    const attr = (type: number, data: Buffer) => {
      const b = Buffer.alloc((4 + data.length + 3) & ~3)
      b.writeUInt16LE(4 + data.length, 0)
      b.writeUInt16LE(type, 2)
      data.copy(b, 4)
      return b
    }
    const u32 = (n: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(n, 0)
      return b
    }
    const ifinfo = Buffer.alloc(16)
    const name = attr(3, Buffer.from('mini-run0-pin\0'))
    expect(linkMaster(Buffer.concat([ifinfo, name, attr(13, u32(1500)), attr(10, u32(7))]))).toBe(7)
    expect(linkMaster(Buffer.concat([ifinfo, name, attr(13, u32(1500))]))).toBeUndefined()
    // a malformed attribute ends the reading
    expect(linkMaster(Buffer.concat([ifinfo, Buffer.from([2, 0, 10, 0])]))).toBeUndefined()
  })
})
