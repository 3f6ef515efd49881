/**
 * Content digests (`sha256:<64 hex>`) and layer chain ids.
 *
 * Only sha256 is accepted: it is what every registry and `docker save`
 * produce, and a store keyed by one algorithm cannot hold two names for the
 * same content.
 */
import { MiniRunError } from '../errors.js'
import { nodeCrypto } from '../lazy-crypto.js'
import { sha256Hex } from './sha256-text.js'

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value)
}

/** The hex part of a digest; throws EBADDIGEST naming the value if it is not one. */
export function digestHex(digest: string): string {
  if (!DIGEST_RE.test(digest)) {
    throw new MiniRunError(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 lowercase hex>`, {
      code: 'EBADDIGEST',
    })
  }
  return digest.slice(7)
}

export function sha256Digest(data: Buffer | string): string {
  return 'sha256:' + nodeCrypto().createHash('sha256').update(data).digest('hex')
}

/**
 * ChainIDs of a stack of layers, bottom first (OCI image spec, config.md
 * "Layer ChainID"): ChainID(L0) = DiffID(L0), ChainID(Ln) =
 * sha256(ChainID(Ln-1) + " " + DiffID(Ln)). A layer's directory is keyed by
 * its chain id and not its diff id because an overlay lower dir is only
 * meaningful on top of the same parents.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = []
  let parent: string | undefined
  for (const diffId of diffIds) {
    digestHex(diffId)
    // sha256Hex, not node:crypto: a run of a stored image hashes nothing else (sha256-text.ts)
    parent = parent === undefined ? diffId : `sha256:${sha256Hex(`${parent} ${diffId}`)}`
    out.push(parent)
  }
  return out
}
