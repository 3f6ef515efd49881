/**
 * Read a file of the image (its /etc/passwd and /etc/group) before the
 * rootfs is mounted: from the topmost layer that has it, honouring overlay
 * whiteouts, and never following a symlink (a symlinked /etc/passwd could
 * point at the host's).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { isOpaqueDir, lstatOrUndefined } from '../../image/overlay-marks.js'

/**
 * `relPath` (no leading slash) in the merged view of `layers` (top first),
 * or undefined when absent, whited out, or not a regular file.
 */
export function readImageFile(layers: readonly string[], relPath: string): string | undefined {
  const ancestors: string[] = []
  for (let dir = dirname(relPath); dir !== '.' && dir !== '/'; dir = dirname(dir)) ancestors.push(dir)
  for (const [i, layer] of layers.entries()) {
    // the bottom layer has nothing below it to hide: its marks are not read
    const lowest = i === layers.length - 1
    let opaque = false
    for (const dir of ancestors) {
      const st = lstatOrUndefined(join(layer, dir))
      if (!st) continue
      // a symlink, file or whiteout in place of a parent hides (or redirects) the path
      if (!st.isDirectory()) return undefined
      if (!lowest && isOpaqueDir(join(layer, dir))) opaque = true
    }
    const st = lstatOrUndefined(join(layer, relPath))
    if (st) return st.isFile() ? readFileSync(join(layer, relPath), 'utf8') : undefined
    if (opaque) return undefined // an opaque parent hides the layers below
  }
  return undefined
}


