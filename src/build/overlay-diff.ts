/**
 * An overlay directory (a container's writable layer, or a layer of the
 * store, which has the same form) as OCI layer entries.
 *
 * What overlayfs writes into its upper directory (kernel
 * Documentation/filesystems/overlayfs.rst) is already a diff: new and
 * changed files in full, a 0:0 character device where a lower name was
 * removed, and the trusted.overlay.opaque xattr (user.overlay.opaque under
 * "userxattr") on a directory that was removed and made again, whose lower
 * content is gone. The OCI layer format (image-spec layer.md) says the same
 * with names: ".wh.<name>" and ".wh..wh..opq".
 *
 * Two overlay features would make the upper directory not a plain diff:
 * redirect_dir (a renamed lower directory is a redirect xattr, not a copy)
 * and metacopy (a chown copies up metadata only). Both are off unless the
 * mount asks for them, and mini-run's mount does not; an upper directory
 * that has them anyway is refused rather than turned into a wrong layer.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import * as fileCalls from '../native/file-calls.js'
import { isWhiteout } from '../image/overlay-marks.js'
import type { LayerFile } from './layer-tar.js'

/** The xattrs a layer carries from the files: file capabilities (setcap). */
const CARRIED_XATTRS = ['security.capability']
const REFUSED_DIR_XATTRS = ['trusted.overlay.redirect', 'user.overlay.redirect']
const REFUSED_FILE_XATTRS = ['trusted.overlay.metacopy', 'user.overlay.metacopy']

function xattr(path: string, name: string): Buffer | null {
  try {
    return fileCalls.lgetxattr(path, name, 256)
  } catch {
    return null
  }
}

function isOpaque(path: string): boolean {
  return xattr(path, 'trusted.overlay.opaque')?.toString() === 'y' || xattr(path, 'user.overlay.opaque')?.toString() === 'y'
}

function devNumbers(st: Stats): { devmajor: number; devminor: number } {
  const rdev = st.rdev
  return {
    devmajor: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
    devminor: (rdev & 0xff) | ((rdev >> 12) & ~0xff),
  }
}

/**
 * The entries of the overlay directory `root`, in sorted walk order
 * (parents before children). Sockets are left out: a tar cannot hold one.
 */
export function* overlayDiff(root: string): Generator<LayerFile> {
  const inodes = new Map<string, string>()
  function* walk(rel: string): Generator<LayerFile> {
    const dir = rel === '' ? root : join(root, rel)
    for (const name of readdirSync(dir).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`
      const host = join(root, path)
      const st = lstatSync(host)
      const base = { path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) }
      if (isWhiteout(st)) {
        yield { ...base, type: 'whiteout', mode: 0 }
        continue
      }
      if (st.isDirectory()) {
        refuseOverlayFeatures(host, path, REFUSED_DIR_XATTRS)
        yield { ...base, type: 'dir' }
        if (isOpaque(host)) yield { ...base, type: 'opaque', mode: 0 }
        yield* walk(path)
        continue
      }
      if (st.isFile()) refuseOverlayFeatures(host, path, REFUSED_FILE_XATTRS)
      if (st.nlink > 1 && !st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`
        const first = inodes.get(key)
        if (first !== undefined) {
          yield { ...base, type: 'hardlink', linkname: first }
          continue
        }
        inodes.set(key, path)
      }
      if (st.isFile()) {
        const xattrs = new Map<string, Buffer>()
        for (const name of CARRIED_XATTRS) {
          const value = xattr(host, name)
          if (value) xattrs.set(name, Buffer.from(value))
        }
        yield { ...base, type: 'file', size: st.size, source: host, ...(xattrs.size ? { xattrs } : {}) }
      } else if (st.isSymbolicLink()) {
        yield { ...base, type: 'symlink', linkname: readlinkSync(host) }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        yield { ...base, type: st.isCharacterDevice() ? 'char' : 'block', ...devNumbers(st) }
      } else if (st.isFIFO()) {
        yield { ...base, type: 'fifo' }
      }
    }
  }
  if (isOpaque(root)) {
    const st = lstatSync(root)
    yield { path: '', type: 'opaque', mode: 0, uid: 0, gid: 0, mtime: Math.floor(st.mtimeMs / 1000) }
  }
  yield* walk('')
}

function refuseOverlayFeatures(host: string, path: string, names: readonly string[]): void {
  for (const name of names) {
    if (xattr(host, name) !== null) {
      throw new MiniRunError(`/${path}: the writable layer uses overlayfs's ${name.split('.').pop()} feature, which a layer tar cannot express`, {
        code: 'EOVERLAYDIFF',
      })
    }
  }
}
