/**
 * The IMAGE `ps` shows for a container: the name it was made from while
 * that name still designates the image it runs, else the image's id, as
 * Docker's daemon lists it (moby daemon/list.go, "if possible keep the
 * original ref"): a name that `rmi` untagged, or that a build, pull or tag
 * moved to another image, shows as the id, which the CLI's IMAGE column
 * cuts to 12 hex digits unless --no-trunc (docker/cli formatter/container.go).
 */
import { isDigest } from '../../image/digest.js'
import { parseReference } from '../../image/reference.js'
import { readRef } from '../../image/refs.js'
import type { ContainerInfo } from './containers.js'

/**
 * A lookup for `ps`: each name's ref file is read once. `refsDir` is the
 * store's (ImageStore.refsDir), or undefined when the store cannot be read:
 * the names are then shown as they are.
 */
export function shownImages(refsDir: string | undefined): (c: ContainerInfo, trunc: boolean) => Promise<string | undefined> {
  const imageOf = new Map<string, Promise<string | undefined>>()
  const resolve = (name: string): Promise<string | undefined> => {
    let found = imageOf.get(name)
    if (found === undefined) {
      found = readRef(refsDir!, parseReference(name).name).then((r) => r?.configDigest, () => undefined)
      imageOf.set(name, found)
    }
    return found
  }
  return async (c, trunc) => {
    const { image, imageId } = c
    if (image === undefined || imageId === undefined || refsDir === undefined || designatesId(image, imageId)) return image
    let current: string | undefined
    try {
      current = await resolve(image)
    } catch {
      // a name parseReference refuses was not made by mini-run: shown as it is
      return image
    }
    if (current === imageId) return image
    return trunc ? imageId.replace(/^sha256:/, '').slice(0, 12) : imageId
  }
}

/** `run ID`, `run sha256:ID` or an id prefix: the id names the image for good. */
function designatesId(image: string, imageId: string): boolean {
  if (isDigest(image)) return image === imageId
  return /^[0-9a-f]{4,64}$/.test(image) && imageId.replace(/^sha256:/, '').startsWith(image)
}
