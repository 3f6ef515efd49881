// `run --network A --network B`, Docker 25's repeated --network, and
// docker/cli's long form (name=,alias=,ip=,mac-address=): the container
// joins every network at its start (eth0, eth1), reaches a server on
// each, and is found by its names on each. Its errors are docker/cli's.
// Everything runs in a network namespace of the test's own
// (helpers/netns.ts), as network-bridge.test.ts does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'
import { chooseNetworks, parseNetworkOpt } from '../src/network/network-opt.js'

const netavark = findHelper('netavark') !== undefined

describe('--network values, as docker/cli reads them', () => {
  it('takes a name, or the long form\'s fields', () => {
    expect(parseNetworkOpt('web')).toEqual({ name: 'web', aliases: [] })
    expect(parseNetworkOpt('container:db')).toEqual({ name: 'container:db', aliases: [] })
    expect(parseNetworkOpt('name=web,alias=a,alias=b,ip=10.1.0.5,mac-address=02:42:ac:11:00:02')).toEqual({
      name: 'web', aliases: ['a', 'b'], ip: '10.1.0.5', mac: '02:42:ac:11:00:02',
    })
    expect(() => parseNetworkOpt('alias=a')).toThrow('invalid --network "alias=a": network name/id is not specified')
    expect(() => parseNetworkOpt('name=web,colour=red')).toThrow('invalid --network "name=web,colour=red": invalid field key colour')
    expect(parseNetworkOpt('name=web,ip6=fd00::5')).toEqual({ name: 'web', aliases: [], ip6: 'fd00::5' })
    expect(() => parseNetworkOpt('name=web,link-local-ip=169.254.0.5')).toThrow(/link-local-ip is not supported/)
  })

  it('gives the first network --network-alias, --ip and --mac-address, and the others their own', () => {
    expect(chooseNetworks(['a', 'name=b,alias=x'], { aliases: ['api'], ip: '10.1.0.9' })).toEqual({
      network: 'a', aliases: ['api'], ip: '10.1.0.9', moreNetworks: [{ name: 'b', aliases: ['x'] }],
    })
    expect(chooseNetworks(['name=a,alias=y,ip=10.1.0.7'], { aliases: [] })).toEqual({ network: 'a', aliases: ['y'], ip: '10.1.0.7' })
    expect(chooseNetworks([], { aliases: ['z'] })).toEqual({ aliases: ['z'] })
  })

  it('refuses what docker/cli refuses, in its words', () => {
    const refused: [string[], { aliases: string[]; ip?: string; ip6?: string; macAddress?: string }, string][] = [
      [['name=a,alias=x'], { aliases: ['y'] }, 'conflicting options: cannot specify both --network-alias and per-network alias'],
      [['name=a,ip=10.1.0.2'], { aliases: [], ip: '10.1.0.3' }, 'conflicting options: cannot specify both --ip and per-network IPv4 address'],
      [['name=a,ip6=fd00::2'], { aliases: [], ip6: 'fd00::3' }, 'conflicting options: cannot specify both --ip6 and per-network IPv6 address'],
      [['name=a,mac-address=02:00:00:00:00:01'], { aliases: [], macAddress: '02:00:00:00:00:02' }, 'conflicting options: cannot specify both --mac-address and per-network MAC address'],
      [['a', 'name=a,alias=x'], { aliases: [] }, 'network "a" is specified multiple times'],
      [['bridge', 'a'], { aliases: [] }, 'conflicting options: cannot attach both user-defined and non-user-defined network-modes'],
      [['a', 'container:db'], { aliases: [] }, 'conflicting options: cannot attach both user-defined and non-user-defined network-modes'],
      [['none', 'host'], { aliases: [] }, 'conflicting options: only one of none, host'],
    ]
    for (const [values, legacy, message] of refused) expect(() => chooseNetworks(values, legacy)).toThrow(message)
  })
})

