/**
 * One container of a service, made and started through the same library
 * calls as `mini-run run -d` (prepareContainer, startDetached), from the
 * service's run flags (service-flags.ts), labelled so that compose finds
 * it again. After that it is the runtime's: its restart policy, `compose
 * start` and `restart` start the same container again (start-existing.ts)
 * from what its state recorded, as Docker's daemon does.
 */
import { MiniRunError } from '../errors.js'
import { ImageStore } from '../image/store.js'
import { runOptionsFromFlags } from '../runtime/container/container-flags.js'
import { createContainer } from '../runtime/container/create-container.js'
import { prepareContainer } from '../runtime/container/prepare.js'
import type { RunOptions } from '../runtime/container/run-options.js'
import { startDetached } from '../runtime/container/start-detached.js'
import type { ComposeContext } from './compose-context.js'
import { configHash } from './config-hash.js'
import { COMPOSE_VERSION, LABELS } from './labels.js'
import type { Project, Service } from './model.js'
import { containerName, projectContainers } from './project-containers.js'
import { serviceRunFlags, type JoinedNetwork } from './service-flags.js'

/** Everything one container of a service is made from. */
export interface ContainerPlan {
  project: Pick<Project, 'name' | 'workingDir' | 'files'>
  service: Service
  number: number
  /** The image's id (config digest) when the plan was made. */
  imageId: string
  networks: JoinedNetwork[]
  volumeNames: Record<string, string>
  cgroupParent?: string
  /** Anonymous volumes kept from the container it replaces (container path -> name): not part of its hash. */
  anonymousVolumes?: Record<string, string>
}

export function planHash(plan: ContainerPlan): string {
  return configHash(plan.service, plan.imageId, plan.networks, plan.volumeNames)
}

export function runOptionsOfPlan(ctx: ComposeContext, plan: ContainerPlan, detach: boolean, oneoff = false): RunOptions {
  const { service, project } = plan
  const name = containerName(project.name, service, plan.number)
  const labels: Record<string, string> = {
    [LABELS.project]: project.name,
    [LABELS.service]: service.name,
    [LABELS.number]: String(plan.number),
    [LABELS.oneoff]: oneoff ? 'True' : 'False',
    [LABELS.configHash]: planHash(plan),
    [LABELS.workingDir]: project.workingDir,
    [LABELS.configFiles]: project.files.join(','),
    [LABELS.image]: plan.imageId,
    [LABELS.dependsOn]: Object.entries(service.dependsOn).map(([n, d]) => `${n}:${d.condition}:${d.restart}`).join(','),
    [LABELS.version]: COMPOSE_VERSION,
  }
  const { image, command, flags, moreNetworks } = serviceRunFlags({
    service,
    containerName: name,
    networks: plan.networks,
    volumeNames: plan.volumeNames,
    ...(plan.anonymousVolumes ? { anonymousVolumes: plan.anonymousVolumes } : {}),
    labels,
    cgroupParent: plan.cgroupParent,
    detach,
  })
  const o = runOptionsFromFlags(image, command, flags, {
    storeRoot: ctx.storeRoot,
    stateRoot: ctx.stateRoot,
    selfCommand: ctx.selfCommand,
    // images are built or pulled before any container is made (images.ts)
    resolveImage: (ref, storeRoot) => new ImageStore({ root: storeRoot }).resolve(ref),
  })
  if (moreNetworks.length) o.networkFlags = { ...o.networkFlags, moreNetworks }
  if (service.networkMode?.startsWith('service:')) o.network = sharedNetwork(ctx, project.name, service.networkMode.slice('service:'.length))
  if (service.healthcheck) o.healthcheck = service.healthcheck
  return o
}

/**
 * network_mode: service:db: the network of db's first container, by id, as
 * Docker Compose gives it to the daemon (container:<id>); db starts first
 * (the implied depends_on, normalize-service.ts).
 */
function sharedNetwork(ctx: ComposeContext, project: string, service: string): string {
  const c = projectContainers(ctx.stateRoot, project).find((x) => x.service === service && !x.oneoff)
  if (!c) throw new MiniRunError(`service ${service} has no container whose network to share (network_mode: service:${service})`, { code: 'ENOCONTAINER' })
  return `container:${c.info.id}`
}

/** Make one container of a service and leave it Created (`compose create`); `compose start` starts it. */
export async function createServiceContainer(ctx: ComposeContext, plan: ContainerPlan): Promise<string> {
  return (await createContainer(await prepareContainer(runOptionsOfPlan(ctx, plan, true)))).id
}

/** Make and start one container of a service; resolves to its id once its command runs. */
export async function startServiceContainer(ctx: ComposeContext, plan: ContainerPlan): Promise<string> {
  return startDetached(await prepareContainer(runOptionsOfPlan(ctx, plan, true)))
}
