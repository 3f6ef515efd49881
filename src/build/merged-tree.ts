/**
 * A read-only view of an image's root filesystem straight from its layer
 * directories, as overlayfs would show it, without mounting anything: the
 * topmost layer holding a name wins, a 0:0 character device (an overlay
 * whiteout) hides the name below it, and an opaque directory (the
 * trusted.overlay.opaque or user.overlay.opaque xattr) hides the
 * directories below it (kernel Documentation/filesystems/overlayfs.rst).
 *
 * Symlinks met on the way are resolved inside the image's root, the way
 * the container would see them, never on the host: an image's /bin ->
 * usr/bin must lead to its own usr/bin, and a link to /etc/shadow to the
 * image's, not the host's.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs'
import { join, posix } from 'node:path'
import { MiniRunError } from '../errors.js'
import { isOpaqueDir, isWhiteout, lstatOrUndefined } from '../image/overlay-marks.js'
import { containerId } from '../runtime/spec/id-maps.js'
import type { IdMapping } from '../runtime/spec/spec.js'

export interface TreeNode {
  /** The path in the image, "/" for the root. */
  path: string
  /** The host path of the topmost layer's copy. */
  host: string
  stat: Stats
  /** For a directory: its copies, top first, that contribute entries. */
  dirs: string[]
}

const MAX_SYMLINKS = 40

/** lstat; undefined when nothing is there, any other failure thrown. */
function lstatIfThere(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

type IdMaps = { uid: IdMapping[]; gid: IdMapping[] }

export class MergedTree {
  readonly root: TreeNode
  readonly #idMaps: IdMaps | undefined
  /** The top layer's own maps, when its owners differ from the others' (a container's writable layer). */
  readonly #top: { dir: string; idMaps: IdMaps | undefined } | undefined
  readonly #strict: boolean

  /**
   * `layers`: the layers' fs/ directories, top first (none: an empty root).
   * `idMaps`: a rootless store's, whose files belong to host ids (the
   * user's subordinate ones): nodes then show the image's own ids.
   * `topIdMaps`: the top layer's, when they are not `idMaps`: a container's
   * writable layer is owned by the container's host ids (--userns=auto),
   * its image's layers by the store's.
   * `strict`: a name that cannot be read (EACCES: a directory of another
   * user's, as an ordinary user's layers hold) throws, rather than reading
   * as absent (dest-lookups.ts).
   */
  constructor(readonly layers: readonly string[], idMaps?: IdMaps, options: { topIdMaps?: IdMaps; strict?: boolean } = {}) {
    this.#idMaps = idMaps
    this.#strict = options.strict === true
    this.#top = 'topIdMaps' in options && layers[0] !== undefined ? { dir: layers[0], idMaps: options.topIdMaps } : undefined
    const dirs: string[] = []
    for (const layer of layers) {
      dirs.push(layer)
      if (isOpaqueDir(layer, this.#strict)) break
    }
    const top = layers[0]
    this.root = {
      path: '/',
      host: top ?? '/nonexistent',
      // no layers (FROM scratch): an empty root; only its kind is ever read
      stat: this.#inImage(lstatSync(top ?? '/'), top ?? '/'),
      dirs,
    }
  }

  /** The file's stat with its owner as the image has it (the same object as root). */
  #inImage(st: Stats, host: string): Stats {
    const top = this.#top
    const maps = top && (host === top.dir || host.startsWith(`${top.dir}/`)) ? top.idMaps : this.#idMaps
    if (!maps) return st
    return Object.assign(Object.create(Object.getPrototypeOf(st) as object) as Stats, st, { uid: containerId(maps.uid, st.uid), gid: containerId(maps.gid, st.gid) })
  }

  /** The entry `name` of the directory `dir`, or undefined. */
  child(dir: TreeNode, name: string): TreeNode | undefined {
    let found: TreeNode | undefined
    for (const base of dir.dirs) {
      const host = join(base, name)
      const st = this.#strict ? lstatIfThere(host) : lstatOrUndefined(host)
      if (!st) continue
      if (found === undefined) {
        if (isWhiteout(st)) return undefined
        found = { path: posix.join(dir.path, name), host, stat: this.#inImage(st, host), dirs: [] }
        if (!st.isDirectory()) return found
        found.dirs.push(host)
      } else {
        // a lower copy merges only if it is a directory too
        if (!st.isDirectory()) break
        found.dirs.push(host)
      }
      if (isOpaqueDir(host, this.#strict)) break
    }
    return found
  }

  /**
   * The node at `path` (absolute, in the image), symlinks resolved inside
   * the image; the last one only if `followLast`. undefined if absent.
   */
  lookup(path: string, followLast = true): TreeNode | undefined {
    const stack: TreeNode[] = [this.root]
    const parts = path.split('/').filter((p) => p !== '' && p !== '.')
    let hops = 0
    while (parts.length > 0) {
      const name = parts.shift()!
      const current = stack.at(-1)!
      if (name === '..') {
        if (stack.length > 1) stack.pop()
        continue
      }
      if (!current.stat.isDirectory()) return undefined
      const child = this.child(current, name)
      if (!child) return undefined
      if (child.stat.isSymbolicLink() && (parts.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINKS) throw new MiniRunError(`${path}: too many levels of symbolic links in the image`, { code: 'ELOOP' })
        const target = readlinkSync(child.host)
        if (target.startsWith('/')) stack.splice(1)
        parts.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'))
        continue
      }
      stack.push(child)
    }
    const node = stack.at(-1)!
    // the canonical path: what the symlinks led to
    node.path = '/' + stack.slice(1).map((n) => posix.basename(n.path)).join('/')
    return node
  }

  /** The names in a directory node, sorted, whiteouts and hidden names left out. */
  readdir(dir: TreeNode): string[] {
    const seen = new Set<string>()
    const names: string[] = []
    for (const base of dir.dirs) {
      for (const name of readdirSync(base)) {
        if (seen.has(name)) continue
        seen.add(name)
        const st = this.#strict ? lstatIfThere(join(base, name)) : lstatOrUndefined(join(base, name))
        if (st && !isWhiteout(st)) names.push(name)
      }
    }
    return names.sort()
  }

  /** The same tree, strict (see the constructor). */
  strict(): MergedTree {
    const top = this.#top
    return new MergedTree(this.layers, this.#idMaps, { ...(top ? { topIdMaps: top.idMaps } : {}), strict: true })
  }

  /** Does `path` exist (symlinks followed)? */
  exists(path: string): boolean {
    return this.lookup(path) !== undefined
  }
}