describe.skipIf(!isRoot || !netavark)('run on several networks at once (needs root, netavark and aardvark-dns)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const g = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const ok = (args: string[]) => {
    const r = mr(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const run = (args: string[]) => ok(['run', '--cgroup-parent', env.cgroupParent, ...args])

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun([...g(), ...args])
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    for (const n of mr(['network', 'ls', '-q', '--filter', 'name=mn-']).stdout.split('\n').filter(Boolean)) mr(['network', 'rm', n])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('joins both networks: an address on each, its names on each, and a server on each reached by name', () => {
    ok(['network', 'create', '--subnet', '10.97.11.0/24', 'mn-front'])
    ok(['network', 'create', '--subnet', '10.97.12.0/24', 'mn-back'])
    // a server on each network only: what answers says which network carried the request
    for (const [net, word] of [['mn-front', 'front'], ['mn-back', 'back']]) {
      run(['-d', '--name', `srv-${word}`, '--network', net, BUSYBOX, 'sh', '-c', `while true; do echo ${word} | nc -l -p 80; done`])
    }
    run([
      '-d', '--name', 'both', '--network-alias', 'web',
      '--network', 'mn-front', '--network', 'name=mn-back,alias=api,ip=10.97.12.50',
      BUSYBOX, 'sleep', '600',
    ])
    expect(ok(['exec', 'both', 'sh', '-c', 'ip -4 -o addr show eth1 | grep -o "inet [0-9.]*"'])).toBe('inet 10.97.12.50\n')
    expect(ok(['exec', 'both', 'sh', '-c', 'ip -4 -o addr show eth0 | grep -o "inet 10\\.97\\.11\\."'])).toBe('inet 10.97.11.\n')
    // the server on each network, by its name, from the one container on both
    for (const word of ['front', 'back']) {
      expect(ok(['exec', 'both', 'sh', '-c', `for i in 1 2 3 4 5; do nc -w 2 srv-${word} 80 </dev/null && exit 0; sleep 0.3; done; exit 1`])).toBe(`${word}\n`)
    }
    // its names: web only on the first network, api only on the second, its name on both
    const lookups = (net: string) => run(['--rm', '--network', net, BUSYBOX, 'sh', '-c', 'for n in both web api; do nslookup $n >/dev/null 2>&1 && echo "$n yes" || echo "$n no"; done'])
    expect(lookups('mn-front')).toBe('both yes\nweb yes\napi no\n')
    expect(lookups('mn-back')).toBe('both yes\nweb no\napi yes\n')
    const networks = JSON.parse(ok(['inspect', 'both']))[0].NetworkSettings.Networks
    expect(Object.keys(networks).sort()).toEqual(['mn-back', 'mn-front'])
    expect(networks['mn-back'].IPAddress).toBe('10.97.12.50')
    // both at every start, as the first
    ok(['restart', '-t', '0', 'both'])
    expect(ok(['exec', 'both', 'sh', '-c', 'ip -4 -o addr show eth1 | grep -o "inet [0-9.]*"'])).toBe('inet 10.97.12.50\n')
  })

  it('refuses a second network it cannot join, in one line, and leaves nothing behind', () => {
    ok(['network', 'create', '--subnet', '10.97.13.0/24', 'mn-one'])
    const before = ns.snapshot()
    for (const [args, message] of [
      [['--network', 'mn-one', '--network', 'bridge'], 'mini-run: conflicting options: cannot attach both user-defined and non-user-defined network-modes\n'],
      [['--network', 'mn-one', '--network', 'mn-nosuch'], 'mini-run: network mn-nosuch not found\n'],
      [['--network', 'mn-one', '--network', 'mn-one'], 'mini-run: network "mn-one" is specified multiple times\n'],
      [['--network', 'name=mn-one,ip=10.97.99.5'], 'mini-run: invalid --ip "10.97.99.5": not an address of network mn-one (10.97.13.0/24)\n'],
    ] as [string[], string][]) {
      const r = mr(['run', '--rm', '--cgroup-parent', env.cgroupParent, ...args, BUSYBOX, 'true'])
      expect([r.status, r.stderr]).toEqual([125, message])
    }
    expect(ok(['ps', '-a', '-q'])).toBe('')
    expect(ns.snapshot()).toEqual(before)
  })
})
