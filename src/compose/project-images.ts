/**
 * `compose images`: the image of each of the services' containers (stopped
 * and one-off ones too), as docker compose lists them: the repository and
 * tag the container was made from (the service's `image:`, or the name
 * compose built it under), the image's id and size from the store.
 */
import { ImageStore } from '../image/store.js'
import { familiarRepository, parseReference } from '../image/reference.js'
import type { ComposeContext } from './compose-context.js'
import type { Project } from './model.js'
import { projectContainers } from './project-containers.js'
import { servicesWithContainers } from './service-scope.js'

export interface ContainerImage {
  container: string
  /** "" when the container was made from an image id */
  repository: string
  tag: string
  /** The image id: sha256:<config digest>. */
  id: string
  /** Bytes of its layers' content; 0 when the image is no longer in the store. */
  size: number
}

function repositoryAndTag(ref: string | undefined): { repository: string; tag: string } {
  if (ref === undefined || /^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) return { repository: '', tag: '' }
  try {
    const r = parseReference(ref)
    return { repository: familiarRepository(r.repository), tag: r.tag ?? '' }
  } catch {
    return { repository: '', tag: '' }
  }
}

export async function projectImages(ctx: ComposeContext, project: Project, services?: readonly string[]): Promise<ContainerImage[]> {
  const names = servicesWithContainers(project, services)
  const containers = projectContainers(ctx.stateRoot, project.name).filter((c) => names.has(c.service))
  if (containers.length === 0) return []
  const sizes = new Map((await new ImageStore({ root: ctx.storeRoot }).list()).map((i) => [i.configDigest, i.size]))
  return containers
    .map(({ info }) => ({
      container: info.name,
      ...repositoryAndTag(info.image),
      id: info.imageId ?? '',
      size: sizes.get(info.imageId ?? '') ?? 0,
    }))
    .sort((a, b) => (a.container < b.container ? -1 : a.container > b.container ? 1 : 0))
}
