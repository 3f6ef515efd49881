/**
 * The service's changes go through mini-run's own command line: a request
 * to create, start, stop or remove a container, or to pull an image, runs
 * `mini-run VERB ...` as a user would type it (podman's service calls libpod
 * in-process; here the CLI is the one place each verb's policy lives, and
 * `--log-level debug` prints each command the service runs). A failure
 * comes back as the command's one stderr line, and its status as Docker's
 * daemon would answer: 404 for a missing object, 409 for a conflict.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { selfCommand } from '../cli/run-flags.js'
import type { GlobalOptions } from '../cli/global-options.js'
import { getLogger } from '../log.js'
import { warmSpawn } from './warm-cli.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** An error the API answers with a status: Docker's {"message": ...} body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** mini-run started as a child: its argv, with the service's own --root and --state. */
export function cliArgv(global: GlobalOptions, args: string[]): string[] {
  return [...selfCommand(global), ...args]
}

/** env: variables to set for this child beside the service's own (a request's DOCKER_CONFIG). */
export function spawnCli(global: GlobalOptions, args: string[], stdin: 'ignore' | 'pipe' = 'ignore', env?: NodeJS.ProcessEnv): ChildProcess {
  getLogger().debug({ args }, 'mini-run %s', args.join(' '))
  // one started ahead, when the service keeps some (warm-cli.ts)
  const warm = warmSpawn(cliArgv(global, []), args, env, stdin === 'pipe')
  if (warm) return warm
  const [file, ...rest] = cliArgv(global, args)
  return spawn(file!, rest, { stdio: [stdin, 'pipe', 'pipe'], ...(env && { env: { ...process.env, ...env } }) })
}

/** A word as sh reads it back: bare when it has nothing sh would read apart, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word
  return "'" + word.replaceAll("'", "'\\''") + "'"
}

/**
 * mini-run on a terminal of its own, for an exec with a terminal (`docker
 * exec -it`): `mini-run exec -t` needs one as its stdin, and the service has
 * only its clients' sockets. util-linux's script(1) makes a pty, runs the
 * command on it and copies both ways; -e gives its exit code.
 */
export function spawnCliOnPty(global: GlobalOptions, args: string[]): ChildProcess {
  getLogger().debug({ args }, 'mini-run %s (on a pty)', args.join(' '))
  const command = cliArgv(global, args).map(shellQuote).join(' ')
  return spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } })
}

/** A child's end: its exit code (1 when it could not run) and the last 4 kB of its stderr. Called right after the spawn. */
export function childEnd(child: ChildProcess): Promise<{ code: number; stderr: string }> {
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4096)))
  return new Promise((resolve) => {
    child.once('error', (err) => {
      stderr += `${err.message}\n`
      resolve({ code: 1, stderr })
    })
    child.once('close', (code) => resolve({ code: code ?? 1, stderr }))
  })
}

/** The request's body as the child's stdin; an upload cut short ends the child, which would wait for the rest. */
export function feedRequest(req: IncomingMessage, child: ChildProcess): void {
  req.pipe(child.stdin!)
  child.stdin!.on('error', () => {})
  req.once('close', () => {
    if (!req.complete && child.exitCode === null) child.kill('SIGTERM')
  })
}

/** The child ends with the answer's connection (a client gone). */
export function endWith(res: ServerResponse, child: ChildProcess): void {
  res.once('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })
}

/** Run mini-run to its end; a non-zero exit is an ApiError with the status its message means. */
export function runCli(global: GlobalOptions, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(global, args)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (b: Buffer) => out.push(b))
    child.stderr!.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const result = { code: code ?? 128, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }
      if (code === 0) resolve(result)
      else reject(cliFailure(result, signal))
    })
  })
}

/** The last line mini-run wrote on stderr, without its "mini-run: " prefix. */
export function errorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !/^(WARNING|Warning)\b/.test(l))
  return (lines.at(-1) ?? '').replace(/^(mini-run: |Error: |Error response from daemon: )/, '')
}

/** Docker's status for a message: 404 for what does not exist, 409 for what is in the way, 400 for bad input, else 500. */
export function statusOf(message: string): number {
  if (/^no such (container|image|object|network|volume)\b/i.test(message) || /\bnot found\b|manifest unknown/i.test(message)) return 404
  if (/^Conflict\b|already in use|is (running|paused)|cannot remove a running|in use by/i.test(message)) return 409
  if (/^(invalid|unknown (flag|option)|error: unknown)\b/i.test(message)) return 400
  return 500
}

function cliFailure(r: CliResult, signal: NodeJS.Signals | null): ApiError {
  const message = errorLine(r.stderr) || (signal ? `mini-run was killed by ${signal}` : `mini-run exited with ${r.code}`)
  return new ApiError(statusOf(message), message)
}
