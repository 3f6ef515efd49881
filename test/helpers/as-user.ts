/**
 * Run mini-run (or any command) as another, unprivileged user, the way an
 * ordinary user of the host would: setpriv to a uid and gid of the test's
 * choosing, no supplementary groups.
 *
 * The checkout may sit in a directory only root can enter (CI clones into
 * a private mktemp dir), so the installed CLI (bundle, native build,
 * node_modules) is staged into a temp dir anyone can read.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PROJECT = fileURLToPath(new URL('../..', import.meta.url))

export interface StagedCli {
  /** The staged executable (dist/mini-run.cjs). */
  cli: string
  dir: string
}

/** A copy of the installed CLI under `dir` (made readable by all). */
export function stageCli(dir: string): StagedCli {
  const root = join(dir, 'pkg')
  mkdirSync(root)
  for (const part of ['package.json', 'dist', 'node_modules', 'native/build']) {
    mkdirSync(dirname(join(root, part)), { recursive: true })
    execFileSync('cp', ['-a', join(PROJECT, part), join(root, part)])
  }
  execFileSync('chmod', ['-R', 'a+rX', root])
  return { cli: join(root, 'dist', 'mini-run.cjs'), dir: root }
}

/** A temp dir anyone may enter (for stores, homes and staged CLIs of other users). */
export function openTempDir(prefix: string): string {
  const dir = mkdtempSync(join('/var/tmp', prefix))
  chmodSync(dir, 0o755)
  return dir
}

export interface AsUserResult {
  status: number | null
  stdout: string
  stderr: string
}

/**
 * Run argv as uid:gid with the given environment (nothing else of ours).
 * The exec is made by a shell that already runs as the user: setpriv's own
 * execve of argv[0] still succeeds where the user could not reach the file.
 */
export function runAs(uid: number, gid: number, argv: string[], env: Record<string, string> = {}, timeout = 60_000): AsUserResult {
  const r = spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', '/bin/sh', '-c', 'exec "$@"', 'sh', ...argv], {
    encoding: 'utf8',
    cwd: '/',
    timeout,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
  })
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
}
