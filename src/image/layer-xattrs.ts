/**
 * The xattrs a layer entry carries (PAX SCHILY.xattr.*), checked and set:
 * overlayfs's own are refused, privileged ones are skipped when rootless,
 * and a file system that refuses xattrs is not an error. Apart from
 * unpack-layer.ts because it is the one place a layer's bytes become
 * security-relevant metadata (file capabilities, overlay marks).
 */
import type { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import * as fileCalls from '../native/file-calls.js'
import type { Kind } from './layer-tree.js'
import type { TarEntry } from './tar-reader.js'

export interface XattrOptions {
  rootless: boolean
  /** Owners are kept: a file capability is then recorded for the namespace's root. */
  chown: boolean
  fail: (entry: TarEntry, why: string, cause?: unknown) => MiniRunError
}

/**
 * Set an entry's PAX xattrs on what was written for it, last: writing or
 * chown would clear security.capability.
 */
export function applyEntryXattrs(entry: TarEntry, path: string, kind: Kind, opts: XattrOptions): void {
  if (!entry.xattrs) return
  for (const [name, value] of entry.xattrs) {
    if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) {
      // overlayfs's own metadata (opaque, redirect, metacopy, origin) must
      // come from whiteouts, not be smuggled in by a layer
      throw opts.fail(entry, `xattr ${name} is reserved for overlayfs`)
    }
    // in a user namespace, a file capability is recorded for its root (VFS_CAP_REVISION_3)
    const namespacedCap = opts.chown && name === 'security.capability'
    if (opts.rootless && !name.startsWith('user.') && !namespacedCap) {
      getLogger().debug({ path, xattr: name }, 'rootless: skipping privileged xattr')
      continue
    }
    try {
      fileCalls.lsetxattr(path, name, value)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || (kind === 'symlink' && code === 'EPERM')) {
        getLogger().debug({ path, xattr: name, code }, 'file system refuses xattr: skipped')
        continue
      }
      throw opts.fail(entry, `setting xattr ${name}: ${(err as Error).message}`, err)
    }
  }
}
