/**
 * mini-run's version: package.json's, read when asked (src/ and dist/ both
 * sit one level below it, the bundle included).
 */
import { readFileSync } from 'node:fs'

export function miniRunVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}
