import { closeSync, readSync } from 'node:fs'

/** What the launcher's runBundle gives back (launcher.cts): the cache written after a verb's run. */
interface LoadedBundle {
  cacheAfter(verb: string): void
}

/**
 * A pre-started child of `system service` (src/api/warm-cli.ts). Node has
 * started and the launcher has loaded the whole CLI's bundle, through a
 * code cache of its own ('warm', written after each verb's first run, so
 * it holds the verbs the service runs); main.ts has left its command line
 * to this function, which waits for it (awaitLine), then runs it as a
 * fresh `mini-run` would. Node's start and the bundle's load are most of a
 * short verb's time (README, Start-up), and a `docker run` is two or three
 * verbs. ownVerb: the line's verb when its run should leave a cache.
 */
export function runWarm(fd: number, loadCli: (cacheName: string) => LoadedBundle, ownVerb: (argv: string[]) => string | undefined, nodeRequire: NodeJS.Require): void {
  const hook = Symbol.for('mini-run.deferred-main')
  const shared = globalThis as Record<symbol, unknown>
  let verb: string | undefined
  let cli: LoadedBundle | undefined
  // before the bundle's own listener, the cache's writer
  process.once('exit', (code) => code === 0 && verb !== undefined && cli?.cacheAfter(verb))
  shared[hook] = true
  cli = loadCli('warm')
  const runMain = shared[hook]
  delete shared[hook]
  // while it waits, what most verbs would do first: Node's process and socket modules compiled
  // (spawn, the monitor's socket), and the load's garbage collected, so the verb's first scavenge
  // finds little to keep (its young generation would be full of the load's objects). In 20
  // interleaved rounds: create 72.8 -> 61.0 ms, start 122.2 -> 109.2, rm -f 52.6 -> 36.3
  // (a gc exposed in a context of its own: the verb's global has none)
  nodeRequire('node:child_process')
  nodeRequire('node:net')
  const v8 = nodeRequire('node:v8')
  v8.setFlagsFromString('--expose-gc')
  const gc = nodeRequire('node:vm').runInNewContext('gc') as () => void
  // and back: V8 checks a code cache against its flags, and would refuse the 'warm' one (and
  // Node's own, for the built-ins the verb loads) made with another set, and write it again
  v8.setFlagsFromString('--no-expose-gc')
  gc()
  awaitLine(fd)
  verb = ownVerb(process.argv)
  if (typeof runMain === 'function') return void runMain(process.argv)
  // a bundle of another build, which ran nothing: not a silent success the service would believe
  process.stderr.write('mini-run: the CLI bundle did not hand its command line to the launcher (a build of another version?)\n')
  process.exitCode = 125
}

/**
 * The line, on the fd MINI_RUN_WARM_FD names: the verb's words and the
 * variables to add, one JSON document, then the end of the pipe. The end
 * without a line (the service done with the child, or gone) is its silent
 * exit.
 */
function awaitLine(fd: number): void {
  const chunks: Buffer[] = []
  const buffer = Buffer.allocUnsafe(64 * 1024)
  for (;;) {
    let n: number
    try {
      n = readSync(fd, buffer, 0, buffer.length, null)
    } catch (err) {
      // a pipe made non-blocking: wait for it rather than spin
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5)
      continue
    }
    if (n === 0) break
    chunks.push(Buffer.from(buffer.subarray(0, n)))
  }
  closeSync(fd)
  if (chunks.length === 0) process.exit(0)
  const line = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { args: string[]; env: Record<string, string> }
  process.argv.push(...line.args)
  Object.assign(process.env, line.env)
}

