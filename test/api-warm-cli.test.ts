// `system service` runs each verb as a `mini-run` child started ahead
// (src/api/warm-cli.ts, src/cli/warm-line.ts): Node started and the whole
// CLI loaded, waiting for its line. Such a child must run its line as a
// fresh `mini-run` would (argv, the request's variables, stdin given or
// not, its exit code and error line), and none may outlive the service,
// however it ends.
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWarmPool, stopWarmPool, warmPids, warmSpawn } from '../src/api/warm-cli.js'
import { childPids } from '../src/proc-stat.js'
import { api, startService } from './helpers/api-service.js'
import { LAUNCHER, miniRunAsync } from './helpers/cli.js'
import { BUSYBOX_OCI, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const PROJECT = new URL('..', import.meta.url).pathname
let env: TestEnv
let command: string[]

beforeEach(async () => {
  env = await makeTestEnv({ loadBusybox: false })
  command = [process.execPath, '--', LAUNCHER, '--root', env.storeRoot, '--state', env.stateRoot]
})
afterEach(async () => {
  stopWarmPool()
  await env.cleanup()
})

/** A child's end: its code and output. */
function ended(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()))
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
}

/** The same line through a child started ahead and through a fresh one. */
async function bothWays(args: string[]) {
  startWarmPool(command)
  // the one the last line took is replaced once the pool has been quiet a moment
  let waiting: number[] = []
  await until('two children waiting', () => (waiting = warmPids()).length === 2)
  const child = warmSpawn(command, args, undefined, false)!
  // one of those started ahead, not one started for it
  expect(waiting).toContain(child.pid)
  const warm = await ended(child)
  const cold = await ended(spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  return { warm, cold }
}

const processGone = (pid: number) => !existsSync(`/proc/${pid}`) || /^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))

describe('a child started ahead', () => {
  it('runs its line as a fresh mini-run: argv with the global options, output, exit code', async () => {
    const created = await bothWays(['volume', 'create', 'kept'])
    expect(created.warm).toEqual({ code: 0, stdout: 'kept\n', stderr: '' })
    const listed = await bothWays(['volume', 'ls', '--quiet'])
    expect(listed.warm).toEqual(listed.cold)
    expect(listed.warm.stdout).toBe('kept\n')
    const missing = await bothWays(['rm', 'nosuch'])
    expect(missing.warm.code).toBe(1)
    expect(missing.warm).toEqual(missing.cold)
    expect(missing.warm.stderr).toMatch(/no such container/i)
  })

  it("takes the request's variables, and only that child does", async () => {
    const config = join(env.dir, 'docker-config')
    mkdirSync(config)
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { 'localhost:5999': { auth: Buffer.from('u:p').toString('base64') } } }))
    startWarmPool(command)
    const out = await ended(warmSpawn(command, ['logout', 'localhost:5999'], { DOCKER_CONFIG: config }, false)!)
    expect(out).toEqual({ code: 0, stdout: 'Removing login credentials for localhost:5999\n', stderr: '' })
    expect(JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')).auths).toEqual({})
    // the next child has the service's own environment again
    const next = await ended(warmSpawn(command, ['logout', 'localhost:5999'], undefined, false)!)
    expect(next.stdout).toBe('Not logged in to localhost:5999\n')
  })

  it('reads the stdin it is given, and finds it ended when it is given none', async () => {
    startWarmPool(command)
    const load = warmSpawn(command, ['load'], undefined, true)!
    const tar = spawn('tar', ['-C', BUSYBOX_OCI, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] })
    tar.stdout.pipe(load.stdin!)
    const loaded = await ended(load)
    expect(loaded.code).toBe(0)
    expect(loaded.stdout).toMatch(/^Loaded image/m)
    // no input: it ends at once with load's error, as with a fresh one's empty stdin
    const empty = await ended(warmSpawn(command, ['load'], undefined, false)!)
    expect(empty.code).not.toBe(0)
    expect(empty.stderr).toMatch(/^mini-run: /)
  })

  it('is handed out once; a pool for other global options hands out none', async () => {
    startWarmPool(command)
    const first = warmSpawn(command, ['version'], undefined, false)!
    const second = warmSpawn(command, ['version'], undefined, false)!
    expect(first.pid).not.toBe(second.pid)
    // none left to hand out, and no replacement while lines are still coming
    expect(warmPids()).toEqual([])
    expect(warmSpawn(command, ['version'], undefined, false)).toBeUndefined()
    await Promise.all([ended(first), ended(second)])
    await until('the two replaced once quiet', () => warmPids().length === 2)
    expect(warmSpawn([...command.slice(0, -1), join(env.dir, 'other-state')], ['version'], undefined, false)).toBeUndefined()
  })

  it("keeps the code cache V8 accepts: a second run of a verb leaves it as the first wrote it", async () => {
    // a copy of the install, whose dist/ no other test writes
    const copy = join(env.dir, 'install')
    mkdirSync(join(copy, 'dist'), { recursive: true })
    mkdirSync(join(copy, 'native'))
    for (const f of ['mini-run.cjs', 'mini-run-cli.cjs', 'mini-run-run.cjs', 'mini-run-list.cjs']) copyFileSync(join(PROJECT, 'dist', f), join(copy, 'dist', f))
    symlinkSync(join(PROJECT, 'node_modules'), join(copy, 'node_modules'))
    symlinkSync(join(PROJECT, 'native', 'build'), join(copy, 'native', 'build'))
    const own = [process.execPath, '--', join(copy, 'dist', 'mini-run.cjs'), ...command.slice(3)]
    const cache = join(copy, 'dist', 'mini-run-cli.cjs.warm.cache')
    // a pool's life: one run of volume ls, then the pool stopped and its children gone
    const session = async () => {
      startWarmPool(own)
      let pids: number[] = []
      await until('two children waiting', () => (pids = warmPids()).length === 2)
      expect(await ended(warmSpawn(own, ['volume', 'ls'], undefined, false)!)).toMatchObject({ code: 0 })
      stopWarmPool()
      await until('the children gone', () => pids.every(processGone))
    }
    // the first writes the cache; the second's children loaded it, and one adds its verb
    await session()
    await session()
    expect(readFileSync(cache, 'latin1').split('\n')[1]!.trim()).toBe('volume')
    const written = statSync(cache)
    // the third's children find it whole: none writes it again (with V8's flags left changed, each would)
    await session()
    expect(statSync(cache).ino).toBe(written.ino)
    expect(statSync(cache).mtimeMs).toBe(written.mtimeMs)
  })

  it('ends, unused, when the pool stops', async () => {
    startWarmPool(command)
    const pids = warmPids()
    expect(pids).toHaveLength(2)
    stopWarmPool()
    await until('the waiting children to exit', () => pids.every(processGone))
    expect(warmSpawn(command, ['version'], undefined, false)).toBeUndefined()
  })
})

