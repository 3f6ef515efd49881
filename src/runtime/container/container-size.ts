/**
 * `ps -s`: what a container takes on disk, as Docker counts it: its
 * writable layer (SizeRw), and that plus its image's layers (SizeRootFs,
 * "virtual"). Bytes of file content, as the store counts a layer's size.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ContainerState } from './state.js'

/** Bytes of the regular files and symlinks under dir (not following links, not crossing into mounts' content it cannot read). */
export function treeSize(dir: string): number {
  let total = 0
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return 0
  }
  for (const name of entries) {
    const path = join(dir, name)
    try {
      const st = lstatSync(path)
      if (st.isDirectory()) total += treeSize(path)
      else if (st.isFile() || st.isSymbolicLink()) total += st.size
    } catch {
      // removed meanwhile
    }
  }
  return total
}

/** The image's layers, from each layer's record in the store (layers/<hex>/layer.json). */
function imageSize(storeRoot: string, chainIds: string[]): number {
  let total = 0
  for (const chainId of chainIds) {
    try {
      const record = JSON.parse(readFileSync(join(storeRoot, 'layers', chainId.replace(/^sha256:/, ''), 'layer.json'), 'utf8')) as { size?: unknown }
      if (typeof record.size === 'number') total += record.size
    } catch {
      // a layer removed, or a --rootfs container
    }
  }
  return total
}

export function containerSize(c: Pick<ContainerState, 'containerDir' | 'chainIds'>, storeRoot: string): { rw: number; rootFs: number } {
  const rw = c.containerDir ? treeSize(join(c.containerDir, 'upper')) : 0
  return { rw, rootFs: rw + imageSize(storeRoot, c.chainIds ?? []) }
}
