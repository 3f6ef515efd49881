/**
 * Run the mini-run CLI as a separate process, the way a user does: the
 * `mini-run` executable found on PATH (native/build/mini-run, as `npm run
 * install-bin` installs it, which execs Node on dist/mini-run.cjs as that script's own
 * `#!/usr/bin/env -S ... node --` line would: `node dist/mini-run.cjs ARGS`
 * is not the same program, Node 20 reads an --env-file anywhere in its argv).
 * PATH starts with a directory holding only a `mini-run` symlink to this
 * checkout's executable, so a test never runs another checkout's build or
 * an installed one, then the directory of the Node running the tests, for
 * the executable to find.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The CLI's script, with its own #! line (package.json's "bin"). */
export const LAUNCHER = fileURLToPath(new URL('../../dist/mini-run.cjs', import.meta.url))
/** The executable, as `npm run install-bin` installs it: native/launcher.c. */
export const EXECUTABLE = fileURLToPath(new URL('../../native/build/mini-run', import.meta.url))

/** Set by the global setup (global-setup.ts) to the directory it made. */
export const BIN_DIR_ENV = 'MINI_RUN_TEST_BIN'

/** A new directory with a `mini-run` symlink to EXECUTABLE; the caller removes it. */
export function makeBinDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-bin-'))
  symlinkSync(EXECUTABLE, join(dir, 'mini-run'))
  return dir
}

let ownBinDir: string | undefined

function linksToLauncher(dir: string): boolean {
  try {
    return readlinkSync(join(dir, 'mini-run')) === EXECUTABLE
  } catch {
    return false
  }
}

/**
 * The global setup's directory, or (where there is none: the kernel tests
 * in the VM) one made for this process and removed when it exits.
 */
export function binDir(): string {
  const shared = process.env[BIN_DIR_ENV]
  if (shared && linksToLauncher(shared)) return shared
  if (ownBinDir === undefined) {
    const dir = makeBinDir()
    ownBinDir = dir
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  return ownBinDir
}

/** `env` with PATH leading to this checkout's `mini-run`. */
export function cliEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, PATH: [binDir(), dirname(process.execPath), env.PATH || '/usr/bin:/bin'].join(':') }
}

export interface CliResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function miniRun(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync('mini-run', args, { encoding: 'utf8', timeout: 60_000, ...options, env: cliEnv(options.env) })
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
}

/** Start the CLI without waiting: for signal tests. */
export function miniRunAsync(args: string[], options: Parameters<typeof spawn>[2] = {}) {
  const child = spawn('mini-run', args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, env: cliEnv(options.env) })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => (stdout += d))
  child.stderr?.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  )
  return { child, done, output: () => stdout }
}
