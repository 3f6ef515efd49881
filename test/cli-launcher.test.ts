// dist/mini-run.cjs (src/cli/launcher.cts) runs the bundled CLI through V8's
// code cache: it must work with no cache, a good one or a bad one, write a
// cache when it has none or V8 rejects it, and leave a good one alone.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv } from './helpers/test-env.js'
import { buildStaticHelper, hasGcc } from './helpers/static-c.js'

const PROJECT = new URL('..', import.meta.url).pathname
const WHOLE_CLI = join(PROJECT, 'test', 'helpers', 'whole-cli.cjs')
// the kernel's initial pid namespace (PROC_PID_INIT_INO), where exitNow asks mr_exit for its helper
const inInitialPidNamespace = readlinkSync('/proc/self/ns/pid') === 'pid:[4026531836]'
let dir: string
let launcher: string
let cache: string

/** A code cache's second line: the verbs it was written after a whole run of. */
function cacheMark(file: string): string | undefined {
  return readFileSync(file, 'latin1').split('\n')[1]?.trimEnd()
}

/**
 * Where a cache's V8 data starts, after its two lines: at a multiple of 8
 * (the second line is padded), or V8 copies the whole of it at every start.
 */
function cacheDataOffset(file: string): number {
  const text = readFileSync(file, 'latin1')
  return text.indexOf('\n', text.indexOf('\n') + 1) + 1
}

/** fn with --root and --state in a temporary directory of its own, removed after. */
function withTempRoots(fn: (roots: string[]) => void): void {
  const state = mkdtempSync(join(tmpdir(), 'mini-run-launcher-roots-'))
  try {
    fn(['--root', join(state, 'store'), '--state', join(state, 'state')])
  } finally {
    rmSync(state, { recursive: true, force: true })
  }
}

function runCli(...args: string[]): string {
  return execFileSync(process.execPath, [launcher, ...args], { encoding: 'utf8' })
}

