/**
 * `cp` for an ordinary user's container of subordinate ids, as rootless
 * podman copies: as root of the container's own user namespace. There the
 * files of every container user are readable and writable (a 0600 file of
 * uid 1000 is on disk a subordinate id's, which the user may not read),
 * and a copy can be given to any of them (-a, or root's by default).
 *
 * The parent opens the container's root (container-root.ts) and its user
 * namespace, and hands both to userns-helper.ts under nsenter(1) (Node
 * cannot enter a user namespace: a multithreaded process may not):
 *
 *   fd 3  the container's root, O_PATH: every path is resolved in it
 *   fd 4  the user namespace nsenter joins
 *   fd 5  for SRC as a tar stream (`cp C:/path -`): the stream
 *   fd 6  the request, as JSON (argv is every user's to read)
 *   stdin for a tar stream into the container (`cp - C:/dir`)
 *
 * The helper (copy-in-userns-serve.ts) copies as copy-container.ts does,
 * with the ids its namespace shows, which are the container's; and so
 * writes compose watch's syncs and compose's secrets and configs.
 */
import { spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { MiniRunError } from '../../../errors.js'
import { helperPath, parseReply } from '../../../rootless/helper-process.js'
import { findProgram } from '../../../rootless/subordinate-ids.js'
import type { ContainerInfo } from '../containers.js'
import { openContainerRoot } from './container-root.js'
import type { ContainerFile, MountsOf, SyncItem } from './copy-policy.js'

const USERNS_FD = 4
const TAR_FD = 5
const REQUEST_FD = 6

/**
 * A copy. Out: SRC as a tar stream on fd 5, which the parent writes on the
 * host as the user (tarOnto), never the helper with its namespace's
 * capabilities over the user's files. In: the host's path or stdin's tar.
 */
export interface CopyWork {
  direction: 'out' | 'in'
  /** The container's path (out), or the host's (in); none: a tar stream from stdin (in). */
  src?: string
  /** The container's path (in). */
  dst?: string
  archive: boolean
  followLink: boolean
}

/** compose watch's sync (sync-container.ts); its reply is the items' failures. */
export interface SyncWork {
  direction: 'sync'
  items: SyncItem[]
}

/** Files written, compose's secrets and configs (copy-container.ts's writeIntoContainer); content in base64. */
export interface WriteWork {
  direction: 'write'
  files: (Omit<ContainerFile, 'content'> & { content: string })[]
}

export type CpWork = CopyWork | SyncWork | WriteWork

/** The container, as the helper needs it: its name and status, and what readOnlyReason reads. */
export type CpContainer = Pick<ContainerInfo, 'name' | 'status'> & MountsOf

/** What the helper is asked: the work, and what readOnlyReason reads of the container. */
export type CpRequest = CpWork & { op: 'cp'; container: CpContainer }

/**
 * Whether `c` is copied through its user namespace: an ordinary user's,
 * with more than the user's own id mapped, and a pid namespace of its
 * own. (With the host's, a process of the container that may ptrace in
 * its namespace could reach the helper's, which is the host's mount
 * namespace, through /proc/PID/root: such a container is copied as the
 * user.)
 */
export function copiesInUserNamespace(c: ContainerInfo, root: boolean): boolean {
  return !root && (c.spec?.linux.uidMappings?.length ?? 0) > 1 && c.spec?.linux.namespaces.some((n) => n.type === 'pid' && !n.path) === true
}

/**
 * The parent's side: the copy made by the helper in the container's user
 * namespace. The request goes through a pipe of its own (fd 6), never
 * argv, where every user of the host could read it (a secret's content).
 */
export async function copyInUserNamespace(
  c: ContainerInfo,
  request: CpWork,
  io: { input?: AsyncIterable<Buffer>; output?: (tar: AsyncIterable<Buffer>) => Promise<void> } = {},
): Promise<unknown> {
  const nsenter = findProgram('nsenter')
  if (!nsenter) throw new MiniRunError('cp of a rootless container needs nsenter(1) (Debian: util-linux) to enter its user namespace', { code: 'ENOENT' })
  const what = `copy ${request.direction === 'out' ? 'from' : 'to'} ${c.name}`
  const container: CpContainer = {
    name: c.name,
    status: c.status,
    ...(c.spec && { spec: { mounts: c.spec.mounts, root: { ...(c.spec.root.readonly !== undefined && { readonly: c.spec.root.readonly }) } } }),
    ...(c.startInput?.network?.files && { startInput: { network: { files: c.startInput.network.files } } }),
  }
  const root = await openContainerRoot(c, { userns: true })
  try {
    const argv = [`--user=/proc/self/fd/${USERNS_FD}`, '--preserve-credentials', '--', process.execPath, helperPath(), `@${REQUEST_FD}`]
    const stdio = [io.input ? 'pipe' : 'ignore', 'pipe', 'pipe', root.fd, root.userns!, io.output ? 'pipe' : 'ignore', 'pipe'] as const
    const child = spawn(nsenter, argv, { stdio: [...stdio] })
    const pipes = child.stdio as unknown as (NodeJS.ReadableStream & NodeJS.WritableStream)[]
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const closed = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (status) => resolve(status))
    })
    // the helper gone early (a refusal) ends a pipe with EPIPE: its reply says why
    pipes[REQUEST_FD]!.on('error', () => undefined)
    pipes[REQUEST_FD]!.end(JSON.stringify({ op: 'cp', ...request, container } satisfies CpRequest))
    try {
      const feeding = io.input ? pipeline(Readable.from(io.input), child.stdin!).catch(() => undefined) : undefined
      // the reader's failure (a host write refused, stdout's reader gone) stops the helper, which would wait on it
      let readFailed: { err: unknown } | undefined
      const reading = io.output?.(pipes[TAR_FD] as unknown as AsyncIterable<Buffer>).catch((err: unknown) => {
        readFailed = { err }
        child.kill('SIGKILL')
      })
      const status = await closed
      await Promise.all([feeding, reading])
      // the helper's own error first: a tar cut short is its consequence
      if (/^\{/m.test(stdout)) {
        const result = parseReply(what, status, stdout, stderr)
        if (!readFailed) return result
      }
      if (readFailed) throw readFailed.err
      throw new MiniRunError(`${what}: nsenter(1) failed: ${stderr.trim().split('\n')[0] || `exit status ${status}`}`, { code: 'EUSERNS' })
    } finally {
      // our side failed first (a reader of the tar gone): the helper goes before the root it reads
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await closed.catch(() => undefined)
      }
    }
  } finally {
    await root.release()
  }
}
