/**
 * `compose up`: everything checked first (the file at load, then the
 * images, the host ports, external networks and volumes), then networks
 * and volumes made, then each service's containers in dependency order:
 * a service starts once every dependency meets its condition, services
 * that do not wait for each other start together.
 *
 * Idempotent: a container whose config-hash label matches what the service
 * would make now is left as it is (started again if it stopped); another
 * one is replaced. A failure removes what this up made: the networks,
 * volumes and new containers (undo-made.ts), where Docker Compose leaves
 * them for `down`.
 */
import { UsageError } from '../errors.js'
import { emit, warn, type ComposeContext } from './compose-context.js'
import { removeServiceContainer, startAgain, stopServiceContainer } from './container-ops.js'
import { startWaves, withDependencies } from './dependency-order.js'
import { ensureImages, type ImageOptions } from './images.js'
import { LABELS } from './labels.js'
import type { Project, Service } from './model.js'
import { checkHostPorts } from './ports-check.js'
import { containerName, projectContainers, type ServiceContainer } from './project-containers.js'
import { checkBeforeMaking, ensureNetworks, ensureVolumes } from './project-resources.js'
import { checkRootlessNetworks } from './rootless-networks.js'
import { referencedServices } from './referenced-services.js'
import { createServiceContainer, planHash, serviceReferences, startServiceContainer, type ContainerPlan } from './service-container.js'
import type { JoinedNetwork } from './service-flags.js'
import { waitDependency } from './wait-dependency.js'
import { runHooks } from './hooks.js'
import { findContainer } from '../runtime/container/containers.js'
import { At } from './compose-error.js'
import { nothingMade, type Made } from './made.js'
import { undoesMade, undoMade } from './undo-made.js'

export interface UpOptions extends ImageOptions {
  /** Only these services (and what they depend on, unless noDeps). */
  services?: string[]
  noDeps?: boolean
  /** The services named (all when none is) are replaced even when unchanged. */
  forceRecreate?: boolean
  /** --always-recreate-deps: so are the others this up converges, their dependencies. */
  recreateDeps?: boolean
  noRecreate?: boolean
  removeOrphans?: boolean
  /** -V: a replaced container's anonymous volumes are not handed to its successor, which gets new ones (the old are left, as Docker leaves them). */
  renewAnonVolumes?: boolean
  /** Seconds stop waits for a container being replaced. */
  timeout?: number
  /** Where what up makes is noted, for a caller that undoes it itself when it fails later (compose run's dependencies); without it, up undoes what it made when it fails. */
  made?: Made
}

/** The networks and named volumes these services use, made where missing (noted in made). */
export function ensureServiceResources(ctx: ComposeContext, project: Project, services: readonly Service[], made: Made): void {
  ensureNetworks(ctx, project, new Set(services.flatMap((s) => Object.keys(s.networks))), project.mainFile, made)
  ensureVolumes(ctx, project, new Set(services.flatMap((s) => s.volumes.flatMap((v) => (v.type === 'volume' && v.source ? [v.source] : [])))), project.mainFile, made)
}

export function checkServiceNames(project: Project, names: readonly string[]): void {
  for (const n of names) if (!project.services[n]) throw new UsageError(`no such service: ${n}`)
}

/** The services a command acts on: those named, or all. */
export function selectedServices(project: Project, names: readonly string[] | undefined): string[] {
  if (names?.length) {
    checkServiceNames(project, names)
    return [...names]
  }
  return Object.keys(project.services).sort()
}

export function joinedNetworks(project: Project, s: Service): JoinedNetwork[] {
  return Object.entries(s.networks).map(([key, n]) => ({
    key,
    name: project.networks[key]!.name,
    aliases: n.aliases,
    ...(n.ipv4Address ? { ip: n.ipv4Address } : {}),
    ...(n.ipv6Address ? { ip6: n.ipv6Address } : {}),
    ...(n.macAddress ? { mac: n.macAddress } : {}),
  }))
}

export function volumeNames(project: Project): Record<string, string> {
  return Object.fromEntries(Object.entries(project.volumes).map(([key, v]) => [key, v.name]))
}