beforeAll(() => {
  // a copy of the installed CLI with its own cache file
  dir = mkdtempSync(join(tmpdir(), 'mini-run-launcher-'))
  mkdirSync(join(dir, 'dist'))
  mkdirSync(join(dir, 'native'))
  for (const f of ['mini-run.cjs', 'mini-run-cli.cjs', 'mini-run-run.cjs', 'mini-run-list.cjs', 'mini-run-verb-run.cjs']) copyFileSync(join(PROJECT, 'dist', f), join(dir, 'dist', f))
  symlinkSync(join(PROJECT, 'node_modules'), join(dir, 'node_modules'))
  symlinkSync(join(PROJECT, 'native', 'build'), join(dir, 'native', 'build'))
  launcher = join(dir, 'dist', 'mini-run.cjs')
  cache = join(dir, 'dist', 'mini-run-cli.cjs.cache')
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('the CLI launcher', () => {
  it("makes one ES view of each CommonJS module per bundle: esbuild's __toESM, wrapped by scripts/bundle.mjs", () => {
    const cli = readFileSync(join(PROJECT, 'dist', 'mini-run-cli.cjs'), 'latin1')
    const wrapper = cli.indexOf('var __lazyBuiltin=Symbol.for("mini-run.lazy-builtin"),__toESMSeen=new WeakMap,__toESM=(mod,isNodeMode)=>')
    const copy = cli.search(/var __toESMCopy=\(mod,isNodeMode,\w+\)=>/)
    expect({ wrapper: wrapper >= 0, copy: copy >= 0, unwrapped: /var __toESM=\(mod,isNodeMode,\w+\)=>/.test(cli) }).toEqual({ wrapper: true, copy: true, unwrapped: false })
    // defined before the first module calls it
    expect(wrapper).toBeLessThan(cli.indexOf('__toESM(require'))
    // the start path's bundles have short names (scripts/bundle.mjs shortNames): the wrapper by its shape
    for (const f of ['mini-run-run.cjs', 'mini-run-list.cjs']) {
      const text = readFileSync(join(PROJECT, 'dist', f), 'latin1')
      // a lazy builtin's stand-in (its own view) is given back as it is
      const shape = /([\w$]+)=Symbol\.for\("mini-run\.lazy-builtin"\),([\w$]+)=new WeakMap,([\w$]+)=\(([\w$]+),([\w$]+)\)=>\{if\(\4==null\|\|typeof \4!="object"&&typeof \4!="function"\)return ([\w$]+)\(\4,\5\);if\(\4\[\1\]===!0\)return \4;let ([\w$]+)=\2\.get\(\4\);return \7\|\|\2\.set\(\4,\7=\[\]\),\7\[\5\?1:0\]\?\?=\6\(\4,\5\)\}/.exec(text)
      expect(shape, f).not.toBeNull()
      const [, , , toEsm, , , copyName] = shape!
      // calls, not a method of that name another module defines (commander's Option#is): `name(a,b){`
      const calls = (name: string) =>
        [...text.matchAll(new RegExp(`(?<![\\w$.])${name.replace('$', '\\$')}\\((?![\\w$,]*\\)\\{)`, 'g'))].length
      // the copy is made only by the wrapper, which the modules call
      expect({ f, copies: calls(copyName!), used: calls(toEsm!) > 2 }).toEqual({ f, copies: 2, used: true })
      expect(shape!.index, f).toBeLessThan(text.search(new RegExp(`(?<![\\w$.])${toEsm!.replace('$', '\\$')}\\([\\w$]+\\(`)))
      // and esbuild's names are gone, but for the errors' own (src/errors.ts)
      expect({ f, long: text.includes('__toESM') || text.includes('init_prepare'), named: text.includes('name="UsageError"') }).toEqual({ f, long: false, named: true })
    }
  })

  it('runs without a cache and leaves one behind', () => {
    rmSync(cache, { force: true })
    expect(runCli('--help')).toContain('Usage: mini-run')
    expect(existsSync(cache)).toBe(true)
    expect(statSync(cache).size).toBeGreaterThan(1000)
  })

  it('keeps a cache that V8 accepts', () => {
    runCli('--help')
    const before = statSync(cache)
    expect(runCli('--help')).toContain('Usage: mini-run')
    // a rewrite is a rename of a new file: the inode would change
    expect(statSync(cache).ino).toBe(before.ino)
  })

  it('replaces a cache that V8 rejects, and still runs', () => {
    const garbage = Buffer.alloc(4096, 0x5a)
    writeFileSync(cache, garbage)
    expect(runCli('--help')).toContain('Usage: mini-run')
    const written = readFileSync(cache)
    expect(written.equals(garbage)).toBe(false)
    // and that one is accepted
    const ino = statSync(cache).ino
    runCli('--help')
    expect(statSync(cache).ino).toBe(ino)
  })

  it('does not run a cache made for another bundle of the same length (V8 checks only the length)', () => {
    runCli('--help')
    const bundle = join(dir, 'dist', 'mini-run-cli.cjs')
    const original = readFileSync(bundle, 'latin1')
    expect(original).toContain('display help for command')
    // the same length, other code: what a hot-fixed or redeployed bundle is
    writeFileSync(bundle, original.replaceAll('display help for command', 'DISPLAY HELP FOR COMMAND'), 'latin1')
    try {
      expect(runCli('--help')).toContain('DISPLAY HELP FOR COMMAND')
    } finally {
      writeFileSync(bundle, original, 'latin1')
    }
  })

  it('passes argv and the exit status through', () => {
    let status: number | undefined
    let stderr = ''
    try {
      execFileSync(process.execPath, [launcher, 'run', '--no-such-flag'], { encoding: 'utf8', stdio: 'pipe' })
    } catch (err) {
      status = (err as { status: number }).status
      stderr = (err as { stderr: string }).stderr
    }
    expect(status).toBe(125)
    // Docker's two lines, not the whole usage
    expect(stderr).toBe("unknown flag: --no-such-flag\nSee 'mini-run run --help'.\n")
  })

  it('refuses a Docker command mini-run does not have in one line, rather than pull an image of that name', () => {
    withTempRoots((roots) => {
      for (const verb of ['search', 'swarm', 'trust']) {
        let status: number | undefined
        let stderr = ''
        try {
          execFileSync(process.execPath, [launcher, ...roots, verb, 'c1'], { encoding: 'utf8', stdio: 'pipe' })
        } catch (err) {
          status = (err as { status: number }).status
          stderr = (err as { stderr: string }).stderr
        }
        expect({ verb, status, stderr }).toEqual({ verb, status: 1, stderr: `mini-run: "${verb}" is a Docker command that mini-run does not have (an image of that name runs with: mini-run run ${verb})\n` })
      }
    })
  })

  // A foreground run's bundle (dist/mini-run-run.cjs) has no cache from the
  // build: the first run that starts a container writes one holding its
  // whole path; a run that fails before leaves only a partial one, which the
  // next full run replaces once. (The listing bundle's, likewise, once per verb.)
  it.skipIf(!isRoot)('leaves a run bundle cache of a whole run, once (needs root: it starts containers)', async () => {
    const env = await makeTestEnv()
    // one cache per network path (launcher.cts, runCacheName): --network none's
    const runCache = join(dir, 'dist', 'mini-run-run.cjs.none.cache')
    const run = (...args: string[]) =>
      execFileSync(process.execPath, [launcher, ...env.runArgs(['--network', 'none', ...args])], { encoding: 'utf8', stdio: 'pipe' })
    const mark = () => cacheMark(runCache)
    try {
      rmSync(runCache, { force: true })
      expect(() => run('--pull', 'never', 'localhost/test/no-such-image:latest', 'true')).toThrow(/no-such-image/)
      expect(mark()).toBe('')
      expect(run(BUSYBOX, 'echo', 'ran')).toBe('ran\n')
      expect(mark()).toBe('run')
      expect(cacheDataOffset(runCache) % 8).toBe(0)
      const ino = statSync(runCache).ino
      expect(run(BUSYBOX, 'echo', 'again')).toBe('again\n')
      expect(() => run('--pull', 'never', 'localhost/test/no-such-image:latest', 'true')).toThrow()
      expect(statSync(runCache).ino).toBe(ino)
      // the host network's path has a cache of its own, and leaves none's alone
      const hostCache = join(dir, 'dist', 'mini-run-run.cjs.host.cache')
      rmSync(hostCache, { force: true })
      expect(execFileSync(process.execPath, [launcher, ...env.runArgs(['--network=host', BUSYBOX, 'echo', 'host'])], { encoding: 'utf8' })).toBe('host\n')
      expect(cacheMark(hostCache)).toBe('run')
      expect(statSync(runCache).ino).toBe(ino)
      expect(existsSync(join(dir, 'dist', 'mini-run-run.cjs.cache'))).toBe(false)
      // and a --rootfs run's path one more
      expect(run('--read-only', '--rootfs', BUSYBOX_ROOTFS, 'echo', 'rootfs')).toBe('rootfs\n')
      expect(cacheMark(join(dir, 'dist', 'mini-run-run.cjs.none-rootfs.cache'))).toBe('run')
      expect(statSync(runCache).ino).toBe(ino)
      expect(env.leftovers()).toEqual([])
    } finally {
      env.cleanup()
    }
  })

  // Once the run bundle's cache is written, a run moves V8's scavenge trigger
  // (src/cli/late-scavenge.ts), a V8 flag that every code cache is checked
  // against: it must be back before anything else compiles. A runc command
  // line (--debug, a config.json where it runs) goes from the run bundle to
  // the run verb's own and on to the whole CLI, whose caches must still be
  // accepted (not rewritten, then rejected by the next run); an error line
  // (process.stderr made on the way) and a missing command still say what
  // they must.
  it.skipIf(!isRoot)("puts V8's flags back before another bundle, a cache or an error line (needs root: it starts containers)", async () => {
    const env = await makeTestEnv()
    const cwd = mkdtempSync(join(tmpdir(), 'mini-run-launcher-runc-'))
    try {
      const verbRunCache = join(dir, 'dist', 'mini-run-verb-run.cjs.cache')
      const cliRunCache = join(dir, 'dist', 'mini-run-cli.cjs.run.cache')
      for (const f of [verbRunCache, cliRunCache]) rmSync(f, { force: true })
      const runLine = env.runArgs(['--network', 'none', '--rootfs', BUSYBOX_ROOTFS, 'true'])
      const globals = runLine.slice(0, runLine.indexOf('run'))
      // the run verb's cache, written by a plan (--explain), then the run bundle's, after a whole run
      execFileSync(process.execPath, [launcher, ...globals, 'run', '--explain', '--rootfs', '/', '/bin/true'], { stdio: 'ignore' })
      expect(cacheMark(verbRunCache)).toBe('run')
      for (let i = 0; i < 2; i++) execFileSync(process.execPath, [launcher, ...runLine], { stdio: 'ignore' })
      expect(cacheMark(join(dir, 'dist', 'mini-run-run.cjs.none-rootfs.cache'))).toBe('run')
      const ino = statSync(verbRunCache).ino
      writeFileSync(join(cwd, 'config.json'), '{}')
      const runc = () => spawnSync(process.execPath, [launcher, '--debug', ...runLine], { cwd, encoding: 'utf8' })
      expect(runc().status).not.toBe(0)
      expect(statSync(verbRunCache).ino).toBe(ino)
      // the whole CLI's cache of the line, written by its first run, and accepted by the next
      const cliIno = statSync(cliRunCache).ino
      expect(runc().status).not.toBe(0)
      expect(statSync(cliRunCache).ino).toBe(cliIno)
      execFileSync(process.execPath, [launcher, ...globals, 'run', '--explain', '--rootfs', '/', '/bin/true'], { stdio: 'ignore' })
      expect(statSync(verbRunCache).ino).toBe(ino)
      const missing = spawnSync(process.execPath, [launcher, ...env.runArgs(['--network', 'none', '--rootfs', BUSYBOX_ROOTFS, '/no/such/command'])], { encoding: 'utf8' })
      expect({ status: missing.status, stderr: missing.stderr }).toMatchObject({ status: 127, stderr: expect.stringMatching(/\/no\/such\/command/) })
      expect(env.leftovers()).toEqual([])
    } finally {
      rmSync(cwd, { recursive: true, force: true })
      env.cleanup()
    }
  })

  // The listing bundle holds ps, images and inspect: each verb leaves a cache
  // of its own, marked with it once it went the whole way, and reads only that.
  it('leaves one listing cache per verb', () => {
    const listCache = (verb: string) => join(dir, 'dist', `mini-run-list.cjs.${verb}.cache`)
    withTempRoots((roots) => {
      for (const verb of ['ps', 'images', 'inspect']) rmSync(listCache(verb), { force: true })
      expect(runCli(...roots, 'ps', '-a')).toMatch(/^CONTAINER ID/)
      expect(cacheMark(listCache('ps'))).toBe('ps')
      expect(existsSync(listCache('images'))).toBe(false)
      expect(runCli(...roots, 'images')).toMatch(/^REPOSITORY/)
      expect(cacheMark(listCache('images'))).toBe('images')
      for (const verb of ['ps', 'images']) expect({ verb, offset: cacheDataOffset(listCache(verb)) % 8 }).toEqual({ verb, offset: 0 })
      const ino = statSync(listCache('ps')).ino
      runCli(...roots, 'ps')
      expect(statSync(listCache('ps')).ino).toBe(ino)
      expect(existsSync(join(dir, 'dist', 'mini-run-list.cjs.cache'))).toBe(false)
    })
  })

  // Every other verb runs from a bundle of its own (verb-main.ts), through a cache written at its first
  // run and again, once, after its first run that exits 0; without that bundle (a copy of a few of
  // dist/'s files, an older install), from the whole CLI, through a cache of the verb's own
  it("leaves a verb's bundle its cache, marked after a run that exits 0, and runs the verb without one", () => {
    const verbBundle = join(dir, 'dist', 'mini-run-verb-volume.cjs')
    const verbCache = `${verbBundle}.cache`
    const wholeCache = join(dir, 'dist', 'mini-run-cli.cjs.volume.cache')
    const mark = () => cacheMark(verbCache)
    withTempRoots((roots) => {
      copyFileSync(join(PROJECT, 'dist', 'mini-run-verb-volume.cjs'), verbBundle)
      for (const f of [verbCache, wholeCache]) rmSync(f, { force: true })
      // help, and the group named alone, exit 0 without the verb's action: no whole run
      expect(runCli(...roots, 'volume', '--help')).toMatch(/^Usage: mini-run volume/)
      expect(mark()).toBe('')
      expect(spawnSync(process.execPath, [launcher, ...roots, 'volume'], { encoding: 'utf8' }).status).toBe(0)
      expect(mark()).toBe('')
      const failed = spawnSync(process.execPath, [launcher, ...roots, 'volume', 'rm', 'no-such-volume'], { encoding: 'utf8' })
      expect({ status: failed.status, stderr: failed.stderr }).toEqual({ status: 1, stderr: 'mini-run: no such volume: no-such-volume\n' })
      expect(mark()).toBe('')
      expect(runCli(...roots, 'volume', 'ls')).toMatch(/^DRIVER/)
      expect(mark()).toBe('volume')
      expect(cacheDataOffset(verbCache) % 8).toBe(0)
      const ino = statSync(verbCache).ino
      runCli(...roots, 'volume', 'ls')
      expect(statSync(verbCache).ino).toBe(ino)
      expect(existsSync(wholeCache)).toBe(false)
      rmSync(verbBundle)
      expect(runCli(...roots, 'volume', 'ls')).toMatch(/^DRIVER/)
      expect(cacheMark(wholeCache)).toBe('volume')
      // --help has no verb: the plain cache
      expect(existsSync(join(dir, 'dist', 'mini-run-cli.cjs.--help.cache'))).toBe(false)
    })
  })

  // The listing lines the launcher parses itself (src/cli/list-line.ts) must
  // print, say and exit as the whole CLI, which parses them with commander.
  it('prints, says and exits on a listing line as the whole CLI does', () => {
    // the whole CLI's bundle runs only under a caller (test/helpers/whole-cli.cjs)
    const run = (entry: string, args: string[]) => {
      const r = spawnSync(process.execPath, [...(entry === 'mini-run-cli.cjs' ? [WHOLE_CLI] : []), join(dir, 'dist', entry), ...args], { encoding: 'utf8' })
      return { status: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    copyFileSync(join(PROJECT, 'dist', 'mini-run-cli.cjs'), join(dir, 'dist', 'mini-run-cli.cjs'))
    withTempRoots((roots) => {
      const lines = [
        ['ps'], ['ps', '-a'], ['ps', '-aq', '--no-trunc'], ['ps', '--format', 'json'], ['ps', '--format={{.Names}}'], ['ps', '-s', '-l'],
        ['images'], ['images', '-q', 'alpine'], ['images', '--digests'], ['images', 'bad::ref'],
        ['inspect', 'nope'], ['inspect', '-f', '{{.Id}}', 'a', 'b'], ['inspect', '--format={{{.Id}}', 'x'],
        // and lines the launcher leaves to commander
        ['ps', '--bogus'], ['inspect'], ['images', 'a', 'b'], ['ps', '-n', 'x'],
      ]
      for (const line of lines) {
        const args = [...roots, ...line]
        expect({ line, ...run('mini-run.cjs', args) }).toEqual({ line, ...run('mini-run-cli.cjs', args) })
      }
    })
  })

  // The run bundle's line ends the process with _exit(2) once the run's
  // result is out (launcher.cts, exitWithoutTeardown): what reaches the
  // caller must be what Node's own exit gave, code, error line and output.
  it.skipIf(!isRoot)('ends a foreground run with its exit code, its error line and all of its output (needs root: it starts containers)', async () => {
    const env = await makeTestEnv()
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, [launcher, ...env.runArgs(['--network', 'none', ...args])], { encoding: 'utf8', input: input ?? '', maxBuffer: 1 << 24 })
    const shell = (script: string, args: string[] = []) =>
      spawnSync('sh', ['-c', script, 'sh', process.execPath, launcher, ...env.runArgs(['--network', 'none', ...args])], { encoding: 'utf8', maxBuffer: 1 << 24 })
    const seq = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('')
    try {
      expect(run([BUSYBOX, 'true'])).toMatchObject({ status: 0, stdout: '', stderr: '' })
      expect(run([BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 3'])).toMatchObject({ status: 3, stdout: 'out\n', stderr: 'err\n' })
      // 128 + the signal (pid 1 of the container cannot be killed from inside: its child is)
      expect(run([BUSYBOX, 'sh', '-c', 'sh -c \'kill -9 $$\'; exit $?'])).toMatchObject({ status: 137 })
      const missing = run(['--pull', 'never', 'localhost/test/no-such-image:latest', 'true'])
      expect(missing.status).toBe(125)
      expect(missing.stderr).toMatch(/^mini-run: [^\n]*no-such-image[^\n]*\n$/)
      expect(run([BUSYBOX, '/no/such/command'])).toMatchObject({ status: 127, stderr: 'mini-run: exec "/no/such/command": no such file or directory\n' })
      expect(run([BUSYBOX, '/etc'])).toMatchObject({ status: 126 })
      // the container writes to the pipe itself
      expect(run([BUSYBOX, 'seq', '1', '20000'])).toMatchObject({ status: 0, stdout: seq })
      // with -t the runtime writes the container's output through
      // process.stdout: into a pipe nobody reads for a while, most of it is
      // still queued in Node when the container ends, and must not be lost.
      // (The sleep lets the pty's last output reach its master before the
      // container's end hangs it up: Linux may drop what is still in flight.)
      const slow = shell('"$@" | { sleep 1.5; cat; }', ['-t', BUSYBOX, 'sh', '-c', 'seq 1 20000; sleep 0.5'])
      expect(slow.status).toBe(0)
      expect(slow.stdout).toBe(seq.replaceAll('\n', '\r\n'))
      expect(env.leftovers()).toEqual([])
    } finally {
      env.cleanup()
    }
  })

  // A builtin that Node's start did not load costs a compile of its internal
  // modules at its first use: the `performance` global alone loads nine
  // (perf_hooks, 1.4 ms of a run), node:os 0.35 ms. A foreground run loads
  // vm (the launcher) and the signal handle of its SIGCHLD watch, and
  // nothing else.
  it.skipIf(!isRoot)("loads no builtin module in a foreground run beyond vm and the signal handle (needs root: it starts containers)", async () => {
    const env = await makeTestEnv()
    let out: string | undefined
    const loaded = (args: string[]) => {
      const file = join(out!, `${args.length}.json`)
      const r = spawnSync(process.execPath, ['--require', join(out!, 'loaded.cjs'), ...args], { encoding: 'utf8', env: { ...process.env, LOADED_OUT: file } })
      expect(r).toMatchObject({ status: 0, stderr: '' })
      return JSON.parse(readFileSync(file, 'utf8')) as string[]
    }
    try {
      out = mkdtempSync(join(tmpdir(), 'mini-run-builtins-'))
      writeFileSync(join(out, 'loaded.cjs'), "process.on('exit', () => require('fs').writeFileSync(process.env.LOADED_OUT, JSON.stringify(process.moduleLoadList)))\n")
      const floor = new Set(loaded(['-e', '0']))
      const run = loaded([launcher, ...env.runArgs(['--network', 'none', BUSYBOX, 'true'])])
      expect(run.filter((m) => !floor.has(m)).sort()).toEqual(['Internal Binding signal_wrap', 'NativeModule vm'])
      expect(env.leftovers()).toEqual([])
    } finally {
      if (out) rmSync(out, { recursive: true, force: true })
      env.cleanup()
    }
  })

  // mr_exit (native/libminirun.c) leaves the unmapping of Node's memory to a
  // helper process that shares it and ends once the CLI is gone, in the
  // initial pid namespace only (another's init may reap nothing it adopts).
  // Seen from a child subreaper of the test's own (test/helpers/subreaper.c),
  // which adopts what the CLI leaves: in the initial pid namespace one
  // helper, ended within 5 s and reaped, none left running and the output
  // whole; in a pid namespace of its own, none at all.
  it.skipIf(!isRoot || !hasGcc || !inInitialPidNamespace)('leaves nothing running when it ends without teardown: its memory\'s helper ends with it (needs root, gcc and the initial pid namespace: containers, a PID namespace, the helper)', async () => {
    const env = await makeTestEnv()
    const helpers = mkdtempSync(join(tmpdir(), 'mini-run-subreaper-'))
    const subreaper = buildStaticHelper('subreaper', helpers)
    const environment = { ...process.env }
    delete environment.NODE_V8_COVERAGE
    const adopted = (args: string[], o: { pidNamespace?: boolean } = {}) => {
      const argv = [subreaper, process.execPath, launcher, ...args]
      const r = o.pidNamespace ? spawnSync('unshare', ['--pid', '--fork', '--mount-proc', ...argv], { encoding: 'utf8', env: environment }) : spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: environment })
      const lines = r.stdout.trimEnd().split('\n')
      return { ...(JSON.parse(lines.pop()!) as object), output: lines.join('\n'), stderr: r.stderr }
    }
    const ps = [...env.runArgs([]).slice(0, env.runArgs([]).indexOf('run')), 'ps', '-a']
    try {
      expect(adopted(env.runArgs(['--network', 'none', BUSYBOX, 'echo', 'ran']))).toEqual({ status: 0, reaped: 1, left: 0, output: 'ran', stderr: '' })
      expect(adopted(ps)).toMatchObject({ status: 0, reaped: 1, left: 0, stderr: '' })
      expect(adopted(ps, { pidNamespace: true })).toMatchObject({ status: 0, reaped: 0, left: 0, stderr: '' })
      expect(adopted(env.runArgs(['--network', 'none', BUSYBOX, 'echo', 'ran']), { pidNamespace: true })).toEqual({ status: 0, reaped: 0, left: 0, output: 'ran', stderr: '' })
      expect(env.leftovers()).toEqual([])
    } finally {
      rmSync(helpers, { recursive: true, force: true })
      env.cleanup()
    }
  })

  // run --rm sets the writable layer aside (renamed into the store's tmp/)
  // and leaves its removal to the exit: mr_exit's helper, after the CLI is
  // gone, or Node's own exit (atexit) when it ends the usual way; a tree
  // too deep for the helper stays in tmp/ under the dead CLI's name, and the
  // store collects it (run-foreground.ts setLayerAside, native/minirun.h).
  it.skipIf(!isRoot || !hasGcc || !inInitialPidNamespace)('removes a --rm container\'s writable layer after its exit, by the helper or in Node\'s own exit, and the store collects what the helper leaves (needs root, gcc and the initial pid namespace)', async () => {
    const env = await makeTestEnv()
    const helpers = mkdtempSync(join(tmpdir(), 'mini-run-subreaper-'))
    const subreaper = buildStaticHelper('subreaper', helpers)
    const environment = { ...process.env }
    delete environment.NODE_V8_COVERAGE
    // the subreaper returns once the helper it adopted has ended: its removal is done
    const adopted = (args: string[], extra: Record<string, string> = {}) => {
      const r = spawnSync(subreaper, [process.execPath, launcher, ...args], { encoding: 'utf8', env: { ...environment, ...extra } })
      const lines = r.stdout.trimEnd().split('\n')
      return { ...(JSON.parse(lines.pop()!) as object), output: lines.join('\n'), stderr: r.stderr }
    }
    const tmp = () => readdirSync(join(env.storeRoot, 'tmp'))
    const deep = `/d${'/x'.repeat(20)}`
    try {
      // the helper's: the layer, with a tree the container wrote, gone when the helper is
      expect(adopted(env.runArgs(['--network', 'none', BUSYBOX, 'sh', '-c', 'mkdir -p /a/b/c && echo x > /a/b/c/f && echo ran']))).toEqual({ status: 0, reaped: 1, left: 0, output: 'ran', stderr: '' })
      expect(tmp()).toEqual([])
      // Node's own exit (it records coverage): no helper, the layer gone before the exit
      const coverage = join(helpers, 'coverage')
      expect(adopted(env.runArgs(['--network', 'none', BUSYBOX, 'echo', 'ran']), { NODE_V8_COVERAGE: coverage })).toEqual({ status: 0, reaped: 0, left: 0, output: 'ran', stderr: '' })
      expect(tmp()).toEqual([])
      // deeper than the helper goes: left in tmp/ under the CLI's name, which a store operation collects
      expect(adopted(env.runArgs(['--network', 'none', BUSYBOX, 'mkdir', '-p', deep]))).toMatchObject({ status: 0, reaped: 1, left: 0, stderr: '' })
      expect(tmp()).toEqual([expect.stringMatching(/^removed-\d+\.\d+-[0-9a-f]+$/)])
      expect(env.run(['image', 'prune', '-f']).status).toBe(0)
      expect(tmp()).toEqual([])
      expect(env.leftovers()).toEqual([])
    } finally {
      rmSync(helpers, { recursive: true, force: true })
      env.cleanup()
    }
  })

  // what Node writes in its teardown must still be written: a profile, coverage
  it.skipIf(!isRoot)('ends the usual way when Node was asked to record: --cpu-prof, NODE_V8_COVERAGE (needs root: it starts containers)', async () => {
    const env = await makeTestEnv()
    const out = mkdtempSync(join(tmpdir(), 'mini-run-recording-'))
    try {
      const args = env.runArgs(['--network', 'none', BUSYBOX, 'true'])
      const prof = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', join(out, 'prof'), launcher, ...args], { encoding: 'utf8' })
      expect(prof).toMatchObject({ status: 0, stderr: '' })
      expect(readdirSync(join(out, 'prof')).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1)
      const cov = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8', env: { ...process.env, NODE_V8_COVERAGE: join(out, 'cov') } })
      expect(cov).toMatchObject({ status: 0, stderr: '' })
      expect(readdirSync(join(out, 'cov')).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0)
      expect(env.leftovers()).toEqual([])
    } finally {
      rmSync(out, { recursive: true, force: true })
      env.cleanup()
    }
  })
})

// The executable (native/launcher.c, what install-bin links) execs Node on the
// script as the script's own #! line would, without env's exec: the same
// arguments, output and status; NODE_EXTRA_CA_CERTS kept from Node's start;
// the name it was invoked by passed on (runc's command line under runc's).
describe('the executable (native/build/mini-run)', () => {
  let links: string
  const environment = (more: NodeJS.ProcessEnv = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${process.execPath.replace(/\/node$/, '')}:/usr/bin:/bin`, ...more }
    if (!('NODE_EXTRA_CA_CERTS' in more)) delete e.NODE_EXTRA_CA_CERTS
    return e
  }
  const exe = (name: string, args: string[], more: NodeJS.ProcessEnv = {}) => spawnSync(join(links, name), args, { encoding: 'utf8', env: environment(more) })
  const script = (args: string[]) => spawnSync(join(links, 'script'), args, { encoding: 'utf8', env: environment() })
  const outcome = (r: ReturnType<typeof spawnSync>) => ({ status: r.status, stdout: r.stdout, stderr: r.stderr })

  beforeAll(() => {
    links = mkdtempSync(join(tmpdir(), 'mini-run-exe-'))
    symlinkSync(join(PROJECT, 'native', 'build', 'mini-run'), join(links, 'mini-run'))
    symlinkSync(join(PROJECT, 'native', 'build', 'mini-run'), join(links, 'mini-run-oci'))
    symlinkSync(join(PROJECT, 'dist', 'mini-run.cjs'), join(links, 'script'))
  })
  afterAll(() => rmSync(links, { recursive: true, force: true }))

  it('runs the CLI as the script\'s #! line does: its arguments, output and exit status', () => {
    withTempRoots((roots) => {
      for (const args of [['--version'], ['run', '--no-such-flag'], ['--env-file', '/no/such/file', 'run'], [...roots, 'images', '--format', '{{.Repository}}'], [...roots, 'ps', '-a', '--', '--env-file']]) {
        const viaExe = outcome(exe('mini-run', args))
        expect(viaExe).toEqual(outcome(script(args)))
        expect(viaExe.status).not.toBeNull()
      }
      expect(exe('mini-run', ['run', '--no-such-flag'])).toMatchObject({ status: 125, stderr: "unknown flag: --no-such-flag\nSee 'mini-run run --help'.\n" })
    })
  })

  it("keeps NODE_EXTRA_CA_CERTS from Node's start, which would read it and warn of a missing file", () => {
    const missing = join(links, 'no-such-ca.pem')
    // Node itself, for the contrast
    expect(spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env: environment({ NODE_EXTRA_CA_CERTS: missing }) }).stderr).toMatch(/Ignoring extra certs/)
    withTempRoots((roots) => {
      expect(outcome(exe('mini-run', [...roots, 'images', '-q'], { NODE_EXTRA_CA_CERTS: missing }))).toEqual({ status: 0, stdout: '', stderr: '' })
    })
  })

  it("passes on the name it was invoked by: mini-run-oci is runc's command line, mini-run Docker's", () => {
    withTempRoots(([, root, , state]) => {
      // `ps` is both runc's (of one container) and Docker's
      expect(outcome(exe('mini-run-oci', ['--root', root!, 'ps']))).toEqual({ status: 1, stdout: '', stderr: "error: missing required argument 'id'\n" })
      expect(exe('mini-run', ['--root', root!, '--state', state!, 'ps'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^CONTAINER ID +IMAGE/), stderr: '' })
    })
  })

  it('says so, with env\'s 127, when no node is on PATH', () => {
    expect(outcome(exe('mini-run', ['--version'], { PATH: '/no/such/dir' }))).toEqual({ status: 127, stdout: '', stderr: 'mini-run: node (Node.js 20 or newer, on PATH): No such file or directory\n' })
  })
})
