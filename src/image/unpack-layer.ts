/**
 * Writes the entries of one layer tar into a directory that becomes an
 * overlay lower dir: OCI whiteouts become overlay whiteouts, and a hostile
 * layer fails without writing outside the directory.
 *
 * Safety model. The directory is new and private to us (it lives in the
 * store's 0700 tmp/) until the finished tree is renamed into place, so the
 * only thing that changes it is this writer. We keep an exact model of what
 * we created (a trie of path components with their kind) and:
 *   - reject absolute paths and ".." components outright (no "stripping"
 *     that could make two strings name one path);
 *   - create every parent through the model: a parent that is not a
 *     directory we made (a symlink, a file) is an error, so nothing is ever
 *     written through a symlink (node-tar CVE-2021-32803/32804/37701,
 *     containerd CVE-2025-47290);
 *   - create every final component exclusively (O_CREAT|O_EXCL|O_NOFOLLOW,
 *     mkdir, symlink, link, mknod all fail with EEXIST), so if the model
 *     were ever wrong the write fails instead of following a link;
 *   - replace a path by first removing what is there, and drop the removed
 *     subtree from the model (a directory replaced by a symlink takes its
 *     model children with it: the cache poisoning of CVE-2021-32803);
 *   - resolve hardlink targets in the model: only non-directories this
 *     layer created.
 * The deferred steps (whiteouts, opaque marks, directory modes and times)
 * run at the end in one walk of the model, checking each directory with
 * lstat before touching it.
 *
 * Whiteouts (OCI image spec, layer.md): ".wh.<name>" hides <name> of lower
 * layers; overlayfs wants a 0:0 character device in its place. A whiteout
 * only hides lower layers, so if this same layer also ships <name> the
 * whiteout is dropped (or, for a directory, makes it opaque: the lower
 * directory's content is gone). ".wh..wh..opq" makes its directory opaque:
 * the xattr trusted.overlay.opaque=y, or user.overlay.opaque=y for
 * unprivileged overlay mounts with "userxattr" (kernel
 * Documentation/filesystems/overlayfs.rst). Both are applied after all
 * entries, so their position in the tar does not matter.
 *
 * Metadata. Files get their exact mode (setuid, setgid, sticky too: fchmod
 * after fchown, because chown clears setuid), owner (as root), mtime, and
 * PAX xattrs, set last since writing or chown would clear
 * security.capability. Directories are created 0700 and get their mode,
 * owner and times after their content (deepest first), else a 0555
 * directory could not be filled without privileges and each write would
 * change the parent's mtime. Every mode is set with chmod: mkdir, open and
 * mknod apply the umask.
 */
