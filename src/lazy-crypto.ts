/**
 * node:crypto, loaded on first use.
 *
 * Loading it compiles a dozen of Node's internal modules, about 5 ms, and
 * `mini-run run` of a stored image usually hashes nothing (a one-layer
 * image's chain id is its diff id). Everything that pulls, loads or verifies
 * content hashes, and pays the 5 ms there.
 */
import { createRequire } from 'node:module'

type NodeCrypto = typeof import('node:crypto')
let loaded: NodeCrypto | undefined

export function nodeCrypto(): NodeCrypto {
  loaded ??= createRequire(import.meta.url)('node:crypto') as NodeCrypto
  return loaded
}
