/**
 * The project's name: `-p`, else COMPOSE_PROJECT_NAME, else the file's
 * top-level `name:`, else the project directory's name made into one
 * (lowercase, only letters, digits, `-` and `_`), as Docker names it. It
 * prefixes everything the project makes: containers `<name>-<service>-N`,
 * networks and volumes `<name>_<key>`.
 */
import { basename } from 'node:path'
import { UsageError } from '../errors.js'

export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/

export function checkProjectName(name: string, from: string): string {
  if (!PROJECT_NAME.test(name)) {
    throw new UsageError(`invalid project name "${name}" (${from}): it must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit`)
  }
  return name
}

/** A directory's name as a project name: Docker's normalization (lowercase, other characters dropped). */
export function projectNameOfDir(dir: string): string {
  return normalizeProjectName(basename(dir)) || 'default'
}

/** compose-go's NormalizeProjectName: lowercase, other characters dropped, no leading `-` or `_`. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '')
}

export function projectName(o: { flag?: string; env?: string; file?: string; dir: string }): string {
  if (o.flag) return checkProjectName(o.flag, '-p')
  if (o.env) return checkProjectName(o.env, 'COMPOSE_PROJECT_NAME')
  // the file's name: is normalised as compose-go does (My.App is myapp); only -p and COMPOSE_PROJECT_NAME must already be valid
  if (o.file) return checkProjectName(normalizeProjectName(o.file), 'the top-level name')
  return projectNameOfDir(o.dir)
}