import {
  closeSync,
  constants as fsConstants,
  chmodSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import * as fileCalls from '../native/file-calls.js'
import { splitEntryPath, type UnpackLimits } from './layer-entry-checks.js'
import { finishLayerDir, IMPLIED_DIR, lookupNode, S_IFCHR, type DirMeta, type Kind, type Node } from './layer-tree.js'
import { applyEntryXattrs } from './layer-xattrs.js'
import { AUFS_META_PREFIX, OPAQUE_MARKER, WHITEOUT_PREFIX } from './overlay-marks.js'
import type { TarConsumer, TarEntry } from './tar-reader.js'

export interface LayerWriterOptions {
  rootless: boolean
  /**
   * Give files the layer's owners even though rootless: the writer runs as
   * root of a user namespace that maps them to the user's subordinate ids
   * (ingest-in-userns.ts). Default: as root only.
   */
  keepOwners?: boolean
  /** With keepOwners: the highest id the namespace maps; an owner above it has no host id. */
  maxId?: number
  limits: UnpackLimits
  /** Names the layer in errors: its digest. */
  label: string
}

const S_IFBLK = 0o060000
const S_IFIFO = 0o010000
const O_CREATE_FILE =
  fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW | 0o2000000 /* O_CLOEXEC */

export class LayerWriter implements TarConsumer {
  readonly root: string
  entries = 0
  bytes = 0
  #opts: LayerWriterOptions
  #tree: Node = { kind: 'dir', children: new Map(), meta: { ...IMPLIED_DIR } }
  #fd: number | undefined
  #file: { entry: TarEntry; path: string } | undefined
  #skipped = 0
  #chown: boolean

  constructor(root: string, opts: LayerWriterOptions) {
    this.root = root
    this.#opts = opts
    this.#chown = opts.keepOwners ?? !opts.rootless
    mkdirSync(root, { mode: 0o700 })
  }

  #fail(entry: TarEntry | string, why: string, cause?: unknown): MiniRunError {
    const path = typeof entry === 'string' ? entry : entry.path
    return new MiniRunError(`layer ${this.#opts.label}: entry ${JSON.stringify(path)}: ${why}`, {
      code: 'EBADLAYER',
      ...(cause !== undefined && { cause }),
    })
  }

  #limit(what: string): MiniRunError {
    return new MiniRunError(`layer ${this.#opts.label}: ${what}`, { code: 'ELAYERLIMIT' })
  }

  entry(entry: TarEntry): void {
    if (++this.entries > this.#opts.limits.maxEntries) {
      throw this.#limit(`more than ${this.#opts.limits.maxEntries} entries`)
    }
    let parts: string[]
    try {
      parts = splitEntryPath(entry.path)
    } catch (err) {
      throw this.#fail(entry, (err as Error).message)
    }
    if (parts.length > this.#opts.limits.maxDepth) {
      throw this.#limit(`entry ${JSON.stringify(entry.path.slice(0, 200))} is more than ${this.#opts.limits.maxDepth} directories deep`)
    }
    try {
      this.#entry(entry, parts)
    } catch (err) {
      if (err instanceof MiniRunError) throw err
      throw this.#fail(entry, (err as Error).message, err)
    }
  }

  #entry(entry: TarEntry, parts: string[]): void {
    const name = parts.at(-1)
    if (name === undefined) {
      if (entry.type !== 'dir') throw this.#fail(entry, `the layer root must be a directory, not a ${entry.type}`)
      this.#tree.meta = this.#dirMeta(entry)
      this.#applyXattrs(entry, this.root, 'dir')
      return
    }
    if (parts.some((p) => p.startsWith(AUFS_META_PREFIX) && p !== OPAQUE_MARKER)) {
      getLogger().debug({ path: entry.path }, 'ignoring aufs metadata entry')
      return
    }
    const parent = this.#parentDir(entry, parts)
    const rel = parts.join('/')
    const path = `${this.root}/${rel}`

    if (name.startsWith(WHITEOUT_PREFIX)) {
      if (name === OPAQUE_MARKER) parent.opaque = true
      else {
        const hidden = name.slice(WHITEOUT_PREFIX.length)
        if (hidden === '' || hidden === '.' || hidden === '..') throw this.#fail(entry, 'whiteout of an invalid name')
        ;(parent.whiteouts ??= new Map()).set(hidden, entry.mtime)
      }
      return
    }

    const maxId = this.#opts.maxId
    if (this.#chown && maxId !== undefined && (entry.uid > maxId || entry.gid > maxId)) {
      throw this.#fail(entry, `its owner ${entry.uid}:${entry.gid} has no id in your user namespace: your /etc/subuid and /etc/subgid ranges give containers ids 0-${maxId}`)
    }
    const existing = parent.children!.get(name)
    if (existing && !(existing.kind === 'dir' && entry.type === 'dir')) {
      // a later entry replaces an earlier one, as with tar -x
      if (existing.kind === 'dir') rmSync(path, { recursive: true, force: true })
      else unlinkSync(path)
      parent.children!.delete(name)
    }

    switch (entry.type) {
      case 'dir': {
        if (existing?.kind === 'dir') existing.meta = this.#dirMeta(entry)
        else {
          mkdirSync(path, { mode: 0o700 })
          parent.children!.set(name, { kind: 'dir', children: new Map(), meta: this.#dirMeta(entry) })
        }
        this.#applyXattrs(entry, path, 'dir')
        return
      }
      case 'file': {
        if (this.bytes + entry.size > this.#opts.limits.maxBytes) {
          throw this.#limit(`more than ${this.#opts.limits.maxBytes} bytes of file content`)
        }
        this.#fd = openSync(path, O_CREATE_FILE, 0o600)
        this.#file = { entry, path }
        parent.children!.set(name, { kind: 'file' })
        return
      }
      case 'symlink': {
        // the target is kept verbatim: it is resolved inside the container, never here
        symlinkSync(entry.linkpath, path)
        parent.children!.set(name, { kind: 'symlink' })
        if (this.#chown) lchownSync(path, entry.uid, entry.gid)
        lutimesSync(path, entry.mtime, entry.mtime)
        this.#applyXattrs(entry, path, 'symlink')
        return
      }
      case 'hardlink': {
        let targetParts: string[]
        try {
          targetParts = splitEntryPath(entry.linkpath)
        } catch (err) {
          throw this.#fail(entry, `hardlink target ${JSON.stringify(entry.linkpath)}: ${(err as Error).message}`)
        }
        const target = lookupNode(this.#tree, targetParts)
        if (!target) throw this.#fail(entry, `hardlink target ${JSON.stringify(entry.linkpath)} is not in this layer`)
        if (target.kind === 'dir') throw this.#fail(entry, `hardlink target ${JSON.stringify(entry.linkpath)} is a directory`)
        const targetRel = targetParts.join('/')
        if (targetRel === rel) {
          // a link to itself: the file was just removed above; nothing to link to
          throw this.#fail(entry, 'hardlink to itself')
        }
        linkSync(`${this.root}/${targetRel}`, path)
        parent.children!.set(name, { kind: target.kind })
        return
      }
      case 'char':
      case 'block':
      case 'fifo': {
        if (entry.type !== 'fifo' && this.#opts.rootless) {
          // only root can create device nodes; an unprivileged container could not open them anyway
          this.#skipped++
          getLogger().debug({ path: rel }, 'rootless: skipping device node')
          return
        }
        const type = entry.type === 'char' ? S_IFCHR : entry.type === 'block' ? S_IFBLK : S_IFIFO
        fileCalls.mknod(path, type | (entry.mode & 0o7777), entry.devmajor, entry.devminor)
        parent.children!.set(name, { kind: 'other' })
        if (this.#chown) lchownSync(path, entry.uid, entry.gid)
        chmodSync(path, entry.mode)
        lutimesSync(path, entry.mtime, entry.mtime)
        this.#applyXattrs(entry, path, 'other')
        return
      }
    }
  }

  data(chunk: Buffer): void {
    const fd = this.#fd
    if (fd === undefined) return
    this.bytes += chunk.length
    if (this.bytes > this.#opts.limits.maxBytes) throw this.#limit(`more than ${this.#opts.limits.maxBytes} bytes of file content`)
    let off = 0
    while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off)
  }

  entryEnd(): void {
    const fd = this.#fd
    const file = this.#file
    if (fd === undefined || !file) return
    this.#fd = undefined
    this.#file = undefined
    const { entry, path } = file
    try {
      if (this.#chown) fchownSync(fd, entry.uid, entry.gid)
      fchmodSync(fd, entry.mode)
      futimesSync(fd, entry.mtime, entry.mtime)
    } catch (err) {
      throw this.#fail(entry, (err as Error).message, err)
    } finally {
      closeSync(fd)
    }
    this.#applyXattrs(entry, path, 'file')
  }

  /** Close what is open after a failure; the caller removes the directory. */
  abort(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  /** Device nodes skipped because we are not root. */
  get skippedDevices(): number {
    return this.#skipped
  }

  #dirMeta(entry: TarEntry): DirMeta {
    return { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime }
  }

  /** The parent directory node of parts, created (as implied 0755 dirs) where missing. */
  #parentDir(entry: TarEntry, parts: string[]): Node {
    let node = this.#tree
    let rel = ''
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!
      rel = rel === '' ? part : `${rel}/${part}`
      let child = node.children!.get(part)
      if (child === undefined) {
        mkdirSync(`${this.root}/${rel}`, { mode: 0o700 })
        child = { kind: 'dir', children: new Map(), meta: { ...IMPLIED_DIR } }
        node.children!.set(part, child)
      } else if (child.kind !== 'dir') {
        throw this.#fail(entry, `parent ${JSON.stringify(rel)} is a ${child.kind === 'other' ? 'device' : child.kind} in this layer, not a directory`)
      }
      node = child
    }
    return node
  }

  #applyXattrs(entry: TarEntry, path: string, kind: Kind): void {
    applyEntryXattrs(entry, path, kind, { rootless: this.#opts.rootless, chown: this.#chown, fail: (e, why, cause) => this.#fail(e, why, cause) })
  }

  /**
   * The deferred steps, in one depth-first walk of what we created:
   * whiteouts, opaque marks, then each directory's owner, mode and times
   * after its children.
   */
  finish(): void {
    if (this.#fd !== undefined) throw this.#fail(this.#file?.entry.path ?? '?', 'layer ended inside a file')
    finishLayerDir(this.#tree, this.root, '.', { rootless: this.#opts.rootless, chown: this.#chown, fail: (rel, why) => this.#fail(rel, why) })
  }
}
