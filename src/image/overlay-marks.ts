/**
 * How an unpacked layer marks what it removes, as overlayfs reads it
 * (Documentation/filesystems/overlayfs.rst): a whiteout is a character
 * device 0:0 in place of the removed file; an opaque directory, one with
 * the xattr overlay.opaque = "y", hides everything below it in lower
 * layers. As root the unpacker sets trusted.overlay.opaque; inside a user
 * namespace (userxattr) overlayfs reads user.overlay.opaque: both are set,
 * and either counts.
 */
import { lstatSync, type Stats } from 'node:fs'
import * as native from '../native/lib.js'

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0
}

export function isOpaqueDir(path: string): boolean {
  for (const name of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    try {
      if (native.lgetxattr(path, name)?.toString() === 'y') return true
    } catch {
      // not readable here (trusted.* when not root), or no xattrs on this file system
    }
  }
  return false
}

/** lstat, or undefined when there is nothing there. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}
