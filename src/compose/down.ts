/**
 * `compose down`: the project's containers stopped and removed, dependents
 * before what they depend on, then its networks; with -v its named volumes
 * and the containers' anonymous ones; with --rmi its images. Found by
 * label, so it works on what an earlier version of the file made too.
 */
import { ImageStore } from '../image/store.js'
import { removeImage } from '../image/store-gc.js'
import { layersInUse } from '../runtime/container/containers.js'
import { imageUsers } from '../runtime/container/image-users.js'
import { emit, warn, type ComposeContext } from './compose-context.js'
import { removeServiceContainer } from './container-ops.js'
import { startWaves } from './dependency-order.js'
import type { Project } from './model.js'
import { projectContainers, separatorOf, type ServiceContainer } from './project-containers.js'
import { removeNetworks, removeVolumes } from './project-resources.js'

export interface DownOptions {
  /** -v: named volumes and anonymous ones. */
  volumes?: boolean
  /** --rmi local: images built for services without an image name of their own; all: every service's image. */
  rmi?: 'local' | 'all'
  removeOrphans?: boolean
  timeout?: number
  /** down SERVICE...: only these services' containers; the networks (and -v's named volumes) once no container of the project is left. */
  services?: string[]
}

/** Containers grouped for stopping: reverse dependency order, orphans and one-off containers first. */
export function stopOrder(project: Project | undefined, containers: ServiceContainer[]): ServiceContainer[][] {
  const waves = project ? startWaves(project.services, project.mainFile).reverse() : []
  const inWaves = new Set(waves.flat())
  const groups = [containers.filter((c) => c.oneoff || !inWaves.has(c.service))]
  for (const wave of waves) groups.push(containers.filter((c) => !c.oneoff && wave.includes(c.service)))
  return groups.filter((g) => g.length)
}

export async function down(ctx: ComposeContext, name: string, project: Project | undefined, o: DownOptions = {}): Promise<void> {
  const known = (c: ServiceContainer) => c.oneoff || !project || project.services[c.service] !== undefined || project.disabledServices.includes(c.service)
  const every = projectContainers(ctx.stateRoot, name)
  const all = o.services ? every.filter((c) => o.services!.includes(c.service)) : every
  const orphans = o.services ? [] : all.filter((c) => !known(c))
  if (orphans.length && !o.removeOrphans) {
    warn(ctx, `Found orphan containers (${orphans.map((c) => c.info.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`)
  }
  // rm -f notes the stop as the user's first: a restart policy does not bring the container back
  for (const group of stopOrder(project, all.filter((c) => known(c) || o.removeOrphans))) {
    await Promise.all(group.map((c) => removeServiceContainer(ctx, c, { volumes: o.volumes === true, timeout: o.timeout, service: project?.services[c.service] })))
  }
  // with services named, what the others still use stays (docker compose's down SERVICE)
  if (o.services && projectContainers(ctx.stateRoot, name).length) return
  removeNetworks(ctx, name)
  if (o.volumes) removeVolumes(ctx, name)
  if (o.rmi && project) await removeImages(ctx, project, o.rmi)
}

async function removeImages(ctx: ComposeContext, project: Project, rmi: 'local' | 'all'): Promise<void> {
  const store = new ImageStore({ root: ctx.storeRoot })
  // read under the store's GC lock, as rmi's: a container another process makes meanwhile counts
  const inUse = () => layersInUse(ctx.stateRoot, (ref) => store.resolve(ref))
  const images = new Set<string>()
  for (const s of Object.values(project.services)) {
    // "local": the images compose named itself (<project>-<service>), not one the file names; by name alone
    // (no file read) the name tells it
    if (rmi === 'all' || ((s.build || project.fromLabels) && s.image === project.name + separatorOf(project) + s.name)) images.add(s.image)
  }
  for (const image of images) {
    emit(ctx, 'Image', image, 'Removing')
    try {
      await removeImage(store, image, { inUse, users: async () => imageUsers(ctx.stateRoot) })
      emit(ctx, 'Image', image, 'Removed')
    } catch (err) {
      warn(ctx, (err as Error).message)
    }
  }
}
