// ipv6.ts: IPv6 addresses as numbers and back in RFC 5952's form (what
// iproute2 and Go print), subnets, and the IPAM's choice (ipv6-subnet.ts).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { contains6, formatCidr6, formatIp6, isHostAddress6, overlaps6, parseCidr6, parseIp6, randomUla } from '../src/network/ipv6.js'
import { checkSubnet6Free, parseRoutes6, pickIp6 } from '../src/network/ipv6-subnet.js'

describe('IPv6 addresses', () => {
  it('prints RFC 5952\'s form: lower case, no leading zeros, the longest run of zero groups (the first of equals, never one alone) as ::', () => {
    for (const [text, printed] of [
      ['2001:DB8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['fd00:0061:0000::00fe', 'fd00:61::fe'],
      ['::ffff:10.0.0.1', '::ffff:a00:1'],
      ['1::', '1::'],
    ] as const) expect(formatIp6(parseIp6(text))).toBe(printed)
  })

  it('reads back what it prints, for any address', () => {
    const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
    fc.assert(fc.property(groups, (g) => {
      const n = g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n)
      const text = formatIp6(n)
      expect(parseIp6(text)).toBe(n)
      // and as Node's URL parser (WHATWG, which compresses as RFC 5952) prints it
      expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`)
    }))
  })

  it('refuses what is not an address or a subnet, and a subnet with host bits', () => {
    for (const bad of ['fd00::1::2', '10.0.0.1', 'fd00::g', 'fe80::1%eth0', '']) expect(() => parseIp6(bad)).toThrow(`invalid IPv6 address "${bad}"`)
    expect(() => parseCidr6('fd00::1/64')).toThrow('invalid subnet "fd00::1/64": it has host bits set (the network is fd00::/64)')
    expect(() => parseCidr6('fd00::/129')).toThrow('invalid subnet "fd00::/129": use ADDRESS/PREFIX, e.g. fd00:1::/64')
    const s = parseCidr6('fd00:1::/64')
    expect(formatCidr6(s)).toBe('fd00:1::/64')
    expect([contains6(s, parseIp6('fd00:1::ffff:1')), contains6(s, parseIp6('fd00:2::1'))]).toEqual([true, false])
    expect([overlaps6(s, parseCidr6('fd00::/16')), overlaps6(s, parseCidr6('fd00:2::/64'))]).toEqual([true, false])
    // the subnet-router anycast address is no host's
    expect([isHostAddress6(s, s.network), isHostAddress6(s, s.network + 1n)]).toEqual([false, true])
  })

  it('a random unique local /64: fd, the 40 bits drawn, subnet 0', () => {
    expect(formatCidr6(randomUla((n) => Buffer.from([0x12, 0x34, 0x56, 0x78, 0x9a].slice(0, n))))).toBe('fd12:3456:789a::/64')
  })

  it('gives the lowest free address after the gateway\'s, or --ip6\'s if free', () => {
    const net = { name: 'n', subnet6: 'fd00:1::/126', gateway6: 'fd00:1::1' }
    expect(pickIp6(net, new Map())).toBe('fd00:1::2')
    expect(pickIp6(net, new Map([['fd00:1::2', 'a'.repeat(64)]]))).toBe('fd00:1::3')
    expect(() => pickIp6(net, new Map([['fd00:1::2', 'a'], ['fd00:1::3', 'b']]))).toThrow('network n (fd00:1::/126) has no free IPv6 address left')
    expect(pickIp6({ ...net, ip6: 'fd00:1:0::3' }, new Map())).toBe('fd00:1::3')
    expect(() => pickIp6({ ...net, ip6: 'fd00:1::2' }, new Map([['fd00:1::2', 'c'.repeat(64)]]))).toThrow(`address fd00:1::2 on network n is already in use by container ${'c'.repeat(12)}`)
    expect(() => pickIp6({ ...net, ip6: 'fd00:1::' }, new Map())).toThrow('--ip6 fd00:1:: is not a free host address of network n (fd00:1::/126, gateway fd00:1::1)')
  })

  it('reads /proc/net/ipv6_route, and a subnet the host routes elsewhere is refused (its own bridge\'s route and the default route say nothing)', () => {
    const routes = parseRoutes6([
      'fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0',
      'fd000001000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 mini-run3',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0',
    ].join('\n'))
    expect(routes.map((r) => `${formatCidr6(r.dest)} ${r.dev}`)).toEqual(['fd00::/64 eth0', 'fd00:1::/64 mini-run3', '::/0 eth0'])
    expect(() => checkSubnet6Free({ name: 'n', subnet6: 'fd00::/64', bridge: 'mini-run3' }, routes)).toThrow('network n: subnet fd00::/64 overlaps the host\'s route to fd00::/64 on eth0: choose another --subnet')
    expect(() => checkSubnet6Free({ name: 'n', subnet6: 'fd00:1::/64', bridge: 'mini-run3' }, routes)).not.toThrow()
    expect(() => checkSubnet6Free({ name: 'n', subnet6: 'fd00:2::/64', bridge: 'mini-run4' }, routes)).not.toThrow()
  })
})
