/**
 * The types of the image store's API (store.ts), in one place for callers
 * (the registry client, the runtime, the CLI).
 */
import type { Compression } from './decompress.js'
import type { ImageConfig, ImageManifest, Platform } from './oci.js'
import type { RootlessIds } from '../rootless/subordinate-ids.js'
import type { IdMapping } from '../runtime/spec/spec.js'
import type { UnpackLimits } from './layer-entry-checks.js'
import type { ImageUser } from './image-delete-conflict.js'

/** Manifests, configs and indexes are small; a bigger one is hostile. */
export const MAX_BLOB_SIZE = 4 * 1024 * 1024

export interface ImageStoreOptions {
  /**
   * Store directory. Default: $MINI_RUN_ROOT, else /var/lib/mini-run as root,
   * else $XDG_DATA_HOME/mini-run or ~/.local/share/mini-run.
   */
  root?: string
  /**
   * Unpack without privileges: no chown, no device nodes, no trusted.* or
   * security.* xattrs, and opaque dirs marked with user.overlay.opaque (for
   * overlay mounted with "userxattr"). Default: not running as uid 0.
   */
  rootless?: boolean
  /**
   * Rootless with subordinate ids (rootless/subordinate-ids.ts): layers are
   * unpacked as root of a user namespace with these maps, their owners
   * shifted into the user's range as the containers' namespace maps them.
   * Default: the user's own, when rootless and they have a range; false:
   * never (every file the user's, as before).
   */
  subordinateIds?: Extract<RootlessIds, { kind: 'subordinate' }> | false
  /** Caps on what one layer may unpack to. */
  limits?: Partial<UnpackLimits>
}

export interface ResolvedImage {
  /** The normalized name, e.g. docker.io/library/alpine:latest (or the image id for an untagged image). */
  name: string
  manifestDigest: string
  /** The image id, as Docker prints it. */
  configDigest: string
  config: ImageConfig
  manifest: ImageManifest
  /** Chain ids of the layers, bottom first (what a container keeps in use). */
  chainIds: string[]
  /** Absolute paths of the layers' fs/ dirs, bottom layer first. */
  layerDirs: string[]
}

export interface UnpackLayerOptions {
  /** Digest of the blob as it is streamed (compressed), verified while streaming. */
  digest: string
  /** Size of the blob in bytes (the descriptor's size); more or fewer bytes fail. */
  size?: number
  /** The descriptor's media type; the compression is also sniffed from the bytes. */
  mediaType?: string
  /** sha256 of the uncompressed tar, from the config's rootfs.diff_ids. */
  diffId: string
  /** Chain id of this layer on top of its parents (digest.ts chainIds). */
  chainId: string
  /** Called as bytes of the blob arrive, with the running total. */
  progress?: (bytes: number) => void
  signal?: AbortSignal
}

/** What layers/<chainIdHex>/layer.json holds. */
export interface LayerRecord {
  chainId: string
  diffId: string
  /** The compressed blob's digest and size, as received. */
  digest: string
  compressedSize: number
  mediaType?: string
  /** As sniffed from the blob. */
  compression: Compression
  /** Bytes of file content once unpacked. */
  size: number
  entries: number
  created: string
  /**
   * The user namespace maps its files' owners were shifted by (a rootless
   * store with subordinate ids): the image's id X is host id X's image under
   * them. Absent: the image's own ids (as root), or all the user's (rootless
   * without a range).
   */
  idMaps?: { uid: IdMapping[]; gid: IdMapping[] }
}

/** A repository known to hold a layer's blob: where it was pulled from or pushed to. */
export interface LayerSource {
  /** The blob's digest there (a layer may have been pulled with another compression). */
  digest: string
  /** As in references: "docker.io", "127.0.0.1:5000". */
  registry: string
  /** The path in the registry: "library/alpine". */
  repository: string
}

export interface UnpackLayerResult extends LayerRecord {
  /** True when the layer was already in the store and the stream was not read. */
  skipped: boolean
}

export interface ImageSummary {
  /** The ref's name; for an untagged image, its id. */
  name: string
  /** e.g. "docker.io/library/alpine"; undefined for an untagged image. */
  repository?: string
  /** The short form Docker prints: "alpine". */
  familiarRepository?: string
  tag?: string
  digest?: string
  manifestDigest: string
  /** The digest a registry holds the name under (RefRecord.repoDigest). */
  repoDigest?: string | null
  /** The image id. */
  configDigest: string
  created?: string
  /** Bytes of file content of all layers. */
  size: number
}

