/**
 * `compose create`: what `up` makes (images, networks, volumes, each
 * service's containers, replacing a changed one), started by nothing, as
 * docker compose's create: a new container is left Created, for `compose
 * start` (or `up`) to start. Nothing runs, so nothing waits for a
 * dependency and no host port is checked yet: the start checks them.
 */
import { warn, type ComposeContext } from './compose-context.js'
import { removeServiceContainer } from './container-ops.js'
import { startWaves, withDependencies } from './dependency-order.js'
import { ensureImages } from './images.js'
import type { Project } from './model.js'
import { projectContainers } from './project-containers.js'
import { checkBeforeMaking } from './project-resources.js'
import { checkRootlessNetworks } from './rootless-networks.js'
import { nothingMade } from './made.js'
import { undoMade } from './undo-made.js'
import { converge, ensureServiceResources, selectedServices, type UpOptions } from './up.js'

export type CreateOptions = Omit<UpOptions, 'noDeps'>

export async function create(ctx: ComposeContext, project: Project, o: CreateOptions = {}): Promise<void> {
  const named = o.services?.length ? selectedServices(project, o.services) : Object.keys(project.services)
  const targets = withDependencies(project.services, named)
  const services = Object.fromEntries([...targets].map((n) => [n, project.services[n]!]))
  const waves = startWaves(services, project.mainFile)
  const fileOf = (n: string) => project.serviceFiles[n] ?? project.mainFile

  checkRootlessNetworks(project, targets)
  checkBeforeMaking(ctx, project, Object.values(services), project.mainFile)
  const imageIds = await ensureImages(ctx, project, [...targets].sort(), o, fileOf)
  // a failure removes what this create made, as up's does (undo-made.ts)
  const made = nothingMade()
  const existing = projectContainers(ctx.stateRoot, project.name)
  try {
    ensureServiceResources(ctx, project, Object.values(services), made)
    for (const wave of waves) {
      for (const name of [...wave].sort()) {
        await converge(ctx, project, services[name]!, imageIds[name]!, existing.filter((c) => c.service === name && !c.oneoff), { ...o, createOnly: true, made })
      }
    }
  } catch (err) {
    await undoMade(ctx, project.name, made, o.timeout)
    throw err
  }

  // Docker's isOrphaned: a service a profile disables is still known
  const orphans = existing.filter((c) => !c.oneoff && !project.services[c.service] && !project.disabledServices.includes(c.service))
  if (orphans.length && o.removeOrphans) {
    for (const c of orphans) await removeServiceContainer(ctx, c, { timeout: o.timeout })
  } else if (orphans.length) {
    warn(ctx, `Found orphan containers (${orphans.map((c) => c.info.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`)
  }
}
