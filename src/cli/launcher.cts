/**
 * The `mini-run` executable (dist/mini-run.cjs). It runs the bundled CLI
 * through V8's code cache: a foreground run's bundle, the listings', one
 * bundle per other verb, or the whole CLI (dist/mini-run-cli.cjs).
 *
 * Why: a container runtime's start-up is its hot path, and most of Node's
 * part of it is parsing and compiling half a megabyte of JavaScript before
 * the first line runs. V8 can serialise what it compiled
 * (vm.Script#createCachedData) and skip that work the next time; Node 20
 * offers this only through vm.Script (module.enableCompileCache came in 22).
 * `npm install` writes the cache (scripts/bundle.mjs). V8 rejects a cache
 * made by another V8 (after a Node upgrade) or under other flags, but it
 * checks only the length of the source: a cache of another bundle of the
 * same length would run that bundle's code. So the cache file starts with
 * a line naming the bundle it was made for: the build's content hash (the
 * bundle's last line) and the file's size and mtime; any other bundle
 * ignores it. The run that finds no cache, or one it cannot use, compiles
 * from source and leaves a fresh one behind if it may write there.
 *
 * This file runs the bundle the way Node's own CommonJS loader would
 * (Module.wrap), so the bundle cannot tell the difference. The bundle must
 * not use import(): a vm.Script has no loader for it, and the build checks.
 */
import fs = require('node:fs')
import path = require('node:path')
import vm = require('node:vm')
// an ES module of src/, which esbuild bundles into this file
const { lineVerb, parseRunLine } = require('./run-line-parse.js') as typeof import('./run-line-parse.js')
const { isVerb } = require('./verbs.js') as typeof import('./verbs.js')
const { stdioTerminalGone } = require('./terminal-gone.js') as typeof import('./terminal-gone.js')
const { prebuiltAddon } = require('../native/addon-path.js') as typeof import('../native/addon-path.js')
const { defaultScavengeTask, lateScavenge } = require('./late-scavenge.js') as typeof import('./late-scavenge.js')
const { runCacheName } = require('./run-cache-name.js') as typeof import('./run-cache-name.js')
const { runWarm } = require('./warm-line.js') as typeof import('./warm-line.js')
const { loopIsIdle, mayBeTerminal, recording } = require('./launcher-checks.js') as typeof import('./launcher-checks.js')
type RunLine = import('./run-line-parse.js').RunLine
/**
 * The thin parser's flag tables (run-line-tables.ts) as JSON text, written
 * in by the build (scripts/bundle.mjs). A string literal V8 only scans, and
 * JSON.parse at use: as an object literal, the 70 flags were parsed and
 * built at every start, 0.4 ms, in this file that has no code cache.
 */
declare const RUN_LINE_FLAG_TABLES_JSON: string
let flagTables: import('./run-line-tables.js').FlagTables | undefined
const tables = (): import('./run-line-tables.js').FlagTables => (flagTables ??= JSON.parse(RUN_LINE_FLAG_TABLES_JSON) as import('./run-line-tables.js').FlagTables)
type RunLineResult = import('./run-line.js').RunLineResult

// NODE_OPTIONS makes every Node that inherits it run code before its own
// (--require, --import, --experimental-loader). Node has applied it to this
// process already: the caller's choice. But what mini-run starts inherits
// its environment, the monitor of `run -d` and through it the exit command
// `mini-run rm -f` (a Node, as root, after the caller is gone): none of them
// asked for it. Other NODE_* variables are left: none runs code in a Node
// started with a script (NODE_REPL_EXTERNAL_MODULE only in a REPL).
// (V8 flags of the caller's own, there or in node's options: late-scavenge.ts leaves them alone)
const callerFlags = process.execArgv.length > 0 || Boolean(process.env.NODE_OPTIONS)
delete process.env.NODE_OPTIONS

// SIGUSR1 without a listener opens Node's inspector on 127.0.0.1:9229, for
// any local user to run code as this process (root, for a monitor, a build).
// Node 20 has no --disable-sigusr1: a listener that does nothing, as Docker's
// CLI ignores it; verbs that pass it to a container add their own.
process.on('SIGUSR1', () => undefined)

