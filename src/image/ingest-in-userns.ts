/**
 * A rootless store with subordinate ids unpacks each layer as podman's
 * does: in a user namespace with the containers' maps (0 -> the user,
 * 1..N -> the user's /etc/subuid range), as root there, so a file the image
 * gives to 33 is owned on disk by the host id that the containers' user
 * namespace maps to 33, and shows as 33 inside. Overlay in the container's
 * namespace then needs no idmapped mount.
 *
 * Node cannot enter a new user namespace (see rootless/in-user-namespace.ts):
 * the unpacker runs as a program of its own, layer-helper.ts (bundled as
 * dist/mini-run-layer-helper.cjs), started by unshare(1) with those maps.
 * This process feeds it the blob on stdin, counting bytes for the progress,
 * and reads one line of JSON back: the verified result, or the error with
 * its code. The checks (digest, size, diff id, hostile entries) are the
 * helper's, the same code as ingestLayer's in this process.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { MiniRunError } from '../errors.js'
import { inUserNamespace, unshareFailure } from '../rootless/in-user-namespace.js'
import type { RootlessIds } from '../rootless/subordinate-ids.js'
import type { IngestOptions, IngestResult } from './ingest-layer.js'
import type { HelperReply, HelperRequest } from './layer-helper.js'

type Subordinate = Extract<RootlessIds, { kind: 'subordinate' }>

/** dist/mini-run-layer-helper.cjs, from the bundled CLI (dist/), the library (dist/image/) or the sources (src/image/). */
export function layerHelperPath(): string {
  const candidates = ['./mini-run-layer-helper.cjs', '../mini-run-layer-helper.cjs', '../../dist/mini-run-layer-helper.cjs'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  )
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new MiniRunError(`the layer unpacker dist/mini-run-layer-helper.cjs is missing: npm run build`, { code: 'ENOHELPER' })
  return found
}

/** The highest container id the maps give (65536 for a full range). */
function maxId(ids: Subordinate): number {
  const top = (maps: Subordinate['uid']) => Math.max(...maps.map((m) => m.containerID + m.size - 1))
  return Math.min(top(ids.uid), top(ids.gid))
}

export async function ingestInUserns(source: Readable, fsDir: string, opts: IngestOptions & { ids: Subordinate }): Promise<IngestResult> {
  const label = opts.expectDigest ?? 'blob'
  const request: HelperRequest = {
    fsDir,
    ...(opts.expectDigest !== undefined ? { expectDigest: opts.expectDigest } : {}),
    ...(opts.expectSize !== undefined ? { expectSize: opts.expectSize } : {}),
    ...(opts.expectDiffId !== undefined ? { expectDiffId: opts.expectDiffId } : {}),
    limits: opts.limits,
    maxId: maxId(opts.ids),
  }
  const argv = inUserNamespace(opts.ids, [process.execPath, layerHelperPath(), JSON.stringify(request)])
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4096)))
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }))
    child.on('close', (code) => resolve({ code }))
  })
  const kill = () => child.kill('SIGKILL')
  opts.signal?.addEventListener('abort', kill, { once: true })

  let sent = 0
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted()
      sent += chunk.length
      opts.progress?.(sent)
      yield chunk
    }
  }
  // the helper may stop reading early (a hostile entry, a wrong size): its
  // reply says why, and our EPIPE is only the echo of it
  let feedError: unknown
  const fed = pipeline(counted(), child.stdin).catch((err: unknown) => {
    feedError = err
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EPIPE' && code !== 'ERR_STREAM_PREMATURE_CLOSE' && code !== 'ERR_STREAM_DESTROYED') kill()
  })
  try {
    const [{ code, error }] = await Promise.all([exited, fed])
    opts.signal?.throwIfAborted()
    if (error) throw unshareFailure(`unpack layer ${label}`, '', error)
    const line = stdout.trim().split('\n').at(-1) ?? ''
    let reply: HelperReply | undefined
    try {
      reply = line ? (JSON.parse(line) as HelperReply) : undefined
    } catch {
      reply = undefined
    }
    if (reply && 'result' in reply && code === 0) return reply.result
    if (reply && 'error' in reply) throw new MiniRunError(reply.error.message, { code: reply.error.code ?? 'EBADLAYER' })
    // no reply: the blob never arrived whole (a network error), or unshare failed
    if (feedError && (feedError as NodeJS.ErrnoException).code !== 'EPIPE') throw feedError
    throw unshareFailure(`unpack layer ${label}`, stderr)
  } finally {
    opts.signal?.removeEventListener('abort', kill)
    source.destroy()
  }
}
