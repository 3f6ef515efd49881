/**
 * `export`: a container's whole filesystem as one tar, as `docker export`
 * writes it: the image's layers with the writable layer over them,
 * whiteouts and opaque directories applied, so a removed file is not in
 * it. Volumes and other mounts are not: they are not the container's
 * filesystem (Docker: "does not export the contents of volumes").
 *
 * The merged view is composed here from the layer directories (MergedTree,
 * the same view a build reads its base image through) rather than by
 * mounting the overlay again: it is the same for a running and a stopped
 * container, needs no mount namespace or helper process, and a mount of a
 * running container's upper directory by a second overlay is what the
 * kernel warns against ("upperdir is in-use"). The entries are written by
 * the store's own tar writer (layer-tar.ts), which layers and `save` use.
 */
import { readlinkSync, type Stats } from 'node:fs'
import type { LayerFile } from '../build/layer-tar.js'
import type { MergedTree, TreeNode } from '../build/merged-tree.js'
import { tarStream } from '../build/layer-tar.js'
import * as fileCalls from '../native/file-calls.js'
import { readError, type ContainerLayer } from './container-layer.js'

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  return {
    devmajor: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff),
    devminor: (rdev & 0xff) | ((rdev >> 12) & ~0xff),
  }
}

function capability(host: string): ReadonlyMap<string, Buffer> | undefined {
  try {
    const value = fileCalls.lgetxattr(host, 'security.capability', 256)
    return value ? new Map([['security.capability', Buffer.from(value)]]) : undefined
  } catch {
    return undefined
  }
}

/** The merged tree's entries, parents first, each directory's names sorted. */
export function* mergedEntries(tree: MergedTree): Generator<LayerFile> {
  const links = new Map<string, string>()
  function* walk(dir: TreeNode, rel: string): Generator<LayerFile> {
    for (const name of tree.readdir(dir)) {
      const node = tree.child(dir, name)
      if (!node) continue
      const path = rel === '' ? name : `${rel}/${name}`
      const st: Stats = node.stat
      const base = { path, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) }
      if (st.isDirectory()) {
        yield { ...base, type: 'dir' }
        yield* walk(node, path)
        continue
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`
        const first = links.get(key)
        if (first !== undefined) {
          yield { ...base, type: 'hardlink', linkname: first }
          continue
        }
        links.set(key, path)
      }
      if (st.isFile()) {
        const xattrs = capability(node.host)
        yield { ...base, type: 'file', size: st.size, source: node.host, ...(xattrs ? { xattrs } : {}) }
      } else if (st.isSymbolicLink()) yield { ...base, type: 'symlink', linkname: readlinkSync(node.host) }
      else if (st.isCharacterDevice() || st.isBlockDevice()) yield { ...base, type: st.isCharacterDevice() ? 'char' : 'block', ...devNumbers(st.rdev) }
      else if (st.isFIFO()) yield { ...base, type: 'fifo' }
      // a socket: a tar cannot hold one
    }
  }
  yield* walk(tree.root, '')
}

/** The container's filesystem as a tar stream. */
export async function* exportContainer(layer: ContainerLayer): AsyncGenerator<Buffer> {
  try {
    yield* tarStream(mergedEntries(layer.merged))
  } catch (err) {
    throw readError(layer, err)
  }
}
