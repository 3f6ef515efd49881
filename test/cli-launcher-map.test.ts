// The launcher maps the bundle it runs and its code cache
// (native/map-file.c, build/mini-run-map.node) instead of reading them: the
// bundle's text is a V8 string over the file's pages. Without the addon it
// reads both files as before. Both ways must run the CLI, keep a cache V8
// accepts, and (as root) run a container.
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const PROJECT = new URL('..', import.meta.url).pathname
const ADDON = 'mini-run-map.node'
let dirs: string[] = []

/** A copy of the installed CLI; withAddon false: native/build without the addon. */
function install(withAddon: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-launcher-map-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'dist'))
  mkdirSync(join(dir, 'native', 'build'), { recursive: true })
  for (const f of ['mini-run.cjs', 'mini-run-cli.cjs', 'mini-run-run.cjs', 'mini-run-list.cjs']) copyFileSync(join(PROJECT, 'dist', f), join(dir, 'dist', f))
  symlinkSync(join(PROJECT, 'node_modules'), join(dir, 'node_modules'))
  for (const f of readdirSync(join(PROJECT, 'native', 'build'))) {
    if (withAddon || f !== ADDON) symlinkSync(join(PROJECT, 'native', 'build', f), join(dir, 'native', 'build', f))
  }
  return join(dir, 'dist', 'mini-run.cjs')
}

/** The files of dir/dist that process pid has mapped. */
function mappedDist(pid: number, launcher: string): string[] {
  const dist = launcher.slice(0, launcher.lastIndexOf('/') + 1)
  const files = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((l) => l.slice(l.indexOf('/')))
    .filter((f) => f.startsWith(dist))
    .map((f) => f.slice(dist.length))
  return [...new Set(files)].sort()
}

/**
 * What a foreground `run -i` of `cat` has mapped of dist/ while it runs,
 * and its result once its stdin ends: the container stays up until then.
 */
