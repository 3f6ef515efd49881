// network create's options without root: --internal, --ip-range, --aux-address,
// --attachable, --ipv6 and -o as the network definition keeps them, what netavark is given
// for them, the addresses a lease takes from a range, and -p on internal
// networks alone (publishes nothing, as Docker).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { bridgeOptions, checkIpRange, onlyOne, parseAuxAddresses, parseDriverOptions } from '../src/network/create-options.js'
import { parseCidr } from '../src/network/ipv4.js'
import { releaseLease, takeLease } from '../src/network/leases.js'
import { netavarkOptions } from '../src/network/netavark.js'
import { createNetwork, removeNetworkDef, type NetworkDef } from '../src/network/networks.js'
import { publishedPorts } from '../src/network/plan-network.js'
import { parsePublish } from '../src/network/port-spec.js'

describe('-o and --ip-range, checked', () => {
  it('-o KEY=VALUE: the bridge name and the MTU; any other option refused by name', () => {
    expect(parseDriverOptions(['com.docker.network.driver.mtu=1400', 'a=b=c'])).toEqual({ 'com.docker.network.driver.mtu': '1400', a: 'b=c' })
    expect(() => parseDriverOptions(['mtu'])).toThrow('invalid driver option "mtu": use KEY=VALUE')
    expect(bridgeOptions({ 'com.docker.network.bridge.name': 'br-db', 'com.docker.network.driver.mtu': '1400' })).toEqual({ bridge: 'br-db', mtu: 1400 })
    // the default bridge's name and its anchors' are mini-run's (fast-bridge.ts would delete them)
    for (const name of ['mini-run0', 'mini-run0-pin', 'br-x-pip']) expect(() => bridgeOptions({ 'com.docker.network.bridge.name': name })).toThrow(/a name mini-run keeps/)
    expect(() => bridgeOptions({ 'com.docker.network.bridge.enable_ip_masquerade': 'false' })).toThrow(
      'network option "com.docker.network.bridge.enable_ip_masquerade" is not supported: only com.docker.network.bridge.name and com.docker.network.driver.mtu (netavark has nothing else a bridge option could become)',
    )
    expect(() => bridgeOptions({ 'com.docker.network.bridge.name': 'a-name-too-long-1' })).toThrow('invalid com.docker.network.bridge.name "a-name-too-long-1": an interface name of 1 to 15 characters [a-zA-Z0-9_.-]')
    expect(() => bridgeOptions({ 'com.docker.network.driver.mtu': '1x' })).toThrow('invalid com.docker.network.driver.mtu "1x": a number from 68 to 65535')
    expect(() => bridgeOptions({ 'com.docker.network.driver.mtu': '67' })).toThrow('a number from 68 to 65535')
  })

  it('--subnet, --gateway, --ip-range given twice: refused (Docker\'s several subnets), not the last taken', () => {
    expect(onlyOne('--subnet', [])).toBeUndefined()
    expect(onlyOne('--subnet', ['10.1.0.0/24'])).toBe('10.1.0.0/24')
    expect(() => onlyOne('--subnet', ['10.1.0.0/24', '10.2.0.0/24'])).toThrow('--subnet given 2 times (10.1.0.0/24, 10.2.0.0/24): a mini-run network has one IPv4 subnet and one IPv6 subnet, each with one gateway; one range, IPv4')
  })

  it('--ip-range in Docker\'s words: inside the subnet, no bigger, no host bits', () => {
    expect(checkIpRange('10.1.0.128/25', parseCidr('10.1.0.0/24'))).toEqual(parseCidr('10.1.0.128/25'))
    expect(() => checkIpRange('10.2.0.0/24', parseCidr('10.1.0.0/24'))).toThrow("invalid ip-range 10.2.0.0/24: parent subnet 10.1.0.0/24 doesn't contain ip-range")
    expect(() => checkIpRange('10.0.0.0/16', parseCidr('10.0.1.0/24'))).toThrow('invalid ip-range 10.0.0.0/16: CIDR block is bigger than its parent subnet 10.0.1.0/24')
    expect(() => checkIpRange('10.1.0.129/25', parseCidr('10.1.0.0/24'))).toThrow('invalid ip-range "10.1.0.129/25": it has host bits set (the network is 10.1.0.128/25)')
  })
})

