/**
 * --cidfile: the container's id written to a file, which must not exist
 * yet (Docker's rule: another container may still be using it).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { UsageError } from '../errors.js'

export function checkCidFile(path: string): void {
  if (existsSync(path)) throw new UsageError(`Container ID file found, make sure the other container isn't running or delete ${path}`)
}

export function writeCidFile(path: string, id: string): void {
  try {
    writeFileSync(path, id, { flag: 'wx', mode: 0o644 })
  } catch (err) {
    throw new UsageError(`failed to create the container ID file ${path}: ${(err as Error).message}`, { cause: err })
  }
}
