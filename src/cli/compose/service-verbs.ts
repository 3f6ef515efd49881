/**
 * compose's verbs on one running container of a service (attach, commit,
 * export: running-container.ts picks it, as Docker Compose does) and on
 * the project's containers or images (stats, push). Each does what the
 * runtime's verb of the same name does (cli/commands/), on what compose
 * finds by its labels.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import type { AttachFlags } from '../commands/attach.js'
import type { CommitFlags } from '../commands/commit.js'
import type { StatsFlags } from '../commands/stats.js'
import type { ServiceContainer } from '../../compose/project-containers.js'
import { contextFor, loadFor } from './context.js'

/** --index N: which container of the service, 1 first; 0 or less, or none: the default, as Docker Compose's Index > 0. */
export function indexFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid --index "${text}": an integer`)
  return Number(text) > 0 ? Number(text) : undefined
}

async function pick(cmd: Command, service: string, index: string | undefined) {
  const at = indexFlag(index)
  const project = await loadFor(cmd, [service], { byName: true })
  const ctx = await contextFor(cmd)
  const { runningServiceContainer } = await import('../../compose/running-container.js')
  return { ctx, picked: runningServiceContainer(ctx.stateRoot, project, service, at).info }
}

export async function attachCommand(service: string, flags: AttachFlags & { index?: string }, cmd: Command): Promise<void> {
  const { ctx, picked } = await pick(cmd, service, flags.index)
  const { attachTo } = await import('../commands/attach.js')
  await attachTo(ctx.stateRoot, picked, flags)
}

export async function commitCommand(service: string, target: string | undefined, flags: CommitFlags & { index?: string }, cmd: Command): Promise<void> {
  const { ctx, picked } = await pick(cmd, service, flags.index)
  const [{ commitOne }, { emit }] = await Promise.all([import('../commands/commit.js'), import('../../compose/compose-context.js')])
  emit(ctx, 'Container', picked.name, 'Committing')
  const id = await commitOne(ctx, picked, target, flags)
  emit(ctx, 'Container', picked.name, `Committed as ${id}`)
}

export async function exportCommand(service: string, flags: { output?: string; index?: string }, cmd: Command): Promise<void> {
  const { ctx, picked } = await pick(cmd, service, flags.index)
  // once the container is found, as Docker Compose checks it
  if (flags.output === undefined && process.stdout.isTTY) throw new UsageError('output option is required when exporting to terminal')
  const [{ exportTo }, { emit }] = await Promise.all([import('../commands/export.js'), import('../../compose/compose-context.js')])
  emit(ctx, 'Container', picked.name, 'Exporting')
  await exportTo(ctx.storeRoot, picked, flags.output)
  emit(ctx, 'Container', picked.name, 'Exported')
}

export async function statsCommand(service: string | undefined, flags: StatsFlags, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, service === undefined ? [] : [service], { byName: true })
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { showStats }] = await Promise.all([import('../../compose/project-containers.js'), import('../commands/stats.js')])
  // by the labels alone, as Docker Compose filters them: orphans too, and a service without containers shows none
  const shown = (c: ServiceContainer) => (service === undefined || c.service === service) && (flags.all || c.info.status === 'running' || c.info.restarting === true)
  await showStats(() => projectContainers(ctx.stateRoot, project.name).filter(shown).map((c) => c.info), (c) => c.id.slice(0, 12), flags)
}

export async function pushCommand(services: string[], flags: { ignorePushFailures?: boolean; includeDeps?: boolean; quiet?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services)
  const ctx = await contextFor(cmd, { quiet: flags.quiet === true })
  const [{ pushServices }, { selectedServices }, { withDependencies }] = await Promise.all([
    import('../../compose/push.js'),
    import('../../compose/up.js'),
    import('../../compose/dependency-order.js'),
  ])
  let names = selectedServices(project, services)
  if (flags.includeDeps && services.length) {
    const all = withDependencies(project.services, names)
    names = Object.keys(project.services).filter((n) => all.has(n)).sort()
  }
  await pushServices(ctx, project, { services: names, ignoreFailures: flags.ignorePushFailures === true })
}