describe('the service', () => {
  /** The service's children waiting for a line (their environment names the pipe). */
  const waitingChildren = (pid: number) => childPids(pid).filter((kid) => {
    try {
      return readFileSync(`/proc/${kid}/environ`, 'utf8').split('\0').includes('MINI_RUN_WARM_FD=3')
    } catch {
      return false
    }
  })

  it('keeps two children waiting, and ends them when it ends', async () => {
    const service = await startService(env)
    let pids: number[] = []
    await until('two children waiting', () => (pids = waitingChildren(service.pid)).length === 2)
    const r = await service.stop()
    expect(r.status).toBe(0)
    await until('the waiting children to exit', () => pids.every(processGone))
  })

  it("runs a request's verb in a child that was waiting, and starts another in its place", async () => {
    const service = await startService(env)
    try {
      let before: number[] = []
      await until('two children waiting', () => (before = waitingChildren(service.pid)).length === 2)
      expect((await api(service.socket, 'POST', '/volumes/create', { Name: 'through-a-waiting-one' })).status).toBe(201)
      expect(env.run(['volume', 'ls', '-q']).stdout).toBe('through-a-waiting-one\n')
      // a waiting child ends only with its line or the service: one of them ran the create
      await until('one used and replaced', () => {
        const now = waitingChildren(service.pid)
        return now.length === 2 && before.filter((pid) => now.includes(pid)).length === 1
      })
    } finally {
      await service.stop()
    }
  })

  it('killed outright, leaves none waiting: their pipe ends with it', async () => {
    const service = await startService(env)
    let pids: number[] = []
    await until('two children waiting', () => (pids = waitingChildren(service.pid)).length === 2)
    process.kill(service.pid, 'SIGKILL')
    await service.ended
    await until('the waiting children to exit', () => pids.every(processGone))
  })

  it('keeps as many waiting as MINI_RUN_SERVICE_WARM says, none for 0; a value that is no number is refused in one line', async () => {
    const serve = (value: string) => {
      const socket = join(env.dir, `warm-${value || 'empty'}.sock`)
      const run = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'system', 'service', '--time', '0', `unix://${socket}`], { env: { ...process.env, MINI_RUN_SERVICE_WARM: value } })
      return { socket, ...run }
    }
    const none = serve('0')
    try {
      await until('the service to answer', () => api(none.socket, 'GET', '/_ping').then((r) => r.status === 200, () => false))
      // it answers, and a verb it runs still works: one started for it
      expect((await api(none.socket, 'POST', '/volumes/create', { Name: 'cold' })).status).toBe(201)
      expect(waitingChildren(none.child.pid!)).toEqual([])
    } finally {
      none.child.kill('SIGTERM')
      await none.done
    }
    const three = serve('3')
    try {
      await until('three children waiting', () => waitingChildren(three.child.pid!).length === 3)
    } finally {
      three.child.kill('SIGTERM')
      await three.done
    }
    const bad = serve('many')
    const r = await bad.done
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: MINI_RUN_SERVICE_WARM=many: not a number of children (0-99)\n')
    expect(existsSync(bad.socket)).toBe(false)
  })
})
