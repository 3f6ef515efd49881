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
import type { PreparedContainer, RunOptions } from '../runtime/container/run-options.js'
import { findContainer, type ContainerInfo } from '../runtime/container/containers.js'
import { removeContainer } from '../runtime/container/remove-container.js'
import { startExisting } from '../runtime/container/start-existing.js'
import { injectFiles, writesFiles } from './inject-files.js'
import { startDetached } from '../runtime/container/start-detached.js'
import { warn, type ComposeContext } from './compose-context.js'
import { configHash } from './config-hash.js'
import { COMPOSE_VERSION, LABELS } from './labels.js'
import type { Project, Service } from './model.js'
import { referencedServices, sharedService } from './referenced-services.js'
import { containerName, projectContainers, separatorOf, type Naming } from './project-containers.js'
import { serviceRunFlags, type JoinedNetwork } from './service-flags.js'

/** Everything one container of a service is made from. */
export interface ContainerPlan {
  /** (its environment: for the secrets and configs written into the container, inject-files.ts) */
  project: Pick<Project, 'name' | 'compatibility' | 'workingDir' | 'files' | 'environment'>
  service: Service
  number: number
  /** The image's id (config digest) when the plan was made. */
  imageId: string
  networks: JoinedNetwork[]
  volumeNames: Record<string, string>
  cgroupParent?: string
  /** Anonymous volumes kept from the container it replaces (container path -> name): not part of its hash. */
  anonymousVolumes?: Record<string, string>
  /** The first container of each service it joins or takes volumes from (service -> id): part of its hash (serviceReferences). */
  references?: Record<string, string>
}

export function planHash(plan: ContainerPlan): string {
  return configHash(plan.service, plan.imageId, plan.networks, plan.volumeNames, plan.references)
}

/**
 * network_mode: service:db and volumes_from: [db] name db's first
 * container, by id, as Docker Compose resolves them before it hashes the
 * service: db recreated (a new id), its joiners are recreated too, which
 * is what they need, since a joiner stays in the old container's network
 * namespace and its next start finds no such container. Read only for a
 * service that has such references.
 */
export function serviceReferences(ctx: ComposeContext, project: string, service: Service): Record<string, string> | undefined {
  const names = referencedServices(service)
  if (names.length === 0) return undefined
  const containers = projectContainers(ctx.stateRoot, project).filter((c) => !c.oneoff)
  const out: Record<string, string> = {}
  for (const n of names) {
    const c = containers.find((x) => x.service === n)
    if (c) out[n] = c.info.id
    else {
      const shared = (['network_mode', 'pid', 'ipc'] as const).find((key) => sharedService(service, key) === n)
      const what = { network_mode: 'network', pid: 'PID namespace', ipc: 'IPC namespace' }
      if (shared) throw new MiniRunError(`service ${n} has no container whose ${what[shared]} to share (${shared}: service:${n})`, { code: 'ENOCONTAINER' })
    }
  }
  return out
}

/** The services whose first container this one is made from (network_mode, pid and ipc service:, volumes_from). */
export function runOptionsOfPlan(ctx: ComposeContext, plan: ContainerPlan, detach: boolean, oneoff = false): RunOptions {
  const { service, project } = plan
  const name = containerName(project, service, plan.number)
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
  // links between services on the default bridge: run's --link
  const links = bridgeLinks(ctx, project, service, plan.number, oneoff)
  const o = runOptionsFromFlags(image, command, links.length ? { ...flags, link: [...(flags.link ?? []), ...links] } : flags, {
    storeRoot: ctx.storeRoot,
    stateRoot: ctx.stateRoot,
    selfCommand: ctx.selfCommand,
    // images are built or pulled before any container is made (images.ts)
    resolveImage: (ref, storeRoot) => new ImageStore({ root: storeRoot }).resolve(ref),
  })
  if (moreNetworks.length) o.networkFlags = { ...o.networkFlags, moreNetworks }
  // network_mode: service:db: db's first container, by id, as Docker Compose gives it to the daemon (db starts first: the implied depends_on)
  // pid and ipc: service:db likewise, as container:<id> (compose-go's ServicePrefix resolved as the network's)
  const refs = () => (plan.references ?? serviceReferences(ctx, project.name, service))!
  const net = sharedService(service, 'network_mode')
  if (net !== undefined) o.network = `container:${refs()[net]}`
  const pid = sharedService(service, 'pid')
  if (pid !== undefined) o.pid = `container:${refs()[pid]}`
  const ipc = sharedService(service, 'ipc')
  if (ipc !== undefined) o.ipc = `container:${refs()[ipc]}`
  if (service.healthcheck) o.healthcheck = service.healthcheck
  return o
}

