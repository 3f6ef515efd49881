/**
 * What `cp` says of a path, wherever it copies from (copy-container.ts, or
 * copy-in-userns.ts in a rootless container's user namespace): why a write
 * is refused, and a refused read named as the user named it.
 */
import { posix } from 'node:path'
import { MiniRunError } from '../../../errors.js'
import { isRoot } from '../../../paths.js'
import type { EtcFiles } from '../../../network/plan-etc-files.js'
import type { SpecMount } from '../../spec/spec.js'
import type { ContainerInfo } from '../containers.js'
import type { CopyOptions } from './copy-tree.js'
import { reasonOf } from './fs-view.js'

export interface CpOptions extends CopyOptions {
  /** -a: keep the source's uid and gid. */
  archive: boolean
}

/** What readOnlyReason reads of a container: its mounts, its root and the network's /etc files; not its environment. */
export interface MountsOf {
  spec?: { mounts: SpecMount[]; root: { readonly?: boolean } }
  startInput?: { network?: { files?: EtcFiles } }
}

/**
 * Docker's words for a write refused at path: in a read-only volume, or on
 * a read-only root. `volumesOnly`: a container that does not run, whose
 * view holds only its volumes and binds (plan-view.ts), not its tmpfs or
 * the network's /etc files: a path under those is its root's, as Docker's
 * daemon checks only the volumes (checkIfPathIsInAVolume).
 */
export function readOnlyReason(c: MountsOf, path: string, volumesOnly = false): string | undefined {
  const within = (dest: string) => path === dest || path.startsWith(dest.endsWith('/') ? dest : `${dest}/`)
  const networkFiles = new Set(Object.values(c.startInput?.network?.files ?? {}))
  const bound = (m: SpecMount) => m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind') === true
  const counted = (m: SpecMount) => !volumesOnly || (bound(m) && !(m.source && networkFiles.has(m.source)))
  const mount = c.spec?.mounts.filter((m) => within(m.destination) && counted(m)).sort((a, b) => b.destination.length - a.destination.length)[0]
  if (mount) return mount.options?.includes('ro') ? 'mounted volume is marked read-only' : undefined
  return c.spec?.root.readonly ? 'container rootfs is marked read-only' : undefined
}

/**
 * A read the kernel refused, named as the user named it (not the fd path
 * it went through); as an ordinary user, why: cp reads as that user, and a
 * file of another of the container's users may not be readable to it.
 */
export function readError(c: Pick<ContainerInfo, 'name'>, src: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code
  if (err instanceof MiniRunError || !code) return err
  const rootless = code === 'EACCES' && !isRoot() ? " (copied as you, outside the container's user namespace: a file you may not read stays unread)" : ''
  return new MiniRunError(`copy from ${c.name}:${posix.resolve('/', src)}: ${reasonOf(err)}${rootless}`, { code, cause: err })
}

/** A file for writeIntoContainer: its path inside, content, and owner and mode inside. */
export interface ContainerFile {
  path: string
  content: Buffer
  uid: number
  gid: number
  mode: number
}

/** A path of compose watch's sync (sync-container.ts). */
export interface SyncItem {
  /** On the host. */
  host: string
  /** In the container, absolute. */
  container: string
}
