/**
 * `compose config --resolve-image-digests`: each image a service names,
 * pinned to the digest its registry gives it now, as docker compose's
 * ImageDigestResolver asks its daemon (DistributionInspect: the descriptor
 * of what the tag names, a multi-platform image's index, so the file stays
 * deployable on any platform), written as compose-go's WithImagesResolved
 * writes it: the name in full, its tag kept, `@digest` after. A reference
 * with a digest already is kept as ParseDockerRef gives it (the tag beside
 * the digest dropped). The image compose names itself for a build-only
 * service is left alone, as an empty one is: docker compose resolves only
 * the file's `image:` (one that names the build's own name is taken for
 * that name here, and left alone too).
 */
import { parseReference } from '../image/reference.js'
import { MiniRunError } from '../errors.js'
import type { Project } from './model.js'
import { separatorOf } from './project-containers.js'

/** The digest a registry gives a reference's manifest (or index) now. */
export type DigestOf = (ref: string) => Promise<string>

/** Whether a service's image is one the file names (not compose's name for a build-only service's). */
function namesImage(project: Project, name: string): boolean {
  const s = project.services[name]!
  return s.image !== '' && (!s.build || s.image !== project.name + separatorOf(project) + name)
}

/**
 * `config --lock-image-digests`: an override file of the images alone (docker
 * compose's imagesOnly: every other attribute dropped), each service by
 * name, with the image the file names, resolved; a build-only service is
 * there without one. Merged after the project's files (`-f compose.yaml -f
 * lock.yaml`), it pins every image.
 */
export function lockDocument(project: Project): Record<string, unknown> {
  const services: Record<string, unknown> = {}
  for (const name of Object.keys(project.services).sort()) services[name] = namesImage(project, name) ? { image: project.services[name]!.image } : {}
  return { services }
}

export async function withImagesResolved(project: Project, digestOf: DigestOf): Promise<Project> {
  const resolved = new Map<string, Promise<string>>()
  const pin = (image: string) => {
    const ref = parseReference(image)
    if (ref.digest !== undefined) return Promise.resolve(ref.name)
    return digestOf(ref.name).then(
      (digest) => `${ref.name}@${digest}`,
      (err: Error) => Promise.reject(new MiniRunError(`failed to resolve digest for ${ref.name}: ${err.message}`, { cause: err })),
    )
  }
  const services: Project['services'] = {}
  for (const [name, s] of Object.entries(project.services)) {
    if (!namesImage(project, name)) {
      services[name] = s
      continue
    }
    if (!resolved.has(s.image)) resolved.set(s.image, pin(s.image))
    services[name] = { ...s, image: await resolved.get(s.image)! }
  }
  return { ...project, services }
}
