/**
 * The modes of the store's own directories, for every module that may be
 * the first to make one (the image store, the locks, the volumes).
 *
 * Root's store may be searched by others: a --userns=auto container's root
 * (another uid) must reach its writable layer and its layers' idmapped
 * mounts under containers/<id>/. A rootless user's store is theirs alone:
 * their containers' ids map to them. Everything under it but containers/
 * is private (see store.ts).
 */
import { storeRootMode } from '../paths.js'

export const storeRootDir = () => ({ mode: storeRootMode(), what: 'image store' })
export const STORE_PRIVATE = { mode: 0o700, what: 'image store directory' }

/** layers/<chainId>/blob: the layer's blob as received (store.ts, store-layer-ingest.ts). */
export const LAYER_BLOB = 'blob'