// NODE_EXTRA_CA_CERTS: the #! line (scripts/bundle.mjs) hid it from Node,
// which would have parsed the file before this line (70 ms for a system
// bundle), and passed its value here. It goes back into the environment of
// what mini-run starts, and the registry's HTTPS agent reads the file when
// a pull first needs it (registry/extra-ca-certs.ts). Run as `node FILE`,
// Node has read it already and this does nothing.
const extraCaCerts = process.env.MINI_RUN_EXTRA_CA_CERTS
if (extraCaCerts !== undefined) {
  delete process.env.MINI_RUN_EXTRA_CA_CERTS
  if (extraCaCerts !== '') {
    process.env.NODE_EXTRA_CA_CERTS = extraCaCerts
    ;(globalThis as Record<symbol, unknown>)[Symbol.for('mini-run.deferred-extra-ca-certs')] = extraCaCerts
  }
}

/** Read fd's first `size` bytes into buffer, close it; returns how many it read. */
function readAll(fd: number, buffer: Buffer, size: number): number {
  let done = 0
  try {
    for (let n = -1; done < size && n !== 0; done += n) n = fs.readSync(fd, buffer, done, size - done, done)
  } finally {
    fs.closeSync(fd)
  }
  return done
}

/** native/map-file.c: a file's pages as a string or a Buffer, or undefined when it cannot. */
interface FileMapper {
  text(fd: number, size: number): string | undefined
  bytes(fd: number, size: number): Buffer | undefined
  preload(...paths: string[]): void
  /** One V8 flag set (late-scavenge.ts; absent: a Node without V8's flag call, or an addon of an older build). */
  v8Flag?(flag: string): void
}
let mapper: FileMapper | null | undefined

/**
 * The launcher's addon, native/build/mini-run-map.node beside dist/, loaded
 * once (0.1 ms): no addon (a build without a C compiler) or an addon that
 * will not load, and runBundle reads the files as before. Once loaded, it
 * loads ffi-rs's addon and libminirun.so on a thread of its own, ahead of
 * the runtime, which does it the usual way (src/native/lib.ts) and finds
 * them loaded.
 */
function fileMapper(): FileMapper | undefined {
  if (mapper === undefined) {
    const native = path.join(__dirname, '..', 'native', 'build')
    try {
      const module_ = { exports: {} as FileMapper }
      process.dlopen(module_, path.join(native, 'mini-run-map.node'))
      mapper = module_.exports
    } catch {
      mapper = null
    }
    // the addon lib.ts loads on these (on musl it is not installed, or fails to load here and there alike)
    const glibcBuild = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')
    const addon = mapper && glibcBuild ? prebuiltAddon(path.join(__dirname, '..'), process.arch) : undefined
    // an addon of an older build has no preload: the runtime loads them itself, as before
    if (addon !== undefined && typeof mapper!.preload === 'function') mapper!.preload(addon, path.join(native, 'libminirun.so'))
  }
  return mapper ?? undefined
}

interface Bundle {
  exports: Record<string, unknown>
  /**
   * This run went the whole way for a verb: at exit, leave a cache that holds
   * what it compiled, unless the cache was written after such a run of that
   * verb already (its second line names them).
   */
  cacheAfter(verb: string): void
}

/**
 * Run one bundle of dist/ through its code cache: `<bundle>.cache`, or
 * `<bundle>.<cacheName>.cache` for a bundle of several verbs, each of which
 * then reads a cache of its own functions only (ps's is a fifth smaller than
 * one for all three listings, 0.4 ms less to deserialize). With
 * lateScavengeVerb, a run of that verb whose cache is written already
 * moves V8's scavenge task later (late-scavenge.ts).
 */
