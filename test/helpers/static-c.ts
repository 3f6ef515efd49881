/**
 * Small static C programs for security tests (crun's tests/init.c lesson):
 * the busybox container has no compiler and no renameat2, and a forced pid
 * needs clone3. Built with the host's gcc into a directory of the test's own.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const hasGcc = spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0

/** Compile test/helpers/<name>.c into outDir/<name> (static); returns its path. */
export function buildStaticHelper(name: string, outDir: string): string {
  const src = fileURLToPath(new URL(`./${name}.c`, import.meta.url))
  const out = join(outDir, name)
  const r = spawnSync('gcc', ['-static', '-O2', '-Wall', '-Werror', '-o', out, src], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`gcc ${src}: ${r.stderr}`)
  return out
}
