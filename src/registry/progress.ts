/**
 * What a pull reports as it goes, for a progress display (the CLI's, or
 * `run --pull`'s). The library only reports; the CLI draws.
 */

export type LayerStatus =
  /** Not started: waiting for a download slot. */
  | 'waiting'
  /** Already in the store: not downloaded. */
  | 'exists'
  /** Bytes arriving, and being unpacked as they arrive. */
  | 'downloading'
  /** Every byte received and its digest verified; the store is finishing the unpack. */
  | 'verified'
  /** Unpacked and committed to the store. */
  | 'complete'

export interface LayerProgress {
  /** The compressed blob's digest. */
  digest: string
  /** Bytes of the blob (the descriptor's size). */
  size: number
  /** Bytes received so far. */
  received: number
  status: LayerStatus
}

export type PullEvent =
  /** The manifest is known: what will be pulled, layer by layer, bottom first. */
  | { type: 'resolved'; name: string; manifestDigest: string; platform: string; layers: LayerProgress[] }
  /** A layer changed status or received bytes. The object is the same one each time. */
  | { type: 'layer'; layer: LayerProgress }
  /** Something the user should know that does not stop the pull (Docker prints "WARNING: ..."). */
  | { type: 'warning'; message: string }
  /** Everything is stored and the name points at the image. */
  | { type: 'done'; name: string; manifestDigest: string; configDigest: string }
