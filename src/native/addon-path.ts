/**
 * Where ffi-rs's prebuilt glibc addon is, for lib.ts (which loads it) and
 * the launcher (which has it loaded ahead, native/map-file.c `preload`).
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The glibc prebuilt addon's file for arch, found the way Node's resolution
 * would find its package (node_modules of the package root, then of each
 * directory above it) but without reading package.json files on the way,
 * which require() does: 0.5 ms at each start. undefined when it is not there.
 */
export function prebuiltAddon(packageRoot: string, arch: string): string | undefined {
  const file = `node_modules/@yuuang/ffi-rs-linux-${arch}-gnu/ffi-rs.linux-${arch}-gnu.node`
  for (let dir = packageRoot; ; dir = dirname(dir)) {
    if (existsSync(join(dir, file))) return join(dir, file)
    if (dir === dirname(dir)) return undefined
  }
}
