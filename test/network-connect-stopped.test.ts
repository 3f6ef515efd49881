// network connect and disconnect of a container that does not run, as
// root: Docker records the change and makes it at the next start; a
// running container's connect outlives a restart the same way.
// Everything runs in a network namespace of the test's own
// (helpers/netns.ts), as network-bridge.test.ts does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('network: connect and disconnect of a stopped container (needs root, netavark and aardvark-dns)', () => {
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
  /** Which of the names resolve from another container on the network, one line each: "name yes|no". */
  const resolves = (net: string, names: string[]) => {
    const script = names.map((n) => `nslookup ${n} >/dev/null 2>&1 && echo "${n} yes" || echo "${n} no"`).join('; ')
    return ok(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', net, BUSYBOX, 'sh', '-c', script])
  }
  const eth1 = (name: string) => ok(['exec', name, 'sh', '-c', 'ip -4 -o addr show eth1 2>/dev/null | grep -o "inet [0-9.]*" || echo none'])

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun([...g(), ...args])
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    for (const n of mr(['network', 'ls', '-q', '--filter', 'name=cs-']).stdout.split('\n').filter(Boolean)) mr(['network', 'rm', n])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('a created container connected joins the network when it starts; disconnected while stopped, it starts without it', () => {
    ok(['network', 'create', '--subnet', '10.97.1.0/24', 'cs-a'])
    ok(['network', 'create', '--subnet', '10.97.2.0/24', 'cs-b'])
    ok(['create', '--cgroup-parent', env.cgroupParent, '--name', 'made', '--network', 'cs-a', BUSYBOX, 'sleep', '600'])
    ok(['network', 'connect', '--alias', 'late', 'cs-b', 'made'])
    const again = mr(['network', 'connect', 'cs-b', 'made'])
    expect([again.status, again.stderr]).toEqual([1, 'mini-run: container made is already connected to network cs-b\n'])
    // never started, it has no record yet: its plan says where it would start
    const busy = mr(['network', 'rm', 'cs-b'])
    expect(busy.status).toBe(1)
    expect(busy.stderr).toMatch(/^mini-run: network cs-b is in use by container made \([0-9a-f]{12}\): remove it first\n$/)
    expect(ok(['network', 'prune', '-f'])).toBe('')
    ok(['start', 'made'])
    expect(eth1('made')).toMatch(/^inet 10\.97\.2\.\d+\n$/)
    expect(ok(['exec', 'made', 'cat', '/etc/resolv.conf'])).toContain('nameserver 10.97.1.1\nnameserver 10.97.2.1\n')
    expect(resolves('cs-b', ['made', 'late'])).toBe('made yes\nlate yes\n')
    expect(Object.keys(JSON.parse(ok(['inspect', 'made']))[0].NetworkSettings.Networks).sort()).toEqual(['cs-a', 'cs-b'])

    ok(['stop', '-t', '0', 'made'])
    // in use by a stopped container: it would start on it
    expect(mr(['network', 'rm', 'cs-b']).status).toBe(1)
    ok(['network', 'disconnect', 'cs-b', 'made'])
    const last = mr(['network', 'disconnect', 'cs-a', 'made'])
    expect([last.status, last.stderr]).toEqual([1, 'mini-run: container made would have no network left: connect it to another one first\n'])
    ok(['network', 'rm', 'cs-b'])
    ok(['start', 'made'])
    expect(eth1('made')).toBe('none\n')
    expect(resolves('cs-a', ['made'])).toBe('made yes\n')
  })

  it('a running container\'s connect outlives a stop and start, and so does its disconnect', () => {
    ok(['network', 'create', '--subnet', '10.97.3.0/24', 'cs-c'])
    ok(['network', 'create', '--subnet', '10.97.4.0/24', 'cs-d'])
    ok(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'live', '--network', 'cs-c', BUSYBOX, 'sleep', '600'])
    ok(['network', 'connect', '--alias', 'api', 'cs-d', 'live'])
    ok(['stop', '-t', '0', 'live'])
    ok(['start', 'live'])
    expect(eth1('live')).toMatch(/^inet 10\.97\.4\.\d+\n$/)
    expect(resolves('cs-d', ['live', 'api'])).toBe('live yes\napi yes\n')
    ok(['network', 'disconnect', 'cs-d', 'live'])
    ok(['restart', '-t', '0', 'live'])
    expect(eth1('live')).toBe('none\n')
  })
})
