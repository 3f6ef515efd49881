/**
 * What the layer-making steps share: the plan a step hands to the cache
 * (StageRun.through), and making a layer of files in the store.
 */
import { describeError, MiniRunError, UsageError } from '../errors.js'
import type { Descriptor } from '../image/oci.js'
import type { BuildRun } from './builder.js'
import type { Instruction } from './dockerfile.js'
import type { BuildState } from './image-state.js'
import { rm } from 'node:fs/promises'
import { runHelper } from '../rootless/helper-process.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import { commitLayerBlob, writeLayerBlob, type LayerBlob, type LayerFile } from './layer-tar.js'
import { writeUpperBlob, type UpperBlobRequest } from './upper-blob.js'
import { tmpPath } from '../image/tmp-name.js'
import { stateChainIds } from './image-state.js'

export interface StepPlan {
  /** What the cache key is made of (with the parent's key). */
  parts: unknown[]
  run: () => Promise<BuildState>
  /** Called once the step is done, hit or miss. */
  cleanup?: () => Promise<void>
}

export function stepError(i: Instruction, message: string, cause?: unknown): UsageError {
  return new UsageError(`Dockerfile:${i.line}: ${i.keyword}: ${message}`, { code: 'EDOCKERFILE', ...(cause !== undefined ? { cause } : {}) })
}

/**
 * An error of the user's input met while doing `i` (a `${X:?}` unset, a
 * bad signal, a COPY source not there), said with the instruction's line,
 * as BuildKit points at the instruction that failed; one that names its
 * line already, or is not the input's fault, passes as it is.
 */
export function atInstruction(i: Pick<Instruction, 'line' | 'keyword'>, err: unknown): unknown {
  if (!(err instanceof UsageError) || err.code === 'EDOCKERFILE') return err
  return new UsageError(`Dockerfile:${i.line}: ${i.keyword}: ${err.message}`, { code: 'EDOCKERFILE', cause: err })
}

/** `fn`, its input errors said with the line of `i` (atInstruction's). */
export function atLine<T>(i: Instruction, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw atInstruction(i, err)
  }
}

/**
 * An image a line names (FROM's base, COPY --from's) could not be had: not
 * in the store, and not pulled (a registry's 404, a registry down, a name
 * it refuses). Whatever failed, it was for that line: said with it, as a
 * failed RUN is; the error keeps its code (ENOTFOUND, EAUTH...) and is the
 * cause.
 */
export function imageError(i: Pick<Instruction, 'line' | 'keyword'>, err: unknown): unknown {
  if (err instanceof UsageError) return atInstruction(i, err)
  if (!(err instanceof Error) || /^Dockerfile:\d+: /.test(err.message)) return err
  const code = err instanceof MiniRunError ? err.code : undefined
  return new MiniRunError(`Dockerfile:${i.line}: ${i.keyword}: ${describeError(err)}`, { ...(code !== undefined ? { code } : {}), cause: err })
}

/**
 * A RUN's writable layer as a layer on top of `state`, or undefined when the
 * command changed nothing (no layer, as BuildKit). Its blob goes to a path
 * of the store's tmp/ named for this process, which no sweep of another
 * takes; in a rootless store with subordinate ids it is written in the
 * user's namespace (upper-blob.ts), and Ctrl-C kills that writer.
 */
export async function upperLayer(run: BuildRun, state: BuildState, upper: { upperDir: string; mountTargets: string[] }): Promise<{ diffId: string; descriptor: Descriptor } | undefined> {
  await run.store.init()
  const epoch = run.o.sourceDateEpoch
  const ids = run.store.rootless ? ownSubordinateIds() : undefined
  const request: UpperBlobRequest = {
    upperDir: upper.upperDir,
    blobPath: tmpPath(run.store.tmpDir, 'blob'),
    mountTargets: upper.mountTargets,
    lowerDirs: stateChainIds(state).map((c) => run.store.layerFsPath(c)).reverse(),
    // in the namespace a file shows the image's ids: no maps there
    ...(!ids && run.store.idMaps ? { idMaps: run.store.idMaps } : {}),
    ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
  }
  let blob: LayerBlob
  try {
    blob = ids ? checkedBlob(await runHelper(ids, { op: 'layer-blob', ...request }, 'make the layer of a RUN', run.o.signal), request.blobPath) : await writeUpperBlob(request)
  } catch (err) {
    await rm(request.blobPath, { force: true })
    throw err
  }
  if (blob.entries === 0) {
    await rm(blob.path, { force: true })
    return undefined
  }
  const { descriptor } = await commitLayerBlob(run.store, blob, state.config.rootfs.diff_ids, run.lease)
  return { diffId: blob.diffId, descriptor }
}

/** The helper's reply, taken only as the blob at the path asked for, with digests of the right form. */
function checkedBlob(reply: unknown, path: string): LayerBlob {
  const b = reply as Partial<LayerBlob> | null
  const digest = /^sha256:[0-9a-f]{64}$/
  if (!b || b.path !== path || !digest.test(String(b.digest)) || !digest.test(String(b.diffId)) || !Number.isSafeInteger(b.size) || !Number.isSafeInteger(b.entries)) {
    throw new MiniRunError('the user namespace helper answered with something other than the layer asked for', { code: 'EHELPER' })
  }
  return b as LayerBlob
}

/** Make a layer of `files` on top of `state`, in the store. */
export async function makeLayer(run: BuildRun, state: BuildState, files: Iterable<LayerFile>): Promise<{ diffId: string; descriptor: Descriptor }> {
  const blob = await writeLayerBlob(run.store, files, run.o.sourceDateEpoch !== undefined ? { sourceDateEpoch: run.o.sourceDateEpoch } : {})
  const { descriptor } = await commitLayerBlob(run.store, blob, state.config.rootfs.diff_ids, run.lease)
  return { diffId: blob.diffId, descriptor }
}

