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
 *   stdin for a tar stream into the container (`cp - C:/dir`)
 *
 * The helper copies as copy-container.ts does, with the ids its namespace
 * shows, which are the container's.
 */
import { spawn } from 'node:child_process'
import { closeSync, createWriteStream, openSync } from 'node:fs'
import { once } from 'node:events'
import { MiniRunError } from '../../../errors.js'
import { helperPath, parseReply } from '../../../rootless/helper-process.js'
import { findProgram } from '../../../rootless/subordinate-ids.js'
import type { ContainerInfo } from '../containers.js'
import { openContainerRoot } from './container-root.js'
import { copyTree } from './copy-tree.js'
import { tarFrom, tarInto } from './copy-tar.js'
import { hostView, rootView } from './fs-view.js'
import { readError, readOnlyReason, type CpOptions } from './copy-policy.js'

const ROOT_FD = 3
const USERNS_FD = 4
const TAR_FD = 5

/** What the helper is asked: a direction, the paths (none: the tar stream), and what readOnlyReason reads of the container. */
export interface CpRequest {
  op: 'cp'
  direction: 'out' | 'in'
  /** The container's path (out), or the host's (in); none: a tar stream from stdin (in). */
  src?: string
  /** The host's path (out; none: a tar stream to fd 5), or the container's (in). */
  dst?: string
  archive: boolean
  followLink: boolean
  container: Pick<ContainerInfo, 'name' | 'spec' | 'startInput'>
}

/** Whether `c` is copied through its user namespace: an ordinary user's, with more than the user's own id mapped. */
export function copiesInUserNamespace(c: ContainerInfo, root: boolean): boolean {
  return !root && (c.spec?.linux.uidMappings?.length ?? 0) > 1
}

/** The parent's side: the copy made by the helper in the container's user namespace. */
export async function copyInUserNamespace(
  c: ContainerInfo,
  request: Omit<CpRequest, 'op' | 'container'>,
  io: { input?: AsyncIterable<Buffer>; output?: (chunk: Buffer) => Promise<void> | void } = {},
): Promise<void> {
  const nsenter = findProgram('nsenter')
  if (!nsenter) throw new MiniRunError('cp of a rootless container needs nsenter(1) (Debian: util-linux) to enter its user namespace', { code: 'ENOENT' })
  const container = { name: c.name, ...(c.spec && { spec: c.spec }), ...(c.startInput && { startInput: c.startInput }) }
  const full: CpRequest = { op: 'cp', ...request, container }
  const root = await openContainerRoot(c)
  let userns: number | undefined
  try {
    userns = openSync(`/proc/${root.pid}/ns/user`, 'r')
    const argv = [`--user=/proc/self/fd/${USERNS_FD}`, '--preserve-credentials', '--', process.execPath, helperPath(), JSON.stringify(full)]
    const child = spawn(nsenter, argv, { stdio: [io.input ? 'pipe' : 'ignore', 'pipe', 'pipe', root.fd, userns, io.output ? 'pipe' : 'ignore'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    const closed = once(child, 'close') as Promise<[number | null]>
    const feeding = io.input ? feed(io.input, child.stdin!) : undefined
    if (io.output) for await (const chunk of (child.stdio as unknown as AsyncIterable<Buffer>[])[TAR_FD]!) await io.output(chunk)
    const [status] = await closed
    await feeding
    parseReply(`copy ${request.direction === 'out' ? 'from' : 'to'} ${c.name}`, status, stdout, stderr)
  } finally {
    if (userns !== undefined) closeSync(userns)
    await root.release()
  }
}

/** stdin into the helper; its early end (a refusal) is no error of ours. */
async function feed(input: AsyncIterable<Buffer>, to: NodeJS.WritableStream): Promise<void> {
  const gone = new Promise<void>((resolve) => to.once('error', () => resolve()))
  try {
    for await (const chunk of input) {
      if (!to.write(chunk)) await Promise.race([once(to, 'drain'), gone])
    }
  } finally {
    to.end()
  }
}

/** The helper's side, in the namespace: the ids it sees are the container's. */
export async function serveCopy(r: CpRequest): Promise<true> {
  const c = r.container
  const view = rootView({
    rootFd: ROOT_FD,
    name: `container ${c.name}`,
    ref: c.name,
    readOnly: (path) => readOnlyReason(c, path),
    owner: (src) => (r.archive ? { uid: src.uid, gid: src.gid } : { uid: 0, gid: 0 }),
    inside: (id) => id,
  })
  const o = { archive: r.archive, followLink: r.followLink }
  if (r.direction === 'in') {
    if (r.src !== undefined) copyTree({ view: hostView(), path: r.src }, { view, path: r.dst! }, o)
    else await tarInto({ view, path: r.dst! }, process.stdin)
    return true
  }
  try {
    if (r.dst !== undefined) copyTree({ view, path: r.src! }, { view: hostView(), path: r.dst }, o)
    else {
      const out = createWriteStream('', { fd: TAR_FD })
      await tarFrom({ view, path: r.src! }, o, async (chunk) => {
        if (!out.write(chunk)) await once(out, 'drain')
      })
      out.end()
      await once(out, 'finish')
    }
  } catch (err) {
    throw readError(c, r.src!, err)
  }
  return true
}

export type { CpOptions }
