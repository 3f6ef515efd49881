/**
 * `compose run SERVICE CMD`: a one-off container of a service, in the
 * foreground, as `mini-run run` runs one: the service's configuration with
 * the command line's changes, named `<project>-<service>-run-<id>` (`_` under --compatibility),
 * labelled one-off (so `up` leaves it alone and `down` removes it), its
 * ports published only with --service-ports or -p, no restart policy; the
 * services it depends on are started first, as `up` would. With -d it is
 * started in the background as `up` starts a service's (startDetached),
 * removed by its monitor at its exit with --rm.
 */
import { randomHex } from '../random.js'
import { runPrepared } from '../runtime/container/run-foreground.js'
import type { RunOptions } from '../runtime/container/run-options.js'
import { startDetached } from '../runtime/container/start-detached.js'
import type { ComposeContext } from './compose-context.js'
import { At } from './compose-error.js'
import { ensureImages } from './images.js'
import type { Project, Service } from './model.js'
import { checkBeforeMaking, ensureNetworks, ensureVolumes } from './project-resources.js'
import { checkRootlessNetworks } from './rootless-networks.js'
import { serviceVolumes } from './syntax-volumes.js'
import { separatorOf } from './project-containers.js'
import { nothingMade, type Made } from './made.js'
import { undoesMade, undoMade } from './undo-made.js'
import { createWithFiles, discard, preparedShowingWarnings, runOptionsOfPlan, startWithFiles } from './service-container.js'
import { writesFiles } from './inject-files.js'
import { runHooks } from './hooks.js'
import { findContainer, type ContainerInfo } from '../runtime/container/containers.js'
import { containerPlan, selectedServices, up } from './up.js'
import { waitDependency } from './wait-dependency.js'

export interface RunOneOffOptions {
  command?: string[]
  entrypoint?: string[]
  env?: string[]
  user?: string
  workdir?: string
  name?: string
  /** --service-ports: the service's own ports. */
  servicePorts?: boolean
  publish?: string[]
  noDeps?: boolean
  /** --use-aliases: the service's name and aliases on its networks, as its own containers have them (Docker's getAliases). */
  useAliases?: boolean
  /** -v: more volumes, in the service's short syntax. */
  volumes?: string[]
  /** --cap-add, --cap-drop: over the service's. */
  capAdd?: string[]
  capDrop?: string[]
  /** -l KEY=VALUE: over the service's labels. */
  labels?: Record<string, string>
  /** --build, --pull: the service's image built first, or pulled by this policy. */
  build?: boolean
  pull?: 'always' | 'missing' | 'never' | 'build'
  /** --remove-orphans: when its dependencies are brought up. */
  removeOrphans?: boolean
  remove?: boolean
  tty?: boolean
  interactive?: boolean
  stdio: [number, number, number]
  consoleSize?: { height: number; width: number }
}

/** In the foreground: resolves to its exit code. */
export async function runOneOff(ctx: ComposeContext, project: Project, serviceName: string, o: RunOneOffOptions): Promise<number> {
  const { options, service, made } = await oneOffOptions(ctx, project, serviceName, o, false)
  if (o.consoleSize && service.tty) options.consoleSize = o.consoleSize
  const prepared = await undoingOnFailure(ctx, project, made, () => preparedShowingWarnings(ctx, options))
  return runPrepared(prepared, { stdio: o.stdio, forwardSignals: true }, { remove: o.remove === true })
}

/**
 * A one-off container made, its secrets and configs written in, and left
 * Created, for the CLI to start attached (as `run -it` is), as docker
 * compose run creates, copies in, then starts: a service with files to
 * write (inject-files.ts), which the foreground start cannot write.
 * `discard` undoes it all (the container, and what it made for it) when
 * the start fails, so that a one-off that never ran leaves nothing.
 */
export async function createOneOff(ctx: ComposeContext, project: Project, serviceName: string, o: Omit<RunOneOffOptions, 'stdio'>): Promise<{ container: ContainerInfo; service: Service; discard: () => Promise<void> }> {
  const { options, service, made } = await oneOffOptions(ctx, project, serviceName, o, true)
  if (o.remove && options.detach) {
    options.rm = true
    options.detach.autoRemove = true
  }
  if (o.consoleSize && options.tty) options.consoleSize = o.consoleSize
  const container = await undoingOnFailure(ctx, project, made, async () => createWithFiles(ctx, await preparedShowingWarnings(ctx, options), { project, service }))
  return {
    container,
    service,
    discard: async () => {
      await discard(ctx, container, {})
      await undoMade(ctx, project.name, made)
    },
  }
}

/**
 * Whether the service's one-off container is made, written into, started,
 * given its post_start hooks, then attached (createOneOff): the foreground
 * start has no step between the filesystem and the command, nor after it.
 */
export function oneOffMadeFirst(project: Project, serviceName: string): boolean {
  const s = project.services[serviceName]
  return s !== undefined && (writesFiles(s) || s.postStart !== undefined)
}

