/**
 * The store keeps each layer's blob exactly as it arrived
 * (layers/<chainId>/blob), for push and save: the same bytes, the digest
 * the record names, nothing left when a layer is refused, and a layer
 * stored without one gets it from the next pull or load of it.
 */
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, test } from 'vitest'
import { sha256Digest } from '../src/image/digest.js'
import { buildLayer, chainIds, tempStore, tmpEntries, type TempStore } from './helpers/image-store.js'
import { pruneStore } from '../src/image/store-gc.js'

let env: TempStore | undefined
afterEach(() => env?.cleanup())

const entries = [{ path: 'hello.txt', type: 'file' as const, content: 'hello\n' }]

describe('kept layer blobs', () => {
  test('the blob is the bytes as received: its digest is the record\'s; gc counts it', async () => {
    env = tempStore()
    const layer = await buildLayer(entries)
    const chainId = chainIds([layer.diffId])[0]!
    const record = await env.store.unpackLayer(Readable.from([layer.blob]), { digest: layer.digest, size: layer.blob.length, diffId: layer.diffId, chainId })
    const kept = readFileSync(env.store.layerBlobPath(chainId))
    expect(kept.equals(layer.blob)).toBe(true)
    expect(sha256Digest(kept)).toBe(record.digest)
    expect(record.compression).toBe('gzip')
    const pruned = await pruneStore(env.store, )
    expect(pruned.deletedLayers).toEqual([chainId])
    expect(pruned.reclaimedBytes).toBe(6 + layer.blob.length) // "hello\n" unpacked, and the blob
  })

  test('a blob that fails verification leaves no layer and no blob', async () => {
    env = tempStore()
    const layer = await buildLayer(entries)
    const chainId = chainIds([layer.diffId])[0]!
    const wrong = `sha256:${'0'.repeat(64)}`
    await expect(
      env.store.unpackLayer(Readable.from([layer.blob]), { digest: wrong, size: layer.blob.length, diffId: layer.diffId, chainId }),
    ).rejects.toMatchObject({ code: 'EDIGEST' })
    expect(existsSync(env.store.layerPath(chainId))).toBe(false)
    expect(tmpEntries(env.store)).toEqual([])
  })

  test('a layer without its blob (an older store) adopts the next one, with the record updated to its compression', async () => {
    env = tempStore()
    const gz = await buildLayer(entries)
    const plain = await buildLayer(entries, false)
    expect(plain.diffId).toBe(gz.diffId)
    const chainId = chainIds([gz.diffId])[0]!
    await env.store.unpackLayer(Readable.from([gz.blob]), { digest: gz.digest, size: gz.blob.length, diffId: gz.diffId, chainId })
    const fsBefore = readdirSync(env.store.layerFsPath(chainId))
    unlinkSync(env.store.layerBlobPath(chainId))
    expect(await env.store.hasLayerWithBlob(chainId)).toBe(false)

    const adopted = await env.store.importLayer(Readable.from([plain.blob]), { diffId: plain.diffId, chainId })
    expect(adopted).toMatchObject({ skipped: false, digest: plain.digest, compression: 'none', compressedSize: plain.blob.length })
    expect(await env.store.getLayer(chainId)).toMatchObject({ digest: plain.digest, compression: 'none' })
    expect(readFileSync(env.store.layerBlobPath(chainId)).equals(plain.blob)).toBe(true)
    expect(readdirSync(env.store.layerFsPath(chainId))).toEqual(fsBefore)
    expect(tmpEntries(env.store)).toEqual([])

    // now complete: the next copy is not read at all
    const again = await env.store.unpackLayer(Readable.from([gz.blob]), { digest: gz.digest, size: gz.blob.length, diffId: gz.diffId, chainId })
    expect(again).toMatchObject({ skipped: true, digest: plain.digest })
  })
})