export function containerPlan(ctx: ComposeContext, project: Project, s: Service, number: number, imageId: string): ContainerPlan {
  const references = serviceReferences(ctx, project.name, s)
  return {
    project: { name: project.name, workingDir: project.workingDir, files: project.files, environment: project.environment, ...(project.compatibility && { compatibility: true }) },
    service: s,
    number,
    imageId,
    networks: joinedNetworks(project, s),
    volumeNames: volumeNames(project),
    ...(ctx.cgroupParent !== undefined ? { cgroupParent: ctx.cgroupParent } : {}),
    ...(references ? { references } : {}),
  }
}

/**
 * The services not named that join a named one's container (network_mode:
 * service:, volumes_from) and have containers: converged too, so that one
 * whose container `up db` replaces is recreated with it (its hash names
 * db's container) instead of being left in a namespace nothing else uses.
 */
function joiningServices(project: Project, targets: ReadonlySet<string>, existing: ServiceContainer[]): string[] {
  const out = new Set<string>()
  let grew = true
  while (grew) {
    grew = false
    for (const s of Object.values(project.services)) {
      if (targets.has(s.name) || out.has(s.name) || !existing.some((c) => c.service === s.name && !c.oneoff)) continue
      if (referencedServices(s).some((r) => targets.has(r) || out.has(r))) {
        out.add(s.name)
        grew = true
      }
    }
  }
  return [...out]
}

export async function up(ctx: ComposeContext, project: Project, o: UpOptions = {}): Promise<void> {
  const named = o.services?.length ? selectedServices(project, o.services) : Object.keys(project.services)
  const targets = o.noDeps ? new Set(named) : withDependencies(project.services, named)
  if (o.services?.length) for (const n of joiningServices(project, targets, projectContainers(ctx.stateRoot, project.name))) targets.add(n)
  const services = Object.fromEntries([...targets].map((n) => [n, project.services[n]!]))
  startWaves(services, project.mainFile)
  const fileOf = (n: string) => project.serviceFiles[n] ?? project.mainFile

  // what can be checked is checked before anything is made
  checkRootlessNetworks(project, targets)
  checkHostPorts(ctx.stateRoot, project, targets)
  checkBeforeMaking(ctx, project, Object.values(services), project.mainFile)
  const imageIds = await ensureImages(ctx, project, [...targets].sort(), o, fileOf)
  const made = o.made ?? nothingMade()
  try {
    await makeAndStart(ctx, project, services, imageIds, o, made)
  } catch (err) {
    if (!o.made && undoesMade(err)) await undoMade(ctx, project.name, made, o.timeout)
    throw err
  }
}

/** up's networks, volumes and containers, each service's started once its dependencies meet their conditions; what it makes is noted in made. */
async function makeAndStart(ctx: ComposeContext, project: Project, services: Record<string, Service>, imageIds: Record<string, string>, o: UpOptions, made: Made): Promise<void> {
  const targets = new Set(Object.keys(services))
  const fileOf = (n: string) => project.serviceFiles[n] ?? project.mainFile
  ensureServiceResources(ctx, project, Object.values(services), made)
  // read after the pulls and builds, which may take minutes
  const existing = projectContainers(ctx.stateRoot, project.name)

  // The Compose Specification's depends_on restart: true, "Compose restarts this service after it
  // updates the dependency service": as docker compose does it, those dependents this up keeps are
  // stopped before the dependency is replaced, and start again after it, as stopped ones do.
  const stoppedFor = new Set<string>()
  const stopDependents = async (name: string): Promise<void> => {
    const dependents = [...targets].filter((d) => !stoppedFor.has(d) && Object.entries(services[d]!.dependsOn).some(([dep, x]) => dep === name && x.restart))
    for (const d of dependents) stoppedFor.add(d)
    const running = projectContainers(ctx.stateRoot, project.name).filter((c) => dependents.includes(c.service) && !c.oneoff && c.info.status === 'running')
    await Promise.all(running.map((c) => stopServiceContainer(ctx, c, o.timeout)))
  }
  const started = new Map<string, Promise<void>>()
  const start = (name: string): Promise<void> => {
    let p = started.get(name)
    if (!p) {
      p = (async () => {
        const s = services[name]!
        await Promise.all(
          Object.entries(s.dependsOn).map(async ([dep, d]) => {
            // --no-deps: what it depends on is none of this up's business, as in Docker Compose
            if (!targets.has(dep)) return
            await start(dep)
            await waitDependency(ctx, project.name, name, dep, d, fileOf(name))
          }),
        )
        // one a dependency's replacement stopped is read again: it starts as a stopped one does
        const mine = (stoppedFor.has(name) ? projectContainers(ctx.stateRoot, project.name) : existing).filter((c) => c.service === name && !c.oneoff)
        await converge(ctx, project, s, imageIds[name]!, mine, { ...o, made, beforeReplace: () => stopDependents(name) })
      })()
      started.set(name, p)
    }
    return p
  }
  const results = await Promise.allSettled([...targets].sort().map(start))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason

  // Docker's isOrphaned: a service a profile disables is still known
  const orphans = existing.filter((c) => !c.oneoff && !project.services[c.service] && !project.disabledServices.includes(c.service))
  if (orphans.length && o.removeOrphans) {
    for (const c of orphans) await removeServiceContainer(ctx, c, { timeout: o.timeout })
  } else if (orphans.length) {
    warn(ctx, `Found orphan containers (${orphans.map((c) => c.info.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`)
  }
}

