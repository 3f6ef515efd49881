/**
 * Starting userns-helper.ts as root of the user's user namespace, and
 * reading its one line of reply.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MiniRunError } from '../errors.js'
import type { UnpackLimits } from '../image/layer-entry-checks.js'
import { inUserNamespace, unshareFailure } from './in-user-namespace.js'
import type { RootlessIds } from './subordinate-ids.js'
import type { UpperBlobRequest } from '../build/upper-blob.js'
import type { CopySelection } from '../build/readable-tree.js'
import type { Walks } from '../build/copy-plan.js'

export type SubordinateIds = Extract<RootlessIds, { kind: 'subordinate' }>

export type HelperRequest =
  | {
      op: 'unpack'
      fsDir: string
      expectDigest?: string
      expectSize?: number
      expectDiffId?: string
      limits: UnpackLimits
      /** The highest id the namespace maps: an owner above it has no host id. */
      maxId: number
    }
  | { op: 'copy-image-dir'; layers: string[]; relPath: string; dest: string }
  /** A build's RUN: the container's writable layer as a layer blob at a path of the store's tmp/ (build/upper-blob.ts). */
  | ({ op: 'layer-blob' } & UpperBlobRequest)
  /** A build's new cache mount directory, given to a container user (build/run-mounts.ts). */
  | { op: 'chown'; path: string; uid: number; gid: number }
  /** A build's RUN --mount=type=bind,from=STAGE: a copy of the stage's `source`, owners kept (build/run-mounts.ts). */
  | { op: 'bind-copy'; layers: string[]; source: string; dest: string }
  /** A build's COPY --from=STAGE or IMAGE: its sources resolved and recorded, their bytes copied where the user reads them (build/readable-tree.ts). */
  | ({ op: 'mirror-copy'; layers: string[]; dest: string } & CopySelection)
  /** A build's COPY, ADD or WORKDIR: where it writes looked up in the image (build/dest-lookups.ts). */
  | { op: 'dest-lookups'; layers: string[]; walks: Walks }

export type HelperReply = { result: unknown } | { error: { message: string; code?: string } }

/** dist/mini-run-userns-helper.cjs, from the bundled CLI (dist/), the library (dist/rootless/) or the sources (src/rootless/). */
export function helperPath(): string {
  const candidates = ['./mini-run-userns-helper.cjs', '../mini-run-userns-helper.cjs', '../../dist/mini-run-userns-helper.cjs'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  )
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new MiniRunError('the user namespace helper dist/mini-run-userns-helper.cjs is missing: npm run build', { code: 'ENOHELPER' })
  return found
}

/** The highest container id the maps give (65536 for a full range). */
export function maxMappedId(ids: SubordinateIds): number {
  const top = (maps: SubordinateIds['uid']) => Math.max(...maps.map((m) => m.containerID + m.size - 1))
  return Math.min(top(ids.uid), top(ids.gid))
}

/** The helper's argv under unshare(1). */
export function helperArgv(ids: SubordinateIds, request: HelperRequest): string[] {
  return inUserNamespace(ids, [process.execPath, helperPath(), JSON.stringify(request)])
}

/** Its reply, or the error it sent (with its code), or what unshare said. */
export function parseReply(what: string, status: number | null, stdout: string, stderr: string): unknown {
  const line = stdout.trim().split('\n').at(-1) ?? ''
  let reply: HelperReply | undefined
  try {
    reply = line ? (JSON.parse(line) as HelperReply) : undefined
  } catch {
    reply = undefined
  }
  if (reply && 'result' in reply && status === 0) return reply.result
  if (reply && 'error' in reply) throw new MiniRunError(reply.error.message, { code: reply.error.code ?? 'EHELPER' })
  throw unshareFailure(what, stderr)
}

/** Run a request that needs no input, synchronously. */
export function runHelperSync(ids: SubordinateIds, request: HelperRequest, what: string): unknown {
  const argv = helperArgv(ids, request)
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.error) throw unshareFailure(what, '', r.error)
  return parseReply(what, r.status, r.stdout, r.stderr)
}

/** Run a request that needs no input, without blocking the event loop; an abort kills it. */
export function runHelper(ids: SubordinateIds, request: HelperRequest, what: string, signal?: AbortSignal): Promise<unknown> {
  const argv = helperArgv(ids, request)
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal, killSignal: 'SIGKILL' as const } : {}) })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', (err) => reject(signal?.aborted ? signal.reason : unshareFailure(what, '', err)))
    child.on('close', (status) => {
      if (signal?.aborted) return reject(signal.reason)
      try {
        resolve(parseReply(what, status, stdout, stderr))
      } catch (err) {
        reject(err)
      }
    })
  })
}
