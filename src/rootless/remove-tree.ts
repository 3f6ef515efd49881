/**
 * rm -rf of a tree of the user's own (a container's writable layer, an
 * unpacked layer, a volume's data), whichever of their ids owns its files.
 *
 * Plain rm first: it is what works as root, and rootless for trees of the
 * user's own files. When it is refused: a rootless user with subordinate
 * ids removes the tree as root of their user namespace (files the container
 * gave to uid 1000 are their subordinate id's, in directories they cannot
 * write); else the refusal is a directory without write permission (an
 * image's 0555 directory, kept by the layer): give every directory u+rwx
 * and remove it again.
 */
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { removeInUserNamespace } from './in-user-namespace.js'
import { ownSubordinateIds } from './subordinate-ids.js'

function refused(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'EACCES' || code === 'EPERM'
}

export function removeOwnTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true })
    return
  } catch (err) {
    if (!refused(err)) throw err
  }
  const ids = ownSubordinateIds()
  if (ids) return removeInUserNamespace(ids, path)
  makeWritable(path)
  rmSync(path, { recursive: true, force: true })
}

function makeWritable(path: string): void {
  let st
  try {
    st = lstatSync(path)
  } catch {
    return
  }
  if (!st.isDirectory()) return
  try {
    chmodSync(path, 0o700)
  } catch {
    // not ours: rm says so next
  }
  for (const name of readdirSync(path)) makeWritable(join(path, name))
}