/**
 * One service's containers made what the service says now: kept, started,
 * replaced, added or removed. With createOnly (`compose create`) none is
 * started: a new or replaced one is left Created, a kept one as it is.
 * beforeReplace runs before the first container is replaced.
 */
export async function converge(ctx: ComposeContext, project: Project, s: Service, imageId: string, existing: ServiceContainer[], o: UpOptions & { createOnly?: boolean; beforeReplace?: () => Promise<void>; made?: Made }): Promise<void> {
  const at = new At(project.serviceFiles[s.name] ?? project.mainFile, ['services', s.name])
  // Docker Compose's strategies: --force-recreate for the services named, --always-recreate-deps for the
  // dependencies, --no-recreate (below) for both
  const force = !o.services?.length || o.services.includes(s.name) ? o.forceRecreate === true : o.recreateDeps === true
  for (let n = 1; n <= s.replicas; n++) {
    let plan: ContainerPlan
    try {
      plan = containerPlan(ctx, project, s, n, imageId)
    } catch (err) {
      throw at.error((err as Error).message, err)
    }
    const current = existing.find((c) => c.number === n)
    const same = current !== undefined && (current.info.labels?.[LABELS.configHash] === planHash(plan) || o.noRecreate === true)
    if (current && same && !force && current.info.status === 'running') {
      emit(ctx, 'Container', current.info.name, 'Running')
      continue
    }
    if (current && same && !force && o.createOnly) {
      // docker compose's convergence says Created of an exited one it keeps, nothing of a Created one
      if (current.info.status !== 'created') emit(ctx, 'Container', current.info.name, 'Created')
      continue
    }
    if (current && same && !force) {
      // stopped: the same container starts again, as Docker Compose starts it
      try {
        if (!current.info.restarting) await startAgain(ctx, current, { project, service: s })
      } catch (err) {
        throw at.error((err as Error).message, err)
      }
      continue
    }
    if (current) {
      // a changed one is replaced, keeping its anonymous volumes unless -V
      await o.beforeReplace?.()
      emit(ctx, 'Container', current.info.name, 'Recreate')
      if (!o.renewAnonVolumes) plan.anonymousVolumes = Object.fromEntries((current.info.volumes ?? []).filter((v) => /^[0-9a-f]{64}$/.test(v.name)).map((v) => [v.destination, v.name]))
      await removeServiceContainer({ ...ctx, onEvent: undefined }, current, { timeout: o.timeout })
    } else emit(ctx, 'Container', containerName(project, s, n), 'Creating')
    try {
      const id = await (o.createOnly ? createServiceContainer(ctx, plan) : startServiceContainer(ctx, plan))
      if (!current) o.made?.containers.push(id)
      // once noted as made: a hook that fails undoes it with the rest (undo-made.ts)
      if (!o.createOnly) await runHooks(ctx, s, findContainer(ctx.stateRoot, id), s.postStart)
    } catch (err) {
      throw at.error((err as Error).message, err)
    }
    // docker compose's lines: Created or Recreated, then, when it is started, Starting and Started
    const name = containerName(project, s, n)
    emit(ctx, 'Container', name, current ? 'Recreated' : 'Created')
    if (!o.createOnly) for (const status of ['Starting', 'Started']) emit(ctx, 'Container', name, status)
  }
  for (const extra of existing.filter((c) => c.number > s.replicas)) await removeServiceContainer(ctx, extra, { timeout: o.timeout })
}
