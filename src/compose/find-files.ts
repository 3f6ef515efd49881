/**
 * Which compose files a command reads, as Docker looks them up: `-f` files
 * (repeatable), else COMPOSE_FILE (a list split on ':'), else the first of
 * compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in the
 * working directory or the nearest parent that has one, with its override
 * file (compose.override.yaml...) merged over it when there is one.
 * `-f -` is stdin, its project directory the working directory.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { MiniRunError } from '../errors.js'

export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml']
const OVERRIDE_NAMES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yml', 'docker-compose.override.yaml']

export interface FoundFiles {
  files: string[]
  warnings: string[]
}

export function findComposeFiles(given: readonly string[], cwd: string, env: NodeJS.ProcessEnv): FoundFiles {
  // `-f -`: the file is read from stdin (load.ts)
  if (given.length) return { files: given.map((f) => (f === '-' ? f : resolve(cwd, f))), warnings: [] }
  if (env.COMPOSE_FILE) return { files: env.COMPOSE_FILE.split(env.COMPOSE_PATH_SEPARATOR || ':').filter(Boolean).map((f) => resolve(cwd, f)), warnings: [] }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const present = COMPOSE_FILE_NAMES.filter((n) => existsSync(join(dir, n)))
    if (present.length) {
      const warnings = present.length > 1 ? [`Found multiple config files with supported names: ${present.map((n) => join(dir, n)).join(', ')}; using ${join(dir, present[0]!)}`] : []
      const override = OVERRIDE_NAMES.find((n) => existsSync(join(dir, n)))
      return { files: [join(dir, present[0]!), ...(override ? [join(dir, override)] : [])], warnings }
    }
    if (dirname(dir) === dir) break
  }
  throw new MiniRunError(`no configuration file provided: not found (${COMPOSE_FILE_NAMES.join(', ')} in ${cwd} or a parent directory)`, { code: 'ENOCOMPOSEFILE' })
}
