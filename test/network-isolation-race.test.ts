// The pass for published ports at the head of NETAVARK_ISOLATION_1
// (src/network/isolation.ts) while containers come and go on several
// networks at once. A teardown reads the chain and, with its network's rule
// gone and the pass alone left, deletes the pass; a start on another
// network that put its rule and the pass back in between must not lose the
// pass to that stale read: the container there could no longer reach a port
// published by one on another network. The race is held open at a pause
// point (src/crash-point.ts: 'isolation:after-read'). Everything runs in a
// network namespace of the test's own (helpers/netns.ts), with no container
// on the default bridge: its anchor would keep a rule in the chain, and the
// pass would never be alone.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { GET, HTTPD, makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
/** A page from host:port, five tries (the server may still be starting), else "unreachable". */
const GET5 = (host: string, port: number) => `for i in 1 2 3 4 5; do out=$(${GET(host, port)}); [ -n "$out" ] && echo "$out" && exit 0; sleep 0.3; done; echo unreachable`
const PASS = '--comment mini-run-published-ports'

describe.skipIf(!isRoot || !netavark)('network: the isolation chain under concurrent starts and stops (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let release: string
  const g = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const mr = (args: string[]) => ns.miniRun([...g(), ...args])
  const runArgs = (args: string[]) => [...g(), 'run', '--cgroup-parent', env.cgroupParent, ...args]
  /** NETAVARK_ISOLATION_1's rules, in order. */
  const chain = () => ns.exec(['iptables', '-S', 'NETAVARK_ISOLATION_1']).stdout.split('\n').filter((l) => l.startsWith('-A '))
  /**
   * Whether process pid waits in flock(2) for the isolation lock (isolation.ts), held by the paused
   * teardown: on its file, or on another lock whose holder does (a start can queue behind the other
   * one). /proc/locks (proc(5)): each lock's holder, each blocked request ("->") its waiter, by pid,
   * with the file as major:minor:inode (hex, hex, decimal).
   */
  const waitsForIsolationLock = (pid: number) => {
    let lock: { dev: number; ino: number }
    try {
      lock = statSync(join(env.stateRoot, 'isolation.lock'))
    } catch {
      return false
    }
    const hex = (n: number) => n.toString(16).padStart(2, '0')
    const isolation = `${hex((lock.dev >> 8) & 0xfff)}:${hex((lock.dev & 0xff) | ((lock.dev >> 12) & 0xfff00))}:${lock.ino}`
    const waiting = new Map<number, string>()
    const holder = new Map<string, number>()
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const m = /^\d+:\s+(->\s+)?FLOCK\s+\S+\s+\S+\s+(\d+)\s+(\S+)\s/.exec(line)
      if (m?.[1]) waiting.set(Number(m[2]), m[3]!)
      else if (m) holder.set(m[3]!, Number(m[2]))
    }
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 8; hops++) {
      const file = waiting.get(p)
      if (file === undefined) return false
      if (file === isolation) return true
      p = holder.get(file)
    }
    return false
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    release = join(env.dir, 'release')
  })
  afterEach(() => {
    // a failed test must not leave a runtime waiting
    writeFileSync(release, '')
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('a teardown that read "the pass is alone" does not delete it after starts on other networks put it back in front', async () => {
    mr(['network', 'create', '--subnet', '10.93.30.0/24', 'race-a'])
    mr(['network', 'create', '--subnet', '10.93.31.0/24', 'race-b'])
    mr(['network', 'create', '--subnet', '10.93.32.0/24', 'race-c'])
    rmSync(release, { force: true })
    rmSync(`${release}.paused`, { force: true })
    const pause = { ...process.env, MINI_RUN_PAUSE_AT: 'isolation:after-read', MINI_RUN_PAUSE_FILE: release }
    const leaving = ns.miniRunAsync(runArgs(['--rm', '--network', 'race-a', BUSYBOX, 'true']), pause)
    await until('the teardown to read the isolation chain', () => existsSync(`${release}.paused`), 30_000)
    // what it read: race-a's rule gone with its last container, the pass alone
    expect(chain()).toEqual([expect.stringContaining(PASS)])
    // first containers of two more networks: each setup puts its network's rule first, and the pass back in front
    const server = ns.miniRunAsync(runArgs(['-d', '--network', 'race-b', '-p', '8097:80', BUSYBOX, ...HTTPD]))
    const client = ns.miniRunAsync(runArgs(['-d', '--network', 'race-c', BUSYBOX, 'sleep', '120']))
    // they wait for the paused teardown (the isolation lock): until each is blocked on it, or behind the
    // other; unlocked, they would finish first, and one that does counts as done waiting
    const finished = new Set<unknown>()
    for (const started of [server, client]) void started.done.then(() => finished.add(started))
    await until('both starts to wait for the isolation lock (or to finish)', () => [server, client].every((s) => finished.has(s) || waitsForIsolationLock(s.child.pid!)), 60_000)
    writeFileSync(release, '')
    const [left, started, waiting] = await Promise.all([leaving.done, server.done, client.done])
    for (const r of [left, started, waiting]) expect([r.status, r.stderr]).toEqual([0, ''])
    const rules = chain()
    expect(rules[0]).toContain(PASS)
    expect(rules.filter((l) => l.includes(PASS))).toHaveLength(1)
    const hello = `hello from ${started.stdout.trim().slice(0, 12)}\n`
    // at the host's address as race-c's gateway, across the isolation
    expect(mr(['exec', waiting.stdout.trim(), 'sh', '-c', GET5('10.93.32.1', 8097)]).stdout).toBe(hello)
    expect(existsSync(join(env.stateRoot, 'isolation.lock'))).toBe(false)
  }, 120_000)

  it('under many concurrent starts and stops on two networks: no pass left alone, then the pass in front and the port reached across', async () => {
    mr(['network', 'create', '--subnet', '10.93.33.0/24', 'churn-a'])
    mr(['network', 'create', '--subnet', '10.93.34.0/24', 'churn-b'])
    const failures: string[] = []
    const worker = async (net: string) => {
      for (let i = 0; i < 5; i++) {
        const r = await ns.miniRunAsync(runArgs(['--rm', '--network', net, BUSYBOX, 'true'])).done
        if (r.status !== 0 || r.stderr !== '') failures.push(`${net}: ${r.status} ${r.stderr}`)
      }
    }
    await Promise.all(['churn-a', 'churn-b', 'churn-a', 'churn-b'].map(worker))
    expect(failures).toEqual([])
    // no container: no network's rule, and the pass went with the last one
    expect(chain()).toEqual([])
    // both networks' first containers at once
    const [server, client] = await Promise.all([
      ns.miniRunAsync(runArgs(['-d', '--network', 'churn-a', '-p', '8098:80', BUSYBOX, ...HTTPD])).done,
      ns.miniRunAsync(runArgs(['-d', '--network', 'churn-b', BUSYBOX, 'sleep', '120'])).done,
    ])
    for (const r of [server, client]) expect([r.status, r.stderr]).toEqual([0, ''])
    // a second container on a network that is up: its setup leaves the chain as it was
    const again = ns.miniRun(runArgs(['-d', '--network', 'churn-b', BUSYBOX, 'sleep', '120']))
    expect(again.status).toBe(0)
    const rules = chain()
    expect(rules[0]).toContain(PASS)
    expect(rules.filter((l) => l.includes(PASS))).toHaveLength(1)
    expect(mr(['exec', client.stdout.trim(), 'sh', '-c', GET5('10.93.34.1', 8098)]).stdout).toBe(`hello from ${server.stdout.trim().slice(0, 12)}\n`)
    expect(existsSync(join(env.stateRoot, 'isolation.lock'))).toBe(false)
  }, 180_000)
})