async function mappedWhileRunning(launcher: string, env: TestEnv): Promise<{ mapped: string[]; status: number | null; stdout: string }> {
  const child = spawn(process.execPath, [launcher, ...env.runArgs(['--network', 'none', '-i', BUSYBOX, 'cat'])], { stdio: ['pipe', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  // the container echoes a line once it runs: the bundle is compiled by then
  child.stdin.write('up\n')
  let mapped: string[]
  try {
    await until('the container to echo its line', () => /^up$/m.test(stdout))
    mapped = mappedDist(child.pid!, launcher)
  } finally {
    child.stdin.end()
  }
  return { mapped, status: await exited, stdout }
}

beforeAll(() => {
  dirs = []
})

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('the launcher maps its bundle and cache (native/map-file.c)', () => {
  it('runs the CLI and keeps the cache V8 accepts, with the addon and without it', () => {
    for (const withAddon of [true, false]) {
      const launcher = install(withAddon)
      const cache = join(launcher, '..', 'mini-run-cli.cjs.cache')
      const help = () => spawnSync(process.execPath, [launcher, '--help'], { encoding: 'utf8' })
      expect({ withAddon, ...help() }).toMatchObject({ withAddon, status: 0, stdout: expect.stringContaining('Usage: mini-run'), stderr: '' })
      const ino = statSync(cache).ino
      expect({ withAddon, ...help() }).toMatchObject({ withAddon, status: 0, stdout: expect.stringContaining('Usage: mini-run') })
      // a cache V8 rejected would be written again: a new file, renamed in
      expect({ withAddon, ino: statSync(cache).ino }).toEqual({ withAddon, ino })
    }
  })

  // preload(paths...) loads libraries on a thread of its own: the launcher
  // has ffi-rs's addon and libminirun.so loaded ahead of the runtime
  it('loads libraries ahead on a thread of its own, and passes over one that will not load', () => {
    const script = `
      const m = { exports: {} }
      process.dlopen(m, ${JSON.stringify(join(PROJECT, 'native', 'build', ADDON))})
      const lib = ${JSON.stringify(join(PROJECT, 'native', 'build', 'libminirun.so'))}
      const loaded = () => require('fs').readFileSync('/proc/self/maps', 'utf8').includes(lib)
      const before = loaded()
      m.exports.preload('/no/such/library.so', lib)
      const until = Date.now() + 5000
      const wait = () => loaded() || Date.now() > until ? console.log(JSON.stringify({ before, after: loaded() })) : setTimeout(wait, 10)
      wait()`
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    expect(r).toMatchObject({ status: 0, stderr: '' })
    expect(JSON.parse(r.stdout)).toEqual({ before: false, after: true })
  })

  // v8Flag, as src/cli/late-scavenge.ts sets V8's scavenge trigger: a
  // young generation filled to 85% gets no scavenge at the event loop's next
  // turns when the task is posted late (90%), and one with V8's default (80%);
  // V8's flag hash, which every code cache is checked against, changes with
  // the late trigger and is as it was once the default is back.
  it("posts V8's scavenge task late, then as before, with V8's flags as they were", () => {
    const script = `
      const v8 = require('v8')
      const m = { exports: {} }
      process.dlopen(m, ${JSON.stringify(join(PROJECT, 'native', 'build', ADDON))})
      const late = process.argv[1] === 'late'
      const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
      const tag = v8.cachedDataVersionTag()
      if (late) m.exports.v8Flag('--minor-gc-task-trigger=90')
      const tagLate = v8.cachedDataVersionTag()
      const keep = []
      const capacity = newSpace().space_size
      for (let used = 0; used < 0.85 * capacity && keep.length < 1e6; ) {
        keep.push(new Array(64).fill(keep.length))
        if (keep.length % 16 === 0) used = newSpace().space_used_size
      }
      const full = newSpace().space_used_size
      let turns = 0
      const turn = () => (++turns < 3 ? setImmediate(turn) : done())
      function done() {
        const after = newSpace().space_used_size
        if (late) m.exports.v8Flag('--minor-gc-task-trigger=80')
        console.log(JSON.stringify({ scavenged: after < full, hashChanged: tagLate !== tag, hashBack: v8.cachedDataVersionTag() === tag }))
      }
      setImmediate(turn)`
    const trial = (mode: string) => {
      const r = spawnSync(process.execPath, ['-e', script, mode], { encoding: 'utf8', timeout: 20_000 })
      expect(r).toMatchObject({ status: 0, stderr: '' })
      return JSON.parse(r.stdout) as unknown
    }
    expect(trial('default')).toEqual({ scavenged: true, hashChanged: false, hashBack: true })
    expect(trial('late')).toEqual({ scavenged: false, hashChanged: true, hashBack: true })
  })

  it.skipIf(!isRoot)('runs a container with the run bundle mapped, or read without the addon (needs root: it starts containers)', async () => {
    const env = await makeTestEnv()
    try {
      for (const withAddon of [true, false]) {
        const launcher = install(withAddon)
        const runCache = join(launcher, '..', 'mini-run-run.cjs.none.cache')
        // the first run writes the cache, the second runs through it
        expect({ withAddon, ...(await mappedWhileRunning(launcher, env)) }).toMatchObject({ withAddon, status: 0, stdout: 'up\n' })
        const ino = statSync(runCache).ino
        const second = await mappedWhileRunning(launcher, env)
        expect({ withAddon, ...second }).toMatchObject({ withAddon, status: 0, stdout: 'up\n' })
        // the cache's mapping goes with its Buffer, at the first GC after the
        // compile: a run that ends without a scavenge (lateScavenge) keeps it
        const mapped = second.mapped.filter((f) => f !== 'mini-run-run.cjs.none.cache')
        expect({ withAddon, mapped }).toEqual({ withAddon, mapped: withAddon ? ['mini-run-run.cjs'] : [] })
        expect({ withAddon, ino: statSync(runCache).ino }).toEqual({ withAddon, ino })
      }
      expect(env.leftovers()).toEqual([])
    } finally {
      env.cleanup()
    }
  })
})
