/**
 * Ingesting a layer into the store: under the layer's lock, unpack and
 * verify it in tmp/, then publish it with one rename (or, for a layer whose
 * blob was lost, adopt the new blob with one link). Apart from store.ts,
 * which keeps the layout and the reads; this is the store's one writer of
 * layers/. The ImageStore methods unpackLayer and importLayer call it.
 */
import { link, mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { crashPoint } from '../crash-point.js'
import { getLogger } from '../log.js'
import type { RootlessIds } from '../rootless/subordinate-ids.js'
import { digestHex } from './digest.js'
import { LAYER_BLOB } from './store-dirs.js'
import { describeStoreError } from './store-errors.js'
import { lockLayer } from './store-locks.js'
import { removeTree, syncDir, syncTree, tmpPath, writeFileAtomic } from './store-tmp.js'
import type { LayerRecord, StoreAccess, UnpackLayerOptions, UnpackLayerResult } from './store-types.js'

/** The maps a rootless store's layers are unpacked with (ImageStore decides them once). */
export type SubordinateIds = Extract<RootlessIds, { kind: 'subordinate' }>

function isErrno(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '')
}

export async function ingestStoreLayer(
  store: StoreAccess,
  stream: Readable,
  opts: Omit<UnpackLayerOptions, 'digest'> & { digest?: string },
  ids: SubordinateIds | undefined,
): Promise<UnpackLayerResult> {
  digestHex(opts.diffId)
  digestHex(opts.chainId)
  const dest = store.layerPath(opts.chainId)
  if ((await store.hasLayer(opts.chainId)) && (await store.hasLayerBlob(opts.chainId))) {
    stream.destroy()
    return { ...(await store.getLayer(opts.chainId)), skipped: true }
  }
  await store.init()
  // another process may be ingesting it: wait, then it is likely here
  const lock = await lockLayer(store.root, opts.chainId, opts.signal ? { signal: opts.signal } : {})
  // looked at again under the lock: a layer stored without its blob (by an
  // older mini-run) takes this one's blob, its tree stays
  const present = await store.hasLayer(opts.chainId)
  if (present && (await store.hasLayerBlob(opts.chainId))) {
    lock.release()
    stream.destroy()
    return { ...(await store.getLayer(opts.chainId)), skipped: true }
  }
  const work = tmpPath(store.tmpDir, 'layer')
  try {
    await mkdir(work, { mode: 0o700 })
    const ingest = {
      ...(opts.digest !== undefined && { expectDigest: opts.digest }),
      ...(opts.size !== undefined && { expectSize: opts.size }),
      expectDiffId: opts.diffId,
      rootless: store.rootless,
      limits: store.limits,
      blobPath: join(work, LAYER_BLOB),
      ...(opts.progress && { progress: opts.progress }),
      ...(opts.signal && { signal: opts.signal }),
    }
    // loaded here: decompression pulls in node:stream, node:zlib and zstd,
    // which `run` of a stored image never needs
    const result = ids
      ? await (await import('./ingest-in-userns.js')).ingestInUserns(stream, join(work, 'fs'), { ...ingest, ids })
      : await (await import('./ingest-layer.js')).ingestLayer(stream, join(work, 'fs'), ingest)
    const record: LayerRecord = {
      chainId: opts.chainId,
      diffId: result.diffId,
      digest: result.digest,
      compressedSize: result.compressedSize,
      compression: result.compression,
      ...(opts.mediaType !== undefined && { mediaType: opts.mediaType }),
      size: result.size,
      entries: result.entries,
      created: new Date().toISOString(),
      ...(ids ? { idMaps: { uid: ids.uid, gid: ids.gid } } : {}),
    }
    if (present) return { ...(await adoptLayerBlob(store, work, dest, record)), skipped: false }
    await writeFile(join(work, 'layer.json'), JSON.stringify(record, null, 2) + '\n')
    // private like all of layers/: its setuid files and device nodes must
    // be reachable through a container only
    return { ...(await commitLayer(store, work, dest, opts.chainId, record)), skipped: false }
  } catch (err) {
    throw describeStoreError(err, `unpack layer ${opts.digest ?? opts.chainId}`, store.root)
  } finally {
    try {
      await removeTree(work)
    } finally {
      // the lock file is not needed once the layer is in place: waiters hold the old one, and find the layer
      if (await store.hasLayer(opts.chainId)) lock.releaseAndRemove()
      else lock.release()
    }
  }
}

/**
 * A layer stored before its blob was kept (or whose blob was lost): the
 * tree just unpacked and verified is dropped, its blob joins the layer.
 * link(2) fails if another process adopted one first: theirs stays, with
 * the record that names it.
 */
async function adoptLayerBlob(store: StoreAccess, work: string, dest: string, record: LayerRecord): Promise<LayerRecord> {
  try {
    await link(join(work, LAYER_BLOB), join(dest, LAYER_BLOB))
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return store.getLayer(record.chainId)
    throw err
  }
  const old = await store.getLayer(record.chainId)
  const updated: LayerRecord = { ...old, digest: record.digest, compressedSize: record.compressedSize, compression: record.compression }
  if (record.mediaType !== undefined) updated.mediaType = record.mediaType
  else delete updated.mediaType
  await writeFileAtomic(store.tmpDir, join(dest, 'layer.json'), JSON.stringify(updated, null, 2) + '\n')
  return updated
}

/** Rename an unpacked layer into place; if another process won the race, keep theirs. */
async function commitLayer(store: StoreAccess, work: string, dest: string, chainId: string, record: LayerRecord): Promise<LayerRecord> {
  // the tree and its record reach the disk before the rename publishes them
  await syncTree(work)
  crashPoint('layer:before-rename')
  try {
    await rename(work, dest)
    await syncDir(store.layersDir)
    crashPoint('layer:after-rename')
    return record
  } catch (err) {
    if (isErrno(err, 'ENOTEMPTY', 'EEXIST')) {
      getLogger().debug({ chainId }, 'layer appeared while unpacking: keeping the existing copy')
      return store.getLayer(chainId)
    }
    throw err
  }
}
