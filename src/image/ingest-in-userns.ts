/**
 * A rootless store with subordinate ids unpacks each layer as podman's
 * does: in a user namespace with the containers' maps (0 -> the user,
 * 1..N -> the user's /etc/subuid range), as root there, so a file the image
 * gives to 33 is owned on disk by the host id that the containers' user
 * namespace maps to 33, and shows as 33 inside. Overlay in the container's
 * namespace then needs no idmapped mount.
 *
 * Node cannot enter a new user namespace (see rootless/in-user-namespace.ts):
 * the unpacker runs as a program of its own, rootless/userns-helper.ts
 * (bundled as dist/mini-run-userns-helper.cjs), started by unshare(1) with
 * those maps.
 * This process feeds it the blob on stdin, counting bytes for the progress,
 * and reads one line of JSON back: the verified result, or the error with
 * its code. The checks (digest, size, diff id, hostile entries) are the
 * helper's, the same code as ingestLayer's in this process.
 */
import { spawn } from 'node:child_process'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { helperArgv, maxMappedId, parseReply, type SubordinateIds } from '../rootless/helper-process.js'
import { unshareFailure } from '../rootless/in-user-namespace.js'
import type { IngestOptions, IngestResult } from './ingest-layer.js'

export async function ingestInUserns(source: Readable, fsDir: string, opts: IngestOptions & { ids: SubordinateIds }): Promise<IngestResult> {
  const label = opts.expectDigest ?? 'blob'
  const argv = helperArgv(opts.ids, {
    op: 'unpack',
    fsDir,
    ...(opts.expectDigest !== undefined ? { expectDigest: opts.expectDigest } : {}),
    ...(opts.expectSize !== undefined ? { expectSize: opts.expectSize } : {}),
    ...(opts.expectDiffId !== undefined ? { expectDiffId: opts.expectDiffId } : {}),
    limits: opts.limits,
    maxId: maxMappedId(opts.ids),
  })
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

  // the blob is kept as it arrives (for push and save), by this process:
  // the helper checks it, and returns only once it has seen all of it
  const blob = opts.blobPath !== undefined ? await open(opts.blobPath, 'wx', 0o600) : undefined
  let sent = 0
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted()
      sent += chunk.length
      opts.progress?.(sent)
      await blob?.write(chunk)
      yield chunk
    }
  }
  // the helper may stop reading early (a hostile entry, a wrong size): its
  // reply says why, and our EPIPE is only the echo of it
  let sourceError: unknown
  const fed = pipeline(counted(), child.stdin).catch((err: unknown) => {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED') return
    // the blob did not arrive whole (a network error, an abort): the helper must not finish
    sourceError = err
    kill()
  })
  try {
    const [{ code, error }] = await Promise.all([exited, fed])
    opts.signal?.throwIfAborted()
    if (error) throw unshareFailure(`unpack layer ${label}`, '', error)
    if (sourceError) throw sourceError
    return parseReply(`unpack layer ${label}`, code, stdout, stderr) as IngestResult
  } finally {
    opts.signal?.removeEventListener('abort', kill)
    source.destroy()
    await blob?.close()
  }
}
