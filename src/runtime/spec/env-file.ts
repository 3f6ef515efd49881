/**
 * --env-file: Docker's format, one variable a line as `-e` takes it
 * (KEY=VALUE, or KEY to copy the caller's), blank lines and lines starting
 * with # skipped. Values are taken as they are: no quotes, no expansion.
 */
import { readFileSync } from 'node:fs'
import { UsageError } from '../../errors.js'

export function parseEnvFile(text: string, file: string): string[] {
  const entries: string[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '')
    if (line === '' || line.startsWith('#')) return
    const eq = line.indexOf('=')
    const key = eq < 0 ? line : line.slice(0, eq)
    if (key === '' || /\s/.test(key)) {
      throw new UsageError(`--env-file ${file}, line ${i + 1}: invalid variable name "${key}"`)
    }
    entries.push(eq < 0 ? key : `${key}=${line.slice(eq + 1)}`)
  })
  return entries
}

/** The entries of each file, in order: later ones (and -e) win. */
export function readEnvFiles(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(`--env-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err })
    }
    return parseEnvFile(text, file)
  })
}
