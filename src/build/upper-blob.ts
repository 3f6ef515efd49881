/**
 * A RUN's writable layer (the overlay's upper directory) as a gzipped layer
 * blob in the store's tmp/: its entries (overlay-diff.ts), as a tar.
 *
 * As root, in this process. In a rootless store with subordinate ids, in
 * the user's namespace (rootless/userns-helper.ts), as podman's builds
 * commit there: the command may have made files of other container users
 * (`adduser`, `chown`, `USER app`), which on disk belong to the user's
 * subordinate ids, may be unreadable to the user (a 0600 file of uid 1000,
 * a 0700 directory), and show their container owners only inside the
 * namespace, which is what the layer must record.
 */
import { ImageStore } from '../image/store.js'
import { writeLayerBlob, type LayerBlob } from './layer-tar.js'
import { overlayDiff } from './overlay-diff.js'

export async function writeUpperBlob(storeRoot: string, upperDir: string, sourceDateEpoch?: number): Promise<LayerBlob> {
  // rootless: false, for a store's tmp/ only: this process is root of the namespace, and unpacks nothing
  const store = new ImageStore({ root: storeRoot, rootless: false })
  return writeLayerBlob(store, overlayDiff(upperDir), sourceDateEpoch !== undefined ? { sourceDateEpoch } : {})
}
