// network connect and disconnect of a container that does not run, as
// root: Docker records the change and makes it at the next start; a
// running container's connect outlives a restart the same way.
// Everything runs in a network namespace of the test's own
// (helpers/netns.ts), as network-bridge.test.ts does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { GET, HTTPD, makeNetns, until, type Netns } from './helpers/netns.js'
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

  it('disconnected from its last network, running or stopped, it keeps lo alone, also across a start; a connect, stopped or running, gives the network back', async () => {
    ok(['network', 'create', '--subnet', '10.97.5.0/24', 'cs-e'])
    ok(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'alone', '--network', 'cs-e', '-p', '8099:80', BUSYBOX, ...HTTPD])
    const links = () => ok(['exec', 'alone', 'ls', '/sys/class/net'])
    const networks = () => Object.keys(JSON.parse(ok(['inspect', 'alone']))[0].NetworkSettings.Networks)
    /** The page, by name from another container on cs-e, and at 127.0.0.1:8099 from the test's namespace (the server may be starting). */
    const reached = async () => {
      let page = ''
      await until('the server by name', () => (page = ok(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', 'cs-e', BUSYBOX, 'sh', '-c', `${GET('alone')} || true`])) !== '', 15_000)
      let published = ''
      await until('the published port', () => (published = ns.exec(['sh', '-c', `${GET('127.0.0.1', 8099).replace('nc ', 'busybox nc ')} || true`]).stdout) !== '', 15_000)
      return [page, published]
    }
    // running: it keeps lo, and its next start too (Docker's container is then as --network none)
    ok(['network', 'disconnect', 'cs-e', 'alone'])
    expect(links()).toBe('lo\n')
    expect(networks()).toEqual([])
    ok(['restart', '-t', '0', 'alone'])
    expect(links()).toBe('lo\n')
    expect(networks()).toEqual([])
    expect(mr(['port', 'alone']).stdout).toBe('')
    // stopped, connected again: it starts on it, its port published
    ok(['stop', '-t', '0', 'alone'])
    ok(['network', 'connect', 'cs-e', 'alone'])
    ok(['start', 'alone'])
    expect(links()).toBe('eth0\nlo\n')
    const hello = `hello from ${ok(['inspect', '-f', '{{.Id}}', 'alone']).slice(0, 12)}\n`
    expect(await reached()).toEqual([hello, hello])
    // stopped, disconnected from its last network: it starts with lo alone
    ok(['stop', '-t', '0', 'alone'])
    ok(['network', 'disconnect', 'cs-e', 'alone'])
    ok(['start', 'alone'])
    expect(links()).toBe('lo\n')
    expect(networks()).toEqual([])
    // running, connected again: at once, by name and at its published port
    ok(['network', 'connect', 'cs-e', 'alone'])
    expect(links()).toBe('eth0\nlo\n')
    expect(networks()).toEqual(['cs-e'])
    expect(await reached()).toEqual([hello, hello])
    expect(ok(['port', 'alone'])).toBe('80/tcp -> 0.0.0.0:8099\n')
  }, 120_000)
})
