/**
 * One container of a service, made and started through the same library
 * calls as `mini-run run -d` (prepareContainer, startDetached), from the
 * service's run flags (service-flags.ts), labelled so that compose finds
 * it again. What it was made from is also kept in
 * `<state>/compose/<project>/<container name>.json` before it starts: the
 * restart policy (restart-policy.ts), run when it exits, makes the next one
 * from that, not from a compose file that may have changed since.
 */
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ImageStore } from '../image/store.js'
import { connectContainer } from '../network/connect.js'
import { prepareContainer } from '../runtime/container/prepare.js'
import { runOptionsFromFlags } from '../runtime/container/run-flags.js'
import type { RunOptions } from '../runtime/container/run-options.js'
import { startDetached } from '../runtime/container/start-detached.js'
import type { ComposeContext } from './compose-context.js'
import { configHash } from './config-hash.js'
import { COMPOSE_VERSION, LABELS } from './labels.js'
import type { Project, Service } from './model.js'
import { containerName } from './project-containers.js'
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
  /** Restarts so far under its restart policy. */
  restartCount: number
  /** Anonymous volumes kept from the container it replaces (container path -> name): not part of its hash. */
  anonymousVolumes?: Record<string, string>
}

export function planHash(plan: ContainerPlan): string {
  return configHash(plan.service, plan.imageId, plan.networks, plan.volumeNames)
}

function recordsDir(stateRoot: string, project: string): string {
  return join(stateRoot, 'compose', project)
}

export function recordFile(stateRoot: string, project: string, name: string): string {
  return join(recordsDir(stateRoot, project), `${name}.json`)
}

export function readPlanRecord(stateRoot: string, project: string, name: string): ContainerPlan | undefined {
  try {
    return JSON.parse(readFileSync(recordFile(stateRoot, project, name), 'utf8')) as ContainerPlan
  } catch {
    return undefined
  }
}

function writePlanRecord(stateRoot: string, plan: ContainerPlan, name: string): void {
  mkdirSync(recordsDir(stateRoot, plan.project.name), { recursive: true, mode: 0o700 })
  const file = recordFile(stateRoot, plan.project.name, name)
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(plan) + '\n', { mode: 0o600 })
  renameSync(`${file}.${process.pid}.tmp`, file)
}

export function removePlanRecord(stateRoot: string, project: string, name: string): void {
  rmSync(recordFile(stateRoot, project, name), { force: true })
}

/** The project's records go with its last container (down). */
export function removePlanRecords(stateRoot: string, project: string): void {
  rmSync(recordsDir(stateRoot, project), { recursive: true, force: true })
  try {
    rmdirSync(join(stateRoot, 'compose'))
  } catch {
    // other projects remain
  }
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
  const { image, command, flags } = serviceRunFlags({
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
  if (service.healthcheck) o.healthcheck = service.healthcheck
  if (o.detach && service.restart.name !== 'no') {
    // its exit is followed by the restart policy, which tears down as cleanup does first
    o.detach.exitCommand = (id) => [...ctx.selfCommand, 'internal', 'compose-exited', id]
  }
  return o
}

/** Make and start one container of a service; resolves to its id once its command runs. */
export async function startServiceContainer(ctx: ComposeContext, plan: ContainerPlan): Promise<string> {
  const name = containerName(plan.project.name, plan.service, plan.number)
  const prepared = await prepareContainer(runOptionsOfPlan(ctx, plan, true))
  writePlanRecord(ctx.stateRoot, plan, name)
  let id: string
  try {
    id = await startDetached(prepared)
  } catch (err) {
    removePlanRecord(ctx.stateRoot, plan.project.name, name)
    throw err
  }
  // the other networks, once it runs (a start joins one): netavark sets up eth1, eth2...
  for (const n of plan.networks.slice(1)) {
    connectContainer(ctx.storeRoot, ctx.stateRoot, id, n.name, { aliases: [...new Set([plan.service.name, ...n.aliases])], ...(n.ip ? { ip: n.ip } : {}) })
  }
  return id
}
