/**
 * A service's files of KEY=VALUE lines, read as Docker Compose reads them:
 * env_file (its variables under environment:) and label_file (its labels
 * under labels:), relative to the project's directory.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { At } from './compose-error.js'
import { parseDotenv } from './dotenv.js'
import type { Lookup } from './interpolate.js'
import { bool, isMap, str, type Raw } from './values.js'

/** env_file: each a path, or {path, required}; a later file's variables over an earlier's, ${} from the project's environment. */
export function envFiles(v: unknown, at: At, ctx: { projectDir: string; lookup: Lookup }): Record<string, string> {
  if (v === undefined || v === null) return {}
  const list = Array.isArray(v) ? v : [v]
  const out: Record<string, string> = {}
  list.forEach((item, i) => {
    const here = Array.isArray(v) ? at.at(i) : at
    const entry: Raw = isMap(item) ? item : { path: item }
    const path = resolve(ctx.projectDir, str(entry.path, here.at('path')))
    const required = entry.required === undefined ? true : bool(entry.required, here.at('required'))
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw here.error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err)
    }
    for (const [key, value] of parseDotenv(text, path, ctx.lookup)) out[key] = value
  })
  return out
}

/**
 * label_file: each a file of KEY=VALUE lines, as an env file is read, the
 * later over the earlier; a ${VAR} in it is one of the labels read before
 * (compose-go's loadLabelFile), not an environment variable.
 */
export function labelFiles(v: unknown, at: At, ctx: { projectDir: string }): Record<string, string> {
  if (v === undefined || v === null) return {}
  const out: Record<string, string> = {}
  ;(Array.isArray(v) ? v : [v]).forEach((item, i) => {
    const here = Array.isArray(v) ? at.at(i) : at
    const path = resolve(ctx.projectDir, str(item, here))
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      throw here.error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, err)
    }
    for (const [key, value] of parseDotenv(text, path, (name) => out[name])) out[key] = value
  })
  return out
}
