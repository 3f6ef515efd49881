/**
 * A project's networks and volumes: made on `up` when missing (labelled
 * with the project, as Docker Compose labels them), external ones only
 * looked for, and removed by `down` (volumes only with -v), never one the
 * project did not make.
 */
import { existsSync } from 'node:fs'
import { MiniRunError } from '../errors.js'
import { createUserNetwork, listNetworks, removeUserNetwork } from '../network/manage.js'
import { createVolume, inspectVolume, listVolumes, removeVolume } from '../runtime/container/volume-store.js'
import { emit, warn, type ComposeContext } from './compose-context.js'
import { At } from './compose-error.js'
import { LABELS } from './labels.js'
import { networkDifferences } from './project-networks.js'
import type { Project, Service } from './model.js'
import type { Made } from './made.js'
import { checkFileReferences } from './file-objects.js'

/**
 * What `up`, `create` and `run` check before they make anything, so that a
 * file naming what is not there leaves no network or volume behind: the
 * external networks and volumes the services use, and the bind sources that
 * may not be made (bind.create_host_path: false). Docker Compose finds them
 * one at a time, after making the rest.
 */
export function checkBeforeMaking(ctx: ComposeContext, project: Project, services: readonly Service[], file: string): void {
  for (const w of checkFileReferences(project, services, existsSync)) warn(ctx, w)
  for (const key of new Set(services.flatMap((s) => Object.keys(s.networks)))) {
    const n = project.networks[key]
    if (n?.external && !listNetworks(ctx.storeRoot).some((d) => d.name === n.name)) {
      throw externalMissing(file, 'network', key, n.name)
    }
  }
  for (const s of services) {
    for (const v of s.volumes) {
      const def = v.type === 'volume' && v.source ? project.volumes[v.source] : undefined
      if (def?.external && !volumeExists(ctx, def.name)) {
        throw externalMissing(file, 'volume', v.source!, def.name)
      }
      if (v.type === 'bind' && !v.createHostPath && v.source && !existsSync(v.source)) {
        throw new At(project.serviceFiles[s.name] ?? file, ['services', s.name, 'volumes']).error(`bind source path does not exist: ${v.source}`)
      }
    }
  }
}

/** Docker Compose's words for an external network or volume that is not there, and mini-run's way to make it. */
function externalMissing(file: string, kind: 'network' | 'volume', key: string, name: string): Error {
  return new At(file, [`${kind}s`, key]).error(`${kind} ${name} declared as external, but could not be found: create it first (mini-run ${kind} create ${name})`)
}

function volumeExists(ctx: ComposeContext, name: string): boolean {
  try {
    inspectVolume(ctx.storeRoot, name)
    return true
  } catch (err) {
    if ((err as MiniRunError).code !== 'ENOVOLUME') throw err
    return false
  }
}

/** made: where the names of the networks made are added (undo-made.ts). */
export function ensureNetworks(ctx: ComposeContext, project: Project, keys: Iterable<string>, file: string, made?: Made): void {
  for (const key of keys) {
    const n = project.networks[key]
    if (!n) continue
    const existing = listNetworks(ctx.storeRoot).find((d) => d.name === n.name)
    if (n.external) {
      if (!existing) throw externalMissing(file, 'network', key, n.name)
      continue
    }
    if (existing) {
      if (existing.labels?.[LABELS.project] !== project.name) warn(ctx, `a network ${n.name} exists but was not created for project "${project.name}": using it`)
      const differences = networkDifferences(existing, n)
      if (differences.length) warn(ctx, `network ${n.name} exists with other settings than the file's (${differences.join('; ')}): using it as it is (remove it to have it made anew)`)
      continue
    }
    emit(ctx, 'Network', n.name, 'Creating')
    try {
      createUserNetwork(ctx.storeRoot, {
        name: n.name,
        labels: n.labels,
        ...(n.subnet ? { subnet: n.subnet } : {}),
        ...(n.gateway ? { gateway: n.gateway } : {}),
        ...(n.ipRange ? { ipRange: n.ipRange } : {}),
        ...(n.auxAddresses ? { auxAddresses: n.auxAddresses } : {}),
        ...(n.ipv6 ? { ipv6: true } : {}),
        ...(n.subnet6 ? { subnet6: n.subnet6 } : {}),
        ...(n.gateway6 ? { gateway6: n.gateway6 } : {}),
        ...(n.internal ? { internal: true } : {}),
        ...(n.attachable ? { attachable: true } : {}),
        ...(n.driverOpts ? { options: n.driverOpts } : {}),
      })
    } catch (err) {
      throw new At(file, ['networks', key]).error((err as Error).message, err)
    }
    made?.networks.push(n.name)
    emit(ctx, 'Network', n.name, 'Created')
  }
}

/** made: where the names of the volumes made are added (undo-made.ts). */
export function ensureVolumes(ctx: ComposeContext, project: Project, keys: Iterable<string>, file: string, made?: Made): void {
  for (const key of keys) {
    const v = project.volumes[key]
    if (!v) continue
    let exists = true
    try {
      const info = inspectVolume(ctx.storeRoot, v.name)
      if (!v.external && info.labels[LABELS.project] !== project.name) warn(ctx, `a volume ${v.name} exists but was not created for project "${project.name}": using it`)
    } catch (err) {
      if ((err as MiniRunError).code !== 'ENOVOLUME') throw err
      exists = false
    }
    if (exists) continue
    if (v.external) throw externalMissing(file, 'volume', key, v.name)
    emit(ctx, 'Volume', v.name, 'Creating')
    // noted as made only if this call made it: one another process made meanwhile is not this command's to undo
    createVolume(ctx.storeRoot, { name: v.name, labels: v.labels, ...(v.driverOpts ? { options: v.driverOpts } : {}), onCreate: () => made?.volumes.push(v.name) })
    emit(ctx, 'Volume', v.name, 'Created')
  }
}

/** The project's own networks (by label), those no container uses any more. */
export function removeNetworks(ctx: ComposeContext, projectName: string): void {
  for (const def of listNetworks(ctx.storeRoot)) if (def.labels?.[LABELS.project] === projectName) removeProjectResource(ctx, 'Network', def.name)
}

/** down -v: the project's named volumes (by label), external ones never. */
export function removeVolumes(ctx: ComposeContext, projectName: string): void {
  for (const v of listVolumes(ctx.storeRoot)) if (v.labels[LABELS.project] === projectName) removeProjectResource(ctx, 'Volume', v.name)
}

/** One network or volume removed, with its events; one that cannot be (a container still uses it) is a warning. */
export function removeProjectResource(ctx: ComposeContext, kind: 'Network' | 'Volume', name: string): void {
  emit(ctx, kind, name, 'Removing')
  try {
    if (kind === 'Network') removeUserNetwork(ctx.storeRoot, ctx.stateRoot, name)
    else removeVolume(ctx.storeRoot, name)
    emit(ctx, kind, name, 'Removed')
  } catch (err) {
    warn(ctx, (err as Error).message)
  }
}
