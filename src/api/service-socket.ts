/**
 * The service's socket: a unix socket only its owner may use (whoever can
 * talk to it can run any container, so it is root for a root service, as
 * Docker's docker.sock is). A socket left by a service that was killed is
 * replaced; one a live service answers on is not.
 */
import { connect } from 'node:net'
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'

/** The socket's path from the URI a user gives (podman's form): unix:///path, or a bare absolute path. */
export function socketPath(uri: string): string {
  if (uri.startsWith('unix://')) {
    const path = uri.slice('unix://'.length)
    if (!path.startsWith('/')) throw new UsageError(`${uri}: the socket's path must be absolute (unix:///run/x.sock)`)
    return path
  }
  if (uri.startsWith('/')) return uri
  if (/^(tcp|http|https|fd):/.test(uri)) throw new UsageError(`${uri}: mini-run serves its API on a unix socket only (a TCP socket would give anyone who reaches it root)`)
  throw new UsageError(`${uri}: not a unix:///path URI`)
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** Make way for a socket at path: its directory made, a dead service's socket removed. */
export async function prepareSocket(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  let stat
  try {
    stat = lstatSync(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  if (!stat.isSocket()) throw new MiniRunError(`${path}: exists and is not a socket`)
  if (await answers(path)) throw new MiniRunError(`${path}: a service is already listening there`)
  unlinkSync(path)
}

export function removeSocket(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // gone already
  }
}
