/**
 * `cp`: files between a container, running or not, and the host (or a tar
 * stream), as `docker cp` copies them. The container's side is resolved in
 * its root (fs-view.ts); the host's side is the caller's own filesystem.
 *
 * Owners: a file copied into the container belongs to the container's
 * root, or with -a (archive) keeps the ids it had (a tar's, or the host
 * file's, taken as ids inside the container); a file copied out belongs to
 * whoever runs cp.
 */
import { closeSync, writeSync } from 'node:fs'
import { posix } from 'node:path'
import { MiniRunError } from '../../../errors.js'
import { containerId, hostId } from '../../spec/id-maps.js'
import type { ContainerInfo } from '../containers.js'
import { openContainerRoot } from './container-root.js'
import { copyTree, statItem, TreeWriter, type CopyOptions } from './copy-tree.js'
import { tarFrom, tarInto, tarOnto } from './copy-tar.js'
import { hostView, rootView, type FsView } from './fs-view.js'
import { copiesInUserNamespace, copyInUserNamespace } from './copy-in-userns.js'
import { readError, readOnlyReason, type ContainerFile, type CpOptions } from './copy-policy.js'

export { readOnlyReason, type ContainerFile, type CpOptions }
import { isRoot } from '../../../paths.js'

export async function withContainerView<T>(c: ContainerInfo, archive: boolean, fn: (view: FsView) => Promise<T> | T): Promise<T> {
  const root = await openContainerRoot(c)
  const uidMap = c.spec?.linux.uidMappings
  const gidMap = c.spec?.linux.gidMappings
  const view = rootView({
    rootFd: root.fd,
    name: `container ${c.name}`,
    ref: c.name,
    readOnly: (path) => readOnlyReason(c, path),
    owner: (src) => (archive ? { uid: hostId(uidMap, src.uid), gid: hostId(gidMap, src.gid) } : { uid: hostId(uidMap, 0), gid: hostId(gidMap, 0) }),
    inside: (id) => ({ uid: containerId(uidMap, id.uid), gid: containerId(gidMap, id.gid) }),
  })
  try {
    return await fn(view)
  } finally {
    await root.release()
  }
}

/** Container -> host path, or -> a tar stream when `write` is given. */
export async function copyFromContainer(c: ContainerInfo, src: string, dst: string | { write: (chunk: Buffer) => Promise<void> | void }, o: CpOptions): Promise<void> {
  if (copiesInUserNamespace(c, isRoot())) {
    // read in its namespace, as a tar; written here as the user: on the host path, or to stdout
    const output = async (tar: AsyncIterable<Buffer>) => {
      if (typeof dst === 'string') await tarOnto(src, { view: hostView(), path: dst }, tar)
      else for await (const chunk of tar) await dst.write(chunk)
    }
    await copyInUserNamespace(c, { direction: 'out', src, ...o }, { output })
    return
  }
  await withContainerView(c, o.archive, async (view) => {
    try {
      if (typeof dst === 'string') copyTree({ view, path: src }, { view: hostView(), path: dst }, o)
      else await tarFrom({ view, path: src }, o, dst.write)
    } catch (err) {
      throw readError(c, src, err)
    }
  })
}

/** Host path, or a tar stream, -> container. Host ids taken as the container's with -a. */
export async function copyToContainer(c: ContainerInfo, src: string | AsyncIterable<Buffer>, dst: string, o: CpOptions): Promise<void> {
  // Docker's daemon refuses running or not: a stopped container's layer is not mounted read-only, so no EROFS says it (fs-view.ts)
  const refused = c.status !== 'running' ? readOnlyReason(c, posix.resolve('/', dst), true) : undefined
  if (refused) throw new MiniRunError(`copy to ${c.name}:${dst}: ${refused}`, { code: 'EROFS' })
  if (copiesInUserNamespace(c, isRoot())) {
    await copyInUserNamespace(c, { direction: 'in', dst, ...(typeof src === 'string' ? { src } : {}), ...o }, typeof src === 'string' ? {} : { input: src })
    return
  }
  await withContainerView(c, o.archive, async (view) => {
    if (typeof src === 'string') {
      // with -a a host file's ids are kept as numbers inside: hostView reports them as they are
      copyTree({ view: hostView(), path: src }, { view, path: dst }, o)
    } else await tarInto({ view, path: dst }, src)
  })
}

/**
 * Files written into a container, running or not, as Docker's daemon
 * unpacks an archive of one entry each (compose's secrets and configs,
 * compose/inject-files.ts): missing parent directories made, 0755 and
 * root's; what was there replaced (a directory refused); each file owned
 * by uid:gid inside the container, with mode. One view of its root for all.
 */
export async function writeIntoContainer(c: ContainerInfo, files: readonly ContainerFile[]): Promise<void> {
  for (const f of files) {
    const refused = c.status !== 'running' ? readOnlyReason(c, posix.resolve('/', f.path), true) : undefined
    if (refused) throw new MiniRunError(`write ${c.name}:${posix.resolve('/', f.path)}: ${refused}`, { code: 'EROFS' })
  }
  // an ordinary user's container of other users: written as its root, who may give them their files
  if (copiesInUserNamespace(c, isRoot())) {
    await copyInUserNamespace(c, { direction: 'write', files: files.map((f) => ({ ...f, content: f.content.toString('base64') })) })
    return
  }
  await withContainerView(c, true, (view) => writeIntoView(view, files))
}

/** writeIntoContainer's files, in a view of the container's root. */
export function writeIntoView(view: FsView, files: readonly ContainerFile[]): void {
  const now = new Date()
  const writer = new TreeWriter(view)
  try {
    for (const f of files) {
      const dst = posix.resolve('/', f.path)
      let dir = '/'
      for (const part of posix.dirname(dst).split('/').filter(Boolean)) {
        dir = posix.join(dir, part)
        if (!statItem(view, dir, true)) writer.dir(dir, { mode: 0o755, uid: 0, gid: 0, mtime: now, atime: now })
      }
      const st = { mode: f.mode, uid: f.uid, gid: f.gid, mtime: now, atime: now }
      const fd = writer.file(dst, { ...st, nlink: 1, dev: 0, ino: 0 })!
      try {
        for (let off = 0; off < f.content.length; ) off += writeSync(fd, f.content, off, f.content.length - off)
      } catch (err) {
        closeSync(fd)
        throw view.writeError(dst, err)
      }
      writer.finishFile(fd, st)
    }
  } finally {
    // the directories made get their mode and owner whatever happened after
    writer.finish()
  }
}
