/**
 * The layer writer's model of what it created (a trie of path components
 * with their kind), and the walk that applies the deferred steps to it at
 * the end. Apart from unpack-layer.ts, whose entry loop only records into
 * the model; the walk checks each directory with lstat before touching it.
 */
import { chmodSync, lchownSync, lstatSync, lutimesSync } from 'node:fs'
import type { MiniRunError } from '../errors.js'
import * as fileCalls from '../native/file-calls.js'
import { opaqueXattrs } from './overlay-marks.js'

export const S_IFCHR = 0o020000

export type Kind = 'dir' | 'file' | 'symlink' | 'other'

export interface DirMeta {
  mode: number
  uid: number
  gid: number
  /** undefined for a directory the layer did not list (an implied parent). */
  mtime: number | undefined
}

export interface Node {
  kind: Kind
  children?: Map<string, Node>
  meta?: DirMeta
  /** Names hidden in lower layers (".wh.<name>" entries), with the entry's mtime. */
  whiteouts?: Map<string, number>
  opaque?: boolean
}

export const IMPLIED_DIR: DirMeta = { mode: 0o755, uid: 0, gid: 0, mtime: undefined }

export interface FinishOptions {
  rootless: boolean
  /** Give directories the layer's owners. */
  chown: boolean
  fail: (rel: string, why: string) => MiniRunError
}

/** The node at parts, or undefined when this layer created nothing there. */
export function lookupNode(tree: Node, parts: string[]): Node | undefined {
  let node: Node | undefined = tree
  for (const part of parts) {
    node = node.children?.get(part)
    if (!node) return undefined
  }
  return node
}

/**
 * The deferred steps for one directory of the model and, first, those below
 * it: whiteouts, the opaque mark, then its owner, mode and times.
 */
export function finishLayerDir(node: Node, path: string, rel: string, opts: FinishOptions): void {
  // The model says directory; check the disk agrees before writing into it.
  const st = lstatSync(path)
  if (!st.isDirectory()) throw opts.fail(rel, 'expected a directory on disk')
  const children = node.children!
  for (const [hidden, mtime] of node.whiteouts ?? []) {
    const child = children.get(hidden)
    // the same layer ships the name: it hides the lower one by itself
    if (child?.kind === 'dir') child.opaque = true
    if (child) continue
    fileCalls.mknod(`${path}/${hidden}`, S_IFCHR, 0, 0)
    lutimesSync(`${path}/${hidden}`, mtime, mtime)
    children.set(hidden, { kind: 'other' })
  }
  for (const [name, child] of children) {
    if (child.kind === 'dir') finishLayerDir(child, `${path}/${name}`, rel === '.' ? name : `${rel}/${name}`, opts)
  }
  if (node.opaque) for (const name of opaqueXattrs(opts.rootless)) fileCalls.lsetxattr(path, name, Buffer.from('y'))
  const meta = node.meta ?? IMPLIED_DIR
  if (opts.chown) lchownSync(path, meta.uid, meta.gid)
  chmodSync(path, meta.mode)
  if (meta.mtime !== undefined) lutimesSync(path, meta.mtime, meta.mtime)
}
