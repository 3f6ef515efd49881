/**
 * `export`: a container's whole filesystem as one tar, as `docker export`
 * writes it: the image's layers with the writable layer over them,
 * whiteouts and opaque directories applied, so a removed file is not in
 * it. Volumes and other mounts are not: they are not the container's
 * filesystem (Docker: "does not export the contents of volumes").
 *
 * The merged view is composed here from the layer directories (MergedTree,
 * the same view a build reads its base image through) rather than by
 * mounting the overlay again: it is the same for a running and a stopped
 * container, needs no mount namespace or helper process, and a mount of a
 * running container's upper directory by a second overlay is what the
 * kernel warns against ("upperdir is in-use"). The entries are written by
 * the store's own tar writer (layer-tar.ts), which layers and `save` use.
 */
import { tarStream } from '../build/layer-tar.js'
import { mergedEntries } from '../build/merged-entries.js'
import { readError, type ContainerLayer } from './container-layer.js'

/** The container's filesystem as a tar stream. */
export async function* exportContainer(layer: ContainerLayer): AsyncGenerator<Buffer> {
  try {
    yield* tarStream(mergedEntries(layer.merged))
  } catch (err) {
    throw readError(layer, err)
  }
}
