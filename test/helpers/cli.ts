/**
 * Run the mini-run CLI as a separate process, the way a user does.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The bundled CLI, as installed (package.json "bin"). */
export const CLI = fileURLToPath(new URL('../../dist/mini-run.cjs', import.meta.url))

export interface CliResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function miniRun(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, ...options })
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
}

/** Start the CLI without waiting: for signal tests. */
export function miniRunAsync(args: string[], options: Parameters<typeof spawn>[2] = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d) => (stdout += d))
  child.stderr?.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  )
  return { child, done, output: () => stdout }
}
