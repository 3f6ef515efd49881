/**
 * The layer unpacker as its own program, run as root of the user's user
 * namespace (ingest-in-userns.ts starts it through unshare(1)): there it
 * may chown to every id the namespace maps, and the kernel writes the
 * user's subordinate ids to disk. Bundled as dist/mini-run-layer-helper.cjs.
 *
 *   argv[2]  the options, as JSON (HelperRequest)
 *   stdin    the layer blob, as it arrives
 *   stdout   one line of JSON: { result: IngestResult } or { error: { message, code } }
 */
import { describeError } from '../errors.js'
import { ingestLayer } from './ingest-layer.js'
import type { UnpackLimits } from './unpack-layer.js'

export interface HelperRequest {
  fsDir: string
  expectDigest?: string
  expectSize?: number
  expectDiffId?: string
  limits: UnpackLimits
  maxId: number
}

export type HelperReply = { result: Awaited<ReturnType<typeof ingestLayer>> } | { error: { message: string; code?: string } }

function reply(r: HelperReply): void {
  process.stdout.write(JSON.stringify(r) + '\n')
}

const request = JSON.parse(process.argv[2] ?? '{}') as HelperRequest
ingestLayer(process.stdin, request.fsDir, {
  ...(request.expectDigest !== undefined ? { expectDigest: request.expectDigest } : {}),
  ...(request.expectSize !== undefined ? { expectSize: request.expectSize } : {}),
  ...(request.expectDiffId !== undefined ? { expectDiffId: request.expectDiffId } : {}),
  rootless: true,
  keepOwners: true,
  maxId: request.maxId,
  limits: request.limits,
}).then(
  (result) => reply({ result }),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code
    reply({ error: { message: describeError(err), ...(typeof code === 'string' ? { code } : {}) } })
    process.exitCode = 1
  },
)
