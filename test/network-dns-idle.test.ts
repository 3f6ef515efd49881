// The stop and start of a network's only container, with aardvark-dns slow
// to exit: netavark's teardown of the last container tells the server to go
// (SIGHUP), and a setup that finds it still running would only signal it
// again, leaving the started container's names with no server once it has
// gone. A setup ends such a server first (src/network/idle-dns.ts), so
// netavark starts a new one. The slow exit is made certain here: the
// server is stopped (SIGSTOP) before the container's stop.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

/** pid exists and has not exited (a zombie has). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat[stat.lastIndexOf(')') + 2] !== 'Z'
  } catch {
    return false
  }
}

describe.skipIf(!isRoot || !netavark)('aardvark-dns that has yet to exit (needs root, netavark and aardvark-dns)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  let stopped: number | undefined

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  })
  afterEach(() => {
    // the server this test stopped, should mini-run have left it
    if (stopped !== undefined && alive(stopped)) {
      process.kill(stopped, 'SIGKILL')
      process.kill(stopped, 'SIGCONT')
    }
    stopped = undefined
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    mr(['network', 'rm', 'dns-idle'])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('the start of its only container gets a new server, and its name resolves', () => {
    expect(mr(['network', 'create', 'dns-idle']).status).toBe(0)
    const run = mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'only', '--network', 'dns-idle', BUSYBOX, 'sleep', '600'])
    expect(run.stderr).toBe('')
    const dns = join(env.stateRoot, 'network', 'aardvark-dns')
    stopped = Number(readFileSync(join(dns, 'aardvark.pid'), 'utf8'))
    expect(alive(stopped)).toBe(true)
    process.kill(stopped, 'SIGSTOP')

    expect(mr(['stop', '-t', '0', 'only']).status).toBe(0)
    // the race's start: the network's file gone, the server there still
    expect(readFileSync(join(dns, 'aardvark.pid'), 'utf8').trim()).toBe(String(stopped))
    expect(alive(stopped)).toBe(true)

    const start = mr(['start', 'only'])
    expect(start.stderr).toBe('')
    expect(start.status).toBe(0)
    expect(alive(stopped)).toBe(false)
    const server = Number(readFileSync(join(dns, 'aardvark.pid'), 'utf8'))
    expect(server).not.toBe(stopped)
    expect(alive(server)).toBe(true)
    const lookup = mr(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', 'dns-idle', BUSYBOX, 'sh', '-c', 'nslookup only >/dev/null 2>&1 && echo resolved || echo unresolved'])
    expect(lookup.stdout).toBe('resolved\n')
  })
})
