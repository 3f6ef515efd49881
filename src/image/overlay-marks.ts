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
import * as fileCalls from '../native/file-calls.js'

/** OCI image spec, layer.md: ".wh.<name>" hides <name> of lower layers; ".wh..wh..opq" makes its directory opaque. */
export const WHITEOUT_PREFIX = '.wh.'
export const OPAQUE_MARKER = '.wh..wh..opq'
/** Other ".wh..wh." names are aufs bookkeeping (.wh..wh.plnk): ignored, as Docker does. */
export const AUFS_META_PREFIX = '.wh..wh.'

/** The overlay xattr that marks an opaque directory. */
export function opaqueXattr(rootless: boolean): string {
  return rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque'
}

/**
 * The xattrs an opaque directory gets. As root both: trusted.* for an overlay
 * mounted by host root, user.* for one mounted inside a user namespace with
 * "userxattr" (run --userns=auto), which cannot read trusted.* at all.
 */
export function opaqueXattrs(rootless: boolean): string[] {
  return rootless ? ['user.overlay.opaque'] : ['trusted.overlay.opaque', 'user.overlay.opaque']
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0
}

/** `strict`: a directory the caller may not read (EACCES on user.*) throws rather than reading as not opaque. */
export function isOpaqueDir(path: string, strict = false): boolean {
  for (const name of ['trusted.overlay.opaque', 'user.overlay.opaque']) {
    try {
      // overlayfs takes exactly "y" (ovl_is_opaquedir): a longer value is
      // ERANGE here and not opaque, without a 64 KiB buffer per call
      if (fileCalls.lgetxattr(path, name, 1)?.toString() === 'y') return true
    } catch (err) {
      // not readable here (trusted.* when not root), or no xattrs on this file system
      if (strict && (err as { code?: unknown }).code === 'EACCES') throw err
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