describe('network create with them', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps internal, attachable, the range, the bridge\'s name and MTU; an IPv6 subnet with --ipv6 alone; refuses a range without a subnet, a bridge name taken', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-networks-'))
    const def = createNetwork(dir, { name: 'db', subnet: '10.93.0.0/24', ipRange: '10.93.0.32/27', internal: true, attachable: true, options: { 'com.docker.network.bridge.name': 'br-db', 'com.docker.network.driver.mtu': '1400' } }, [])
    expect(def).toMatchObject({ bridge: 'br-db', subnet: '10.93.0.0/24', gateway: '10.93.0.1', ipRange: '10.93.0.32/27', internal: true, attachable: true, mtu: 1400 })
    // none of it unless asked
    const plain = createNetwork(dir, { name: 'plain' }, [])
    expect(Object.keys(plain).filter((k) => ['internal', 'attachable', 'ipRange', 'mtu'].includes(k))).toEqual([])
    // --ipv6 alone: a unique local /64 of its own beside the IPv4 subnet, never one another network has
    const v6 = createNetwork(dir, { name: 'v6', ipv6: true }, [])
    expect(v6.subnet6).toMatch(/^fd[0-9a-f]{2}(:[0-9a-f]{1,4}){1,2}::\/64$/)
    expect(v6.gateway6).toBe(v6.subnet6!.replace('/64', '1'))
    expect(v6.subnet).toMatch(/^10\.92\.\d+\.0\/24$/)
    expect(() => createNetwork(dir, { name: 'v6b', ipv6: true, subnet6: v6.subnet6! }, [])).toThrow(`subnet ${v6.subnet6} overlaps network v6 (${v6.subnet6})`)
    expect(Object.keys(plain)).not.toContain('subnet6')
    // an IPv6 subnet without --ipv6: Docker would pass over it; said here
    expect(() => createNetwork(dir, { name: 'v6c', subnet6: 'fd00:5::/64' }, [])).toThrow('an IPv6 --subnet (fd00:5::/64) needs --ipv6')
    removeNetworkDef(dir, 'v6')
    expect(() => createNetwork(dir, { name: 'r', ipRange: '10.94.0.0/25' }, [])).toThrow('no matching subnet for range 10.94.0.0/25')
    expect(() => createNetwork(dir, { name: 'r', subnet: '10.94.0.0/24', ipRange: '10.95.0.0/25' }, [])).toThrow("invalid ip-range 10.95.0.0/25: parent subnet 10.94.0.0/24 doesn't contain ip-range")
    expect(() => createNetwork(dir, { name: 'same', options: { 'com.docker.network.bridge.name': 'br-db' } }, [])).toThrow('cannot create network same: conflicts with network db (br-db): networks have same bridge name')
    expect(() => createNetwork(dir, { name: 'o', options: { 'com.docker.network.bridge.enable_icc': 'false' } }, [])).toThrow('network option "com.docker.network.bridge.enable_icc" is not supported')
    // the next automatic bridge name skips one taken by a name given
    expect(createNetwork(dir, { name: 'named', options: { 'com.docker.network.bridge.name': 'mini-run2' } }, []).bridge).toBe('mini-run2')
    expect(createNetwork(dir, { name: 'next' }, []).bridge).toBe('mini-run3')
  })

  it('--aux-address: NAME=IP in the subnet, kept; refused without a subnet, outside it, on the gateway, in docker/cli\'s words', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-networks-'))
    // the last of a name counts, one without an address is passed over (docker/cli's consolidateIpam), by name as moby prints them
    expect(Object.entries(parseAuxAddresses(['router=10.96.0.2', 'printer=10.96.0.3', 'router=10.96.0.4', 'nas=']))).toEqual([['printer', '10.96.0.3'], ['router', '10.96.0.4']])
    expect(() => parseAuxAddresses(['10.96.0.2'])).toThrow('invalid --aux-address "10.96.0.2": use NAME=IP')
    const def = createNetwork(dir, { name: 'aux', subnet: '10.96.0.0/24', auxAddresses: { router: '10.96.0.2' } }, [])
    expect(def.auxAddresses).toEqual({ router: '10.96.0.2' })
    expect(createNetwork(dir, { name: 'none-given', auxAddresses: {} }, []).auxAddresses).toBeUndefined()
    expect(() => createNetwork(dir, { name: 'x', auxAddresses: { r: '10.97.0.2' } }, [])).toThrow('no matching subnet for aux-address 10.97.0.2')
    expect(() => createNetwork(dir, { name: 'x', subnet: '10.97.0.0/24', auxAddresses: { r: '10.98.0.2' } }, [])).toThrow('no matching subnet for aux-address 10.98.0.2')
    // in the subnet, but not a free address of its pool: moby's IPAM's failure
    expect(() => createNetwork(dir, { name: 'x', subnet: '10.97.0.0/24', auxAddresses: { r: '10.97.0.1' } }, [])).toThrow("failed to allocate secondary ip address (r:10.97.0.1): the network's gateway")
    expect(() => createNetwork(dir, { name: 'x', subnet: '10.97.0.0/24', auxAddresses: { r: '10.97.0.255' } }, [])).toThrow('failed to allocate secondary ip address (r:10.97.0.255): not a host address of 10.97.0.0/24')
    expect(() => createNetwork(dir, { name: 'x', subnet: '10.97.0.0/24', auxAddresses: { a: '10.97.0.9', b: '10.97.0.9' } }, [])).toThrow('failed to allocate secondary ip address (b:10.97.0.9): reserved already (a)')
    expect(() => createNetwork(dir, { name: 'x', subnet: '10.97.0.0/24', auxAddresses: { r: 'ten' } }, [])).toThrow(/aux-address/)
  })

  it('a lease never takes an --aux-address one: passed over when free, refused when asked for', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    const net = { name: 'aux', subnet: '10.96.0.0/29', gateway: '10.96.0.1', reserved: { router: '10.96.0.2', printer: '10.96.0.4' } }
    const ids = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64))
    for (const id of ids) mkdirSync(join(dir, id))
    expect(takeLease(dir, ids[0]!, { networks: [net], ports: [] }, []).ips).toEqual({ aux: '10.96.0.3' })
    expect(takeLease(dir, ids[1]!, { networks: [net], ports: [] }, []).ips).toEqual({ aux: '10.96.0.5' })
    expect(() => takeLease(dir, ids[2]!, { networks: [{ ...net, ip: '10.96.0.2' }], ports: [] }, [])).toThrow('address 10.96.0.2 on network aux is already in use: the network reserves it (aux-address router)')
    expect(takeLease(dir, ids[2]!, { networks: [net], ports: [] }, []).ips).toEqual({ aux: '10.96.0.6' })
    expect(() => takeLease(dir, ids[3]!, { networks: [net], ports: [] }, [])).toThrow('network aux (10.96.0.0/29) has no free address left')
    for (const id of ids) releaseLease(dir, id)
  })

  it('a lease takes free addresses from the range only; a static one anywhere in the subnet', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    const net = { name: 'db', subnet: '10.93.0.0/24', gateway: '10.93.0.1', ipRange: '10.93.0.32/31' }
    const ids = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64))
    for (const id of ids) mkdirSync(join(dir, id))
    expect(takeLease(dir, ids[0]!, { networks: [net], ports: [] }, []).ips).toEqual({ db: '10.93.0.32' })
    expect(takeLease(dir, ids[1]!, { networks: [net], ports: [] }, []).ips).toEqual({ db: '10.93.0.33' })
    expect(() => takeLease(dir, ids[2]!, { networks: [net], ports: [] }, [])).toThrow('network db (10.93.0.0/24, ip-range 10.93.0.32/31) has no free address left')
    expect(takeLease(dir, ids[3]!, { networks: [{ ...net, ip: '10.93.0.200' }], ports: [] }, []).ips).toEqual({ db: '10.93.0.200' })
    // a range at the subnet's start skips its network address and the gateway
    expect(takeLease(dir, ids[2]!, { networks: [{ ...net, ipRange: '10.93.0.0/30' }], ports: [] }, []).ips).toEqual({ db: '10.93.0.2' })
    for (const id of ids) releaseLease(dir, id)
  })
})

