/**
 * A merged tree's entries (merged-tree.ts) in tar order, as the layer
 * writer takes them (layer-tar.ts): each directory before its content,
 * names sorted, a file met again under another name as a hard link to the
 * first, owners as the image has them. What `export` writes for a
 * container and `build -o` for a stage: the filesystem the image shows,
 * whiteouts applied and never listed.
 */
import { readlinkSync, type Stats } from 'node:fs'
import * as fileCalls from '../native/file-calls.js'
import type { LayerFile } from './layer-tar.js'
import type { MergedTree, TreeNode } from './merged-tree.js'

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