/**
 * network_mode: bridge on both sides (load.ts allows no other link without
 * a shared network): each link is run's --link to each container of the
 * linked service, as docker compose's getLinks gives the daemon a link per
 * container, by three names: the link's alias, SERVICE-N and
 * PROJECT-SERVICE-N, where N is the number of the container being made (not
 * the linked one's: getLinks's quirk, kept), -1 for a one-off. A one-off
 * (`compose run`) also links to its own service's containers, by the
 * service's name, the container's name without the project, and its name.
 */
function bridgeLinks(ctx: ComposeContext, project: Naming, service: Service, number: number, oneoff: boolean): string[] {
  if (service.networkMode !== 'bridge' || (!service.links?.length && !oneoff)) return []
  const all = projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff)
  const [n, sep] = [oneoff ? -1 : number, separatorOf(project)]
  const links = (service.links ?? []).flatMap((l) =>
    all.filter((c) => c.service === l.service).flatMap((c) => [`${c.info.name}:${l.alias}`, `${c.info.name}:${l.service}${sep}${n}`, `${c.info.name}:${[project.name, l.service, n].join(sep)}`]),
  )
  if (oneoff) {
    for (const c of all.filter((x) => x.service === service.name)) {
      const name = c.info.name
      links.push(`${name}:${service.name}`, `${name}:${name.startsWith(project.name + sep) ? name.slice(project.name.length + 1) : name}`, `${name}:${name}`)
    }
  }
  return links
}

/**
 * Make one container of a service and leave it Created (`compose create`);
 * `compose start` starts it. Its secrets and configs that are no file are
 * written into it once it is made (inject-files.ts); if that fails, it goes.
 */
export async function createServiceContainer(ctx: ComposeContext, plan: ContainerPlan): Promise<string> {
  // its links (external_links) are looked up by the start
  return (await createWithFiles(ctx, await preparedShowingWarnings(ctx, { ...runOptionsOfPlan(ctx, plan, true), createOnly: true }), plan)).id
}

/** prepareContainer, with its warnings (a discarded block I/O weight...) shown as Docker Compose shows the daemon's create warnings. */
export async function preparedShowingWarnings(ctx: ComposeContext, options: RunOptions): Promise<PreparedContainer> {
  const prepared = await prepareContainer(options)
  for (const w of prepared.warnings) warn(ctx, `${prepared.name}: ${w}`)
  return prepared
}

/**
 * Make and start one container of a service; resolves to its id once its
 * command runs (the caller runs its post_start hooks, once it has noted the
 * container as made: hooks.ts). One with files to write is made, written
 * into, then started, as Docker Compose does; the others start at once.
 */
export async function startServiceContainer(ctx: ComposeContext, plan: ContainerPlan): Promise<string> {
  const prepared = await preparedShowingWarnings(ctx, runOptionsOfPlan(ctx, plan, true))
  return writesFiles(plan.service) ? startWithFiles(ctx, prepared, plan) : startDetached(prepared)
}

/** What createWithFiles writes from: the project's environment, the service, and the anonymous volumes it took over (kept if it goes). */
export interface FilesFrom {
  project: Pick<Project, 'environment'>
  service: Service
  anonymousVolumes?: Record<string, string>
}

/** createContainer, then the files written into it (when the service has any); if that fails, it goes. */
export async function createWithFiles(ctx: ComposeContext, prepared: PreparedContainer, from: FilesFrom): Promise<ContainerInfo> {
  const c = findContainer(ctx.stateRoot, (await createContainer(prepared)).id)
  if (!writesFiles(from.service)) return c
  try {
    await injectFiles(from.project, from.service, c)
  } catch (err) {
    await discard(ctx, c, from)
    throw err
  }
  return c
}

/** createWithFiles, then its start: a start that fails leaves nothing, as startDetached's does. */
export async function startWithFiles(ctx: ComposeContext, prepared: PreparedContainer, from: FilesFrom): Promise<string> {
  const c = await createWithFiles(ctx, prepared, from)
  try {
    await startExisting(ctx.stateRoot, c)
  } catch (err) {
    await discard(ctx, c, from)
    throw err
  }
  return c.id
}

/** A container made for a start that failed: removed, with the anonymous volumes made for it, not those it took over from the one it replaces. */
export async function discard(ctx: ComposeContext, c: ContainerInfo, from: Pick<FilesFrom, 'anonymousVolumes'>): Promise<void> {
  await removeContainer(ctx.stateRoot, findContainer(ctx.stateRoot, c.id), true, { storeRoot: ctx.storeRoot, volumes: Object.keys(from.anonymousVolumes ?? {}).length === 0 })
}