describe('what netavark and a start get for an internal network', () => {
  const def = (more: Partial<NetworkDef>): NetworkDef => ({ name: 'db', id: 'f'.repeat(64), driver: 'bridge', bridge: 'mini-run1', subnet: '10.93.0.0/24', gateway: '10.93.0.1', created: '', dns: true, ...more })
  const attachment = (network: NetworkDef, interfaceName = 'eth0') => ({ network, dns: true, ip: '10.93.0.2', interfaceName, aliases: [] })

  it('internal and mtu in netavark\'s network_info; neither for a plain network', () => {
    const o = netavarkOptions({ id: 'c'.repeat(64), name: 'x', attachments: [attachment(def({ internal: true, mtu: 1400 }))], ports: [], dnsServers: [] })
    expect(o.network_info.db).toMatchObject({ internal: true, options: { isolate: 'true', mtu: '1400' } })
    const plain = netavarkOptions({ id: 'c'.repeat(64), name: 'x', attachments: [attachment(def({}))], ports: [], dnsServers: [] })
    expect(plain.network_info.db).toMatchObject({ internal: false, options: { isolate: 'true' } })
  })

  it('-p publishes nothing on internal networks alone, and publishes with a network that has a way out', () => {
    const ports = [parsePublish('8080:80')]
    expect(publishedPorts({ mode: 'bridge', attachments: [{ ...attachment(def({ internal: true })) }], ports })).toEqual([])
    expect(publishedPorts({ mode: 'bridge', attachments: [attachment(def({ internal: true })), attachment(def({ name: 'out' }), 'eth1')], ports })).toEqual(ports)
    expect(publishedPorts({ mode: 'bridge', attachments: [attachment(def({}))], ports })).toEqual(ports)
    expect(publishedPorts({ mode: 'pasta', attachments: [], ports })).toEqual(ports)
  })
})
