// `network reload` (podman's) after the host's firewall lost its rules, as
// `firewall-cmd --reload` or `iptables -F` takes them: a published port is
// reached again, a name resolves again, and the rules are what they were.
// Everything runs in a network namespace of the test's own
// (helpers/netns.ts): its iptables are the ones flushed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { GET, HTTPD, makeNetns, removeContainersAndNetworks, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('network reload (needs root, netavark and aardvark-dns)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const g = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const run = (args: string[]) => mr(['run', '--cgroup-parent', env.cgroupParent, ...args])
  const detached = (args: string[]) => {
    const r = run(['-d', ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.trim()
  }
  const page = (port: number) => ns.exec(['sh', '-c', GET('127.0.0.1', port).replace(/nc /, 'busybox nc ')]).stdout
  // what firewall-cmd --reload does to rules it did not make: every rule and chain of both tables gone
  const flush = () => expect(ns.exec(['sh', '-ec', 'for t in nat filter mangle raw; do iptables -t $t -F; iptables -t $t -X; done']).status).toBe(0)
  const resolves = (net: string, name: string) => run(['--rm', '--network', net, BUSYBOX, 'sh', '-c', `nslookup ${name} >/dev/null 2>&1 && echo found || echo unknown`]).stdout

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun([...g(), ...args])
  })
  afterEach(() => removeContainersAndNetworks(mr))
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('after a flush: the published port, the names and every rule come back, for the containers named or --all', async () => {
    expect(mr(['network', 'create', 'back']).status).toBe(0)
    expect(mr(['network', 'create', '--internal', 'inner']).status).toBe(0)
    const web = detached(['-p', '8081:80', BUSYBOX, ...HTTPD])
    // on mini-run's own veth of the default bridge (no port); on a network with names, and an internal one besides
    const quiet = detached([BUSYBOX, 'sleep', '600'])
    const db = detached(['--name', 'db', '--network', 'back', '-p', '8082:80', BUSYBOX, ...HTTPD])
    expect(mr(['network', 'connect', 'inner', db]).status).toBe(0)
    const guard = detached(['--network', 'inner', BUSYBOX, 'sleep', '600'])
    const webIp = mr(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web]).stdout.trim()
    const stopped = mr(['create', BUSYBOX, 'true']).stdout.trim()
    const none = detached(['--network', 'none', BUSYBOX, 'sleep', '600'])
    await until('the page through 8081', () => page(8081) !== '', 15_000)
    await until('the page through 8082', () => page(8082) !== '', 15_000)
    const before = ns.snapshot().rules
    // in order: the pass for published ports first (isolation.ts)
    const isolation = () => ns.exec(['iptables', '-S', 'NETAVARK_ISOLATION_1']).stdout
    const isolationBefore = isolation()
    expect(isolationBefore).toMatch(/^-N NETAVARK_ISOLATION_1\n-A NETAVARK_ISOLATION_1 -m conntrack --ctstate DNAT .*mini-run-published-ports/)

    flush()
    expect(page(8081)).toBe('')

    // one named: its port is back; what cannot be reloaded is said, the rest still done, exit 1
    const one = mr(['network', 'reload', web.slice(0, 12), stopped, none])
    expect(one.stdout).toBe(`${web}\n`)
    expect(one.stderr.split('\n')).toEqual([
      `mini-run: container ${stopped} is not running: only a running container's network can be reloaded`,
      `mini-run: container ${none} has network mode none: no network of its own to reload`,
      '',
    ])
    expect(one.status).toBe(1)
    await until('the page through 8081 again', () => page(8081) === `hello from ${web.slice(0, 12)}\n`, 15_000)
    expect(page(8082)).toBe('')
    expect(isolation()).toMatch(/^-N NETAVARK_ISOLATION_1\n-A NETAVARK_ISOLATION_1 -m conntrack --ctstate DNAT .*mini-run-published-ports/)

    // --all: every running container with a network, each id once; the stopped one and none's passed over
    const all = mr(['network', 'reload', '--all'])
    expect(all.stderr).toBe('')
    expect(all.status).toBe(0)
    expect(all.stdout.trim().split('\n').sort()).toEqual([web, quiet, db, guard].sort())
    await until('the page through 8082 again', () => page(8082) !== '', 15_000)
    expect(page(8081)).toBe(`hello from ${web.slice(0, 12)}\n`)
    expect(resolves('back', 'db')).toBe('found\n')
    expect(resolves('inner', 'db')).toBe('found\n')
    // the fast path's container, on netavark's interface now: the same address, the bridge reached
    expect(mr(['exec', quiet, 'sh', '-c', GET(webIp, 80)]).stdout).toBe(`hello from ${web.slice(0, 12)}\n`)
    // the rules as they were before the flush: the default bridge's masquerade, the isolation, the internal network's fence
    expect(ns.snapshot().rules).toEqual(before)
    expect(isolation()).toBe(isolationBefore)
    expect(before.some((r) => r.includes('MASQUERADE'))).toBe(true)
    expect(before.some((r) => r.startsWith('-A MINI_RUN_INTERNAL'))).toBe(true)

    // what the reload set up goes with the containers: the published ports' rules too
    expect(mr(['rm', '-f', web, quiet, db, guard, stopped, none]).status).toBe(0)
    expect(ns.snapshot().rules.filter((r) => /808[12]/.test(r))).toEqual([])
  })

  it('reload refuses a bad request in podman\'s words, and a container that is not there in Docker\'s', () => {
    const neither = mr(['network', 'reload'])
    expect([neither.status, neither.stderr]).toEqual([1, 'mini-run: you must provide at least one name or id\n'])
    const both = mr(['network', 'reload', '--all', 'x'])
    expect([both.status, both.stderr]).toEqual([1, 'mini-run: --all, --latest and containers cannot be used together\n'])
    const missing = mr(['network', 'reload', 'nothing-here'])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/^mini-run: No such container: nothing-here\n$/i)
    // --latest: the one created last, running on a bridge
    const id = detached([BUSYBOX, 'sleep', '600'])
    const latest = mr(['network', 'reload', '--latest'])
    expect([latest.status, latest.stdout, latest.stderr]).toEqual([0, `${id}\n`, ''])
  })
})