function runBundle(name: string, cacheName?: string, lateScavengeVerb?: string): Bundle {
  // a bundle handed on to this one (the run bundle's runc line): compiled with V8's flags as they were
  defaultScavengeTask()
  const bundle = path.join(__dirname, name)
  const cacheFile = cacheName === undefined ? `${bundle}.cache` : `${bundle}.${cacheName}.cache`

  // The bundle is ASCII (the build checks), so latin1 decoding is exact and
  // gives V8 a one-byte string without UTF-8 decoding. Each fresh page costs
  // a fault, 10 us on this kind of VM: the addon maps both files, the
  // bundle as a string over its mapping (fileMapper), ~180 faults fewer than
  // reading them. Without it, both are read into one buffer, the cache over
  // the bundle's bytes once they are a string.
  const fd = fs.openSync(bundle, 'r')
  const stat = fs.fstatSync(fd)
  let cacheFd: number | undefined
  try {
    cacheFd = fs.openSync(cacheFile, 'r')
  } catch {
    // no cache yet: compile from source below, and write one at exit
  }
  const cacheSize = cacheFd === undefined ? 0 : fs.fstatSync(cacheFd).size
  const mapper = fileMapper()
  let text = mapper?.text(fd, stat.size)
  let buffer: Buffer | undefined
  if (text !== undefined) fs.closeSync(fd)
  else {
    buffer = Buffer.allocUnsafeSlow(Math.max(stat.size, cacheSize))
    text = buffer.toString('latin1', 0, readAll(fd, buffer, stat.size))
  }
  const buildId = /\/\/# mini-run-build (\w+)\s*$/.exec(text.slice(-120))?.[1] ?? 'unknown'
  const cacheKey = Buffer.from(`mini-run-code-cache ${buildId} ${stat.size} ${stat.mtimeMs}\n`, 'latin1')

  let cachedData: Buffer | undefined
  let verbs: string[] = []
  if (cacheFd !== undefined) {
    let file = mapper?.bytes(cacheFd, cacheSize)
    if (file !== undefined) fs.closeSync(cacheFd)
    else {
      buffer ??= Buffer.allocUnsafeSlow(cacheSize)
      file = buffer.subarray(0, readAll(cacheFd, buffer, cacheSize))
    }
    const end = file.indexOf(10, cacheKey.length)
    if (end > 0 && file.subarray(0, cacheKey.length).equals(cacheKey)) {
      verbs = file.toString('latin1', cacheKey.length, end).trimEnd().split(',').filter(Boolean)
      // at an offset of a multiple of 8 (the writer pads the line before it):
      // V8 copies cached data that is not (AlignedCachedData), 0.45 MB here
      cachedData = file.subarray(end + 1)
    }
  }

  // Each bundle comes wrapped in Module.wrap's function (scripts/bundle.mjs):
  // a string V8 compiles as it is. Wrapped here, it would be made of pieces
  // V8 copies into one string first (the whole CLI's 1.3 MB, 3-4 ms).
  const script = new vm.Script(text, {
    filename: bundle,
    ...(cachedData && { cachedData }),
  })
  let write = !cachedData || script.cachedDataRejected || process.env.MINI_RUN_WRITE_CODE_CACHE === '1'
  // at exit, so that the cache holds every function this run compiled
  process.once('exit', () => {
    if (!write) return
    defaultScavengeTask()
    const tmp = `${cacheFile}.${process.pid}.tmp`
    try {
      fs.accessSync(__dirname, fs.constants.W_OK)
      const line = verbs.join(',')
      const pad = (8 - ((cacheKey.length + line.length + 1) % 8)) % 8
      fs.writeFileSync(tmp, Buffer.concat([cacheKey, Buffer.from(`${line}${' '.repeat(pad)}\n`, 'latin1'), script.createCachedData()]), { flag: 'wx', mode: 0o644 })
      fs.renameSync(tmp, cacheFile)
    } catch {
      // a read-only install: every run compiles, as plain node would
      fs.rmSync(tmp, { force: true })
    }
  })

  const module_ = { exports: {} as Record<string, unknown> }
  const run = script.runInThisContext() as (...args: unknown[]) => void
  const late = lateScavengeVerb !== undefined && !write && verbs.includes(lateScavengeVerb) ? lateScavenge(mapper, require, callerFlags) : undefined
  // this file's own require: the bundles are in its directory, so it resolves
  // what theirs would (createRequire's node:module costs 0.3 ms to load)
  run.call(module_.exports, module_.exports, (late?.require as NodeJS.Require | undefined) ?? require, module_, bundle, __dirname)
  late?.start()
  return {
    exports: module_.exports,
    cacheAfter(verb) {
      if (verbs.includes(verb)) return
      verbs = [...verbs, verb]
      write = true
    },
  }
}

/**
 * End the process as process.exit(code) would, then skip Node's teardown
 * (its environment, V8's heap, the platform's threads: 0.8 ms of a run)
 * with _exit(2) (mr_exit, native/minirun.h), which also leaves the
 * kernel's unmapping of Node's memory to a helper, after the caller has the
 * exit status (2-3 ms of a run or a listing). The 'exit' listeners run
 * first, the code cache's writer among them (runBundle): this one is added
 * last. No output is lost: nothing of the run is buffered in the process.
 * Its lines to stderr go through process.stderr, which Node writes with
 * write(2) at once on Linux (a file or terminal whole; a pipe as far as it
 * takes, the rest queued as a request, which loopIsIdle sees); the
 * container writes to fds 1 and 2 itself, or with -t through
 * process.stdout, the same way. test/cli-launcher.test.ts checks codes,
 * error lines and output.
 */