export interface RemoveResult {
  untagged: string[]
  /** Blob digests and layer chain ids that were deleted. */
  deleted: string[]
}

export interface PruneOptions {
  /**
   * Chain ids that containers use: never removed. Give a function to have
   * them read under the store's GC lock, so that a container recorded while
   * the collector waited for the lock counts too.
   */
  inUse?: ReadonlySet<string> | (() => Promise<ReadonlySet<string>>)
  /**
   * prune only: remove every image no container was created from (Docker's
   * `image prune -a`), not only untagged ones. An image counts as used when
   * its top layer is in `usedImages`.
   */
  all?: boolean
  /**
   * Top chain ids of the images containers were created from. Default: an
   * image counts as used when any of its layers is in `inUse`.
   */
  usedImages?: ReadonlySet<string> | (() => Promise<ReadonlySet<string>>)
  /**
   * prune only: the images it may untag (image prune --filter until, label);
   * one that does not load is spared. Default: every one.
   */
  select?: (image: ResolvedImage) => boolean
}

export interface RemoveOptions extends PruneOptions {
  /** Docker's -f: delete an image a stopped container uses, or several names designate; untag a running container's. */
  force?: boolean
  /** The containers and the images they were made from, read under the GC lock: Docker's conflicts (image-delete-conflict.ts). */
  users?: readonly ImageUser[] | (() => Promise<readonly ImageUser[]>)
}

export interface PruneResult {
  untagged: string[]
  /** The images whose names `untagged` are, by image id (an untagged image's one name is its id). */
  untaggedImages: { name: string; configDigest: string }[]
  deletedLayers: string[]
  deletedBlobs: string[]
  reclaimedBytes: number
}

export interface LoadArchiveOptions {
  /** Which image of a multi-platform index to load. Default: the host's. */
  platform?: Platform
  /**
   * Name to give what is loaded, overriding the names in the archive (an
   * OCI layout often names its image by tag only).
   */
  name?: string
  progress?: (event: { chainId: string; bytes: number }) => void
  /**
   * Told what the load dropped and why: a name in the archive that pins a
   * digest other than its image's (the image is loaded without it).
   */
  warning?: (message: string) => void
}

export interface LoadedImage {
  /** undefined when the archive names no reference for it. */
  name?: string
  manifestDigest: string
  configDigest: string
}

export interface SetRefOptions {
  /** The multi-platform index a pinned name's digest may be (refs.ts refDigestConflict). */
  index?: Buffer
  /** The name's manifest is the one a registry has under it (RefRecord.repoDigest). */
  fromRegistry?: boolean
}

export interface RefRecord {
  name: string
  manifestDigest: string
  configDigest: string
  updated: string
  /**
   * The manifest digest a registry holds this name's image under, when the
   * name came from one (pull, load) or was sent to one (push): what
   * `inspect` lists as RepoDigests. A built or tagged name has none: null.
   * Absent in a ref written before the field existed, which lists its
   * manifest's digest, as those versions did.
   */
  repoDigest?: string | null
}


/**
 * What the store's helpers (store-images.ts, store-refs.ts,
 * store-layer-ingest.ts) use of an ImageStore, which implements it: they
 * take this, and need not import the class that imports them.
 */
export interface StoreAccess {
  readonly root: string
  readonly rootless: boolean
  readonly limits: UnpackLimits
  readonly layersDir: string
  readonly refsDir: string
  readonly tmpDir: string
  init(): Promise<void>
  layerPath(chainId: string): string
  layerFsPath(chainId: string): string
  hasBlob(digest: string): Promise<boolean>
  getJson<T>(digest: string): Promise<T>
  hasLayer(chainId: string): Promise<boolean>
  hasLayerBlob(chainId: string): Promise<boolean>
  getLayer(chainId: string): Promise<LayerRecord>
  setRef(name: string, manifestDigest: string, opts?: SetRefOptions): Promise<void>
  findRefs(ref: string): Promise<RefRecord[]>
  loadImage(name: string, manifestDigest: string): Promise<ResolvedImage>
}
