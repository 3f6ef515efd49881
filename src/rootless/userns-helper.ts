/**
 * mini-run's work as root of the user's user namespace, as a program of its
 * own (Node cannot enter one: see in-user-namespace.ts). unshare(1) starts
 * it with the containers' maps; there it may chown to every id they map,
 * and the kernel writes the user's subordinate ids to disk. Bundled as
 * dist/mini-run-userns-helper.cjs; helper-process.ts starts it.
 *
 *   argv[2]  the request, as JSON (HelperRequest), or "@N": on fd N (cp's)
 *   stdin    unpack: the layer blob, as it arrives
 *   stdout   one line of JSON: { result } or { error: { message, code } }
 *
 * Eight requests: `cp` in a rootless container's own namespace, which
 * nsenter(1) starts it in (runtime/container/copy/copy-in-userns.ts); and,
 * under unshare(1): unpack a layer (image/ingest-in-userns.ts), copy an
 * image directory into an empty volume with its owners (Docker's
 * pre-population, runtime/container/container-volumes.ts), make a build's
 * layer of a RUN's writable layer (build/upper-blob.ts), whose files the
 * user may not read and whose owners only the namespace shows, give a
 * build's new cache directory to a container user, copy what a RUN
 * mounts from a stage with its owners (both build/run-mounts.ts), read
 * a COPY --from's sources for the user (readable-tree.ts), and look up
 * where a COPY or WORKDIR writes (dest-lookups.ts).
 */
import { lchownSync, readFileSync } from 'node:fs'
import { describeError } from '../errors.js'
import { ingestLayer } from '../image/ingest-layer.js'
import { copyImageDir } from '../runtime/container/copy-image-dir.js'
import { writeUpperBlob } from '../build/upper-blob.js'
import { copyStageInUserNamespace } from '../build/run-mounts.js'
import { recordInUserNamespace } from '../build/readable-tree.js'
import { lookupsInUserNamespace } from '../build/dest-lookups.js'
import type { CpRequest } from '../runtime/container/copy/copy-in-userns.js'
import { serveCopy } from '../runtime/container/copy/copy-in-userns-serve.js'
import type { HelperReply, HelperRequest } from './helper-process.js'

function reply(r: HelperReply): void {
  process.stdout.write(JSON.stringify(r) + '\n')
}

async function serve(request: HelperRequest): Promise<unknown> {
  if (request.op === 'copy-image-dir') return copyImageDir(request.layers, request.relPath, request.dest, { chown: true })
  if (request.op === 'layer-blob') {
    const { op: _op, ...blob } = request
    return writeUpperBlob(blob)
  }
  if (request.op === 'bind-copy') return (await copyStageInUserNamespace(request.layers, request.source, request.dest)) ?? null
  if (request.op === 'mirror-copy') return recordInUserNamespace(request.layers, request, request.dest)
  if (request.op === 'dest-lookups') return lookupsInUserNamespace(request.layers, request.walks)
  if (request.op === 'chown') {
    lchownSync(request.path, request.uid, request.gid)
    return true
  }
  return ingestLayer(process.stdin, request.fsDir, {
    ...(request.expectDigest !== undefined ? { expectDigest: request.expectDigest } : {}),
    ...(request.expectSize !== undefined ? { expectSize: request.expectSize } : {}),
    ...(request.expectDiffId !== undefined ? { expectDiffId: request.expectDiffId } : {}),
    rootless: true,
    keepOwners: true,
    maxId: request.maxId,
    limits: request.limits,
  })
}

// "@N": the request is on fd N (cp's, which may hold a secret's content: argv is every user's to read)
const arg = process.argv[2] ?? '{}'
const request = JSON.parse(arg.startsWith('@') ? readFileSync(Number(arg.slice(1)), 'utf8') : arg) as HelperRequest | CpRequest
// cp's request is its module's own: copy-in-userns.ts starts the helper itself, under nsenter(1)
;(request.op === 'cp' ? serveCopy(request) : serve(request)).then(
  (result) => reply({ result }),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code
    reply({ error: { message: describeError(err), ...(typeof code === 'string' ? { code } : {}) } })
    process.exitCode = 1
  },
)