function exitWithoutTeardown(code: number, exitNow: (code: number) => never): void {
  process.once('exit', () => {
    try {
      exitNow(code)
    } catch {
      // no native library after all: Node's own exit goes on
    }
  })
  process.exit(code)
}

/** The line's bundle, if one of the small ones can run it; returns whether it did. */
function runSmallBundle(): boolean {
  // `run` of a container that stays this process's child, the line users
  // type most: a bundle without commander and the other verbs
  const line = parseRunLine(process.argv, mayBeTerminal, tables())
  if (line) {
    const runBundle_ = runBundle('mini-run-run.cjs', runCacheName(line.flags), 'run')
    const started = (runBundle_.exports.runLine as (l: RunLine) => Promise<RunLineResult> | undefined)(line)
    if (!started) return false
    void started.then((result) => {
      process.exitCode = result.exitCode
      if (result.ran) runBundle_.cacheAfter('run')
      // a terminal hung up meanwhile: Node's teardown would abort on it (terminal-gone.ts)
      if ((loopIsIdle() || stdioTerminalGone()) && !recording()) exitWithoutTeardown(result.exitCode, runBundle_.exports.exitNow as (code: number) => never)
    })
    return true
  }
  // the listings scripts run in loops: commander and these verbs only
  const verb = lineVerb(process.argv, tables())
  if (verb === 'ps' || verb === 'images' || verb === 'inspect') {
    const list = runBundle('mini-run-list.cjs', verb)
    const started = (list.exports.listMain as (argv: string[]) => Promise<number> | undefined)(process.argv)
    if (!started) return false
    void started.then((code) => {
      process.exitCode = code
      if (code === 0) list.cacheAfter(verb)
      // ffi-rs and the library are loaded for this alone (a listing makes no
      // native call): 1 ms, against 3 ms of Node's teardown and the kernel's
      if (loopIsIdle() && !recording()) exitWithoutTeardown(code, list.exports.exitNow as (code: number) => never)
    })
    return true
  }
  return false
}

// Every other line goes to its verb's own bundle (runVerbBundle); what none takes (runc's command
// line, help, an image named as the verb) to the whole CLI, which runs itself (main.ts), through a
// code cache of its verb's own, as the listings have: with another verb's, this one's code is
// compiled at every start (`container ls -a` with `--help`'s: 2.4 ms slower). Written after the
// verb's first run that exits 0 (this listener comes before the writer's). A child `system service`
// starts ahead loads the whole CLI first.
const warmFd = process.env.MINI_RUN_WARM_FD
if (warmFd !== undefined) delete process.env.MINI_RUN_WARM_FD
function ownVerb(argv: string[]): string | undefined {
  const verb = lineVerb(argv, tables())
  return verb !== undefined && verb !== 'help' && isVerb(verb) ? verb : undefined
}
if (warmFd !== undefined) runWarm(Number(warmFd), (cacheName) => runBundle('mini-run-cli.cjs', cacheName), ownVerb, require)
else if (!runSmallBundle() && !runVerbBundle()) {
  const own = ownVerb(process.argv)
  let cli: Bundle | undefined
  if (own !== undefined) process.once('exit', (code) => code === 0 && cli?.cacheAfter(own))
  cli = runBundle('mini-run-cli.cjs', own)
}

/** The line's verb's own bundle (verb-main.ts), unless the line is runc's: returns whether it runs the line. */
function runVerbBundle(): boolean {
  const own = ownVerb(process.argv)
  const name = `mini-run-verb-${own}.cjs`
  // none for the listings (a runc line of theirs), nor in an install of an older build or a copy of
  // a few of dist/'s files: the whole CLI runs the line
  if (own === undefined || !fs.existsSync(path.join(__dirname, name))) return false
  let ran = false
  // before the bundle's cache writer, as the whole CLI's below
  process.once('exit', (code) => ran && code === 0 && !(bundle.exports.shownHelpOnly as () => boolean)() && bundle.cacheAfter(own))
  const bundle = runBundle(name)
  ran = (bundle.exports.main as (argv: string[]) => boolean)(process.argv)
  return ran
}
