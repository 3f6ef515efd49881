/**
 * What we send in Accept when getting a manifest, and the schema 1 types we
 * refuse. The image media types themselves are in ../image/oci.ts.
 */
import { MediaType } from '../image/oci.js'

/** Schema 1, retired by Docker in 2019: refused with a clear message. */
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json'
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws'
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED])

/**
 * A registry answers 404 or 400 (or, in old versions, a schema 1 conversion)
 * to a client that does not list the manifest types it understands, so all
 * four are always sent. Schema 1 is listed last, at low weight, only so that
 * a registry that has nothing else says so with its media type instead of a
 * 404, and the user learns why.
 */
export const MANIFEST_ACCEPT = [
  MediaType.OCI_INDEX,
  MediaType.DOCKER_MANIFEST_LIST,
  MediaType.OCI_MANIFEST,
  MediaType.DOCKER_MANIFEST,
  `${DOCKER_SCHEMA1_SIGNED};q=0.1`,
  `${DOCKER_SCHEMA1};q=0.1`,
].join(', ')

/** Config media types of a container image; anything else is an artifact we do not run. */
export const CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.OCI_CONFIG, MediaType.DOCKER_CONFIG])

/** Layer media types: tar, gzip or zstd (the store sniffs which), distributable or not. */
export const LAYER_TYPES: ReadonlySet<string> = new Set([
  MediaType.OCI_LAYER,
  MediaType.OCI_LAYER_GZIP,
  MediaType.OCI_LAYER_ZSTD,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  MediaType.OCI_LAYER_NONDIST_GZIP,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  MediaType.DOCKER_LAYER_GZIP,
  MediaType.DOCKER_FOREIGN_LAYER_GZIP,
])