/** -d: started in the background; resolves to its name once its command runs. */
export async function startOneOff(ctx: ComposeContext, project: Project, serviceName: string, o: Omit<RunOneOffOptions, 'stdio' | 'consoleSize'>): Promise<string> {
  const { options, service, made } = await oneOffOptions(ctx, project, serviceName, o, true)
  if (o.remove && options.detach) {
    options.rm = true
    options.detach.autoRemove = true
  }
  await undoingOnFailure(ctx, project, made, async () => {
    const prepared = await preparedShowingWarnings(ctx, options)
    const id = await (writesFiles(service) ? startWithFiles(ctx, prepared, { project, service }) : startDetached(prepared))
    // Docker Compose's run runs them too (run.go); noted as made first, so that one that fails removes it
    made.containers.push(id)
    await runHooks(ctx, service, findContainer(ctx.stateRoot, id), service.postStart)
  })
  return service.containerName!
}

/**
 * A one-off container refused when it is made (a user its image lacks...)
 * leaves none of what was made for it: the networks, volumes and the
 * dependencies' containers (undo-made.ts).
 */
async function undoingOnFailure<T>(ctx: ComposeContext, project: Project, made: Made, make: () => Promise<T>): Promise<T> {
  try {
    return await make()
  } catch (err) {
    if (undoesMade(err)) await undoMade(ctx, project.name, made)
    throw err
  }
}

async function oneOffOptions(ctx: ComposeContext, project: Project, serviceName: string, o: Omit<RunOneOffOptions, 'stdio' | 'consoleSize'>, detach: boolean): Promise<{ options: RunOptions; service: Service; made: Made }> {
  selectedServices(project, [serviceName])
  const base = project.services[serviceName]!
  checkRootlessNetworks(project, [serviceName])
  checkBeforeMaking(ctx, project, [base], project.mainFile)
  const fileOf = (n: string) => project.serviceFiles[n] ?? project.mainFile
  // -v: the service's short syntax, replacing the service's volume at the same target
  const more = o.volumes?.length ? serviceVolumes(o.volumes, new At('--volume'), project.workingDir, new Set(Object.keys(project.volumes))) : []
  const volumes = [...base.volumes.filter((v) => !more.some((m) => m.target === v.target)), ...more]
  const made = nothingMade()
  return undoingOnFailure(ctx, project, made, async () => {
    const deps = Object.keys(base.dependsOn)
    if (deps.length && !o.noDeps) {
      await up(ctx, project, { services: deps, made, ...(o.removeOrphans ? { removeOrphans: true } : {}), ...(o.build ? { build: true } : {}), ...(o.pull ? { pull: o.pull } : {}) })
      for (const [dep, d] of Object.entries(base.dependsOn)) await waitDependency(ctx, project.name, serviceName, dep, d, fileOf(serviceName))
    }
    const imageIds = await ensureImages(ctx, project, [serviceName], { ...(o.build ? { build: true } : {}), ...(o.pull ? { pull: o.pull } : {}) }, fileOf)
    ensureNetworks(ctx, project, Object.keys(base.networks), project.mainFile, made)
    ensureVolumes(ctx, project, volumes.flatMap((v) => (v.type === 'volume' && v.source ? [v.source] : [])), project.mainFile, made)
    // -e VAR: the project's VAR (the caller's, then .env), left out when it has none, as compose-go resolves it
    const env = Object.fromEntries((o.env ?? []).flatMap((e) => (e.includes('=') ? [[e.slice(0, e.indexOf('='))!, e.slice(e.indexOf('=') + 1)]] : project.environment[e] !== undefined ? [[e, project.environment[e]]] : [])))
    const withoutCommand = { ...base }
    // --entrypoint without a command: the service's command is dropped, as Docker's run drops it
    if (o.entrypoint && !o.command?.length) delete withoutCommand.command
    const service: Service = {
      ...withoutCommand,
      ...(o.command?.length ? { command: o.command } : {}),
      ...(o.entrypoint ? { entrypoint: o.entrypoint } : {}),
      ...(o.user !== undefined ? { user: o.user } : {}),
      ...(o.workdir !== undefined ? { workingDir: o.workdir } : {}),
      environment: { ...base.environment, ...env },
      // --cap-drop X takes X out of the service's cap_add, --cap-add out of its cap_drop (docker compose's run)
      capAdd: [...base.capAdd.filter((c) => !sameCap(o.capDrop, c)), ...(o.capAdd ?? [])],
      capDrop: [...base.capDrop.filter((c) => !sameCap(o.capAdd, c)), ...(o.capDrop ?? [])],
      labels: { ...base.labels, ...o.labels },
      volumes,
      ports: o.servicePorts ? base.ports : (o.publish ?? []),
      containerName: o.name ?? [project.name, serviceName, 'run', randomHex(6)].join(separatorOf(project)),
      restart: { name: 'no', maximumRetryCount: 0 },
      tty: o.tty ?? base.tty,
      stdinOpen: o.interactive ?? base.stdinOpen,
    }
    const options = runOptionsOfPlan(ctx, containerPlan(ctx, project, service, 1, imageIds[serviceName]!), detach, true)
    if (!o.useAliases && options.networkFlags) {
      options.networkFlags = { ...options.networkFlags, aliases: [], ...(options.networkFlags.moreNetworks ? { moreNetworks: options.networkFlags.moreNetworks.map((n) => ({ ...n, aliases: [] })) } : {}) }
    }
    return { options, service, made }
  })
}

/** Is this capability among those given, with or without CAP_, in any case? */
function sameCap(list: readonly string[] | undefined, cap: string): boolean {
  const bare = (c: string) => c.toUpperCase().replace(/^CAP_/, '')
  return (list ?? []).some((c) => bare(c) === bare(cap))
}
