/** `compose up` and `compose down`. */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { composeFlags, contextFor, loadFor } from './context.js'
import { followLogs } from './logs.js'

export interface UpFlags {
  detach?: boolean
  build?: boolean
  noBuild?: boolean
  forceRecreate?: boolean
  noRecreate?: boolean
  removeOrphans?: boolean
  noDeps?: boolean
  pull?: string
  timeout?: string
  /** --scale SERVICE=N, repeatable. */
  scale?: string[]
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid ${flag} "${text}": a whole number of seconds`)
  return Number(text)
}

/** The flags `up` and `create` share, checked, as the options of the convergence they run (compose/up.ts). */
export function convergeOptions(services: string[], flags: Pick<UpFlags, 'build' | 'noBuild' | 'forceRecreate' | 'noRecreate' | 'removeOrphans' | 'pull'>) {
  if (flags.build && flags.noBuild) throw new UsageError('--build and --no-build are exclusive')
  if (flags.forceRecreate && flags.noRecreate) throw new UsageError('--force-recreate and --no-recreate are exclusive')
  if (flags.pull !== undefined && !['always', 'missing', 'never'].includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": always, missing or never`)
  return {
    services,
    build: flags.build === true,
    noBuild: flags.noBuild === true,
    forceRecreate: flags.forceRecreate === true,
    noRecreate: flags.noRecreate === true,
    removeOrphans: flags.removeOrphans === true,
    ...(flags.pull ? { pull: flags.pull as 'always' | 'missing' | 'never' } : {}),
  }
}

export async function upCommand(services: string[], flags: UpFlags, cmd: Command): Promise<void> {
  const options = convergeOptions(services, flags)
  const [{ up }, { parseScale, withReplicas }] = await Promise.all([import('../../compose/up.js'), import('../../compose/scale.js')])
  const replicas = Object.fromEntries((flags.scale ?? []).map(parseScale))
  const loaded = await loadFor(cmd, services)
  const project = Object.keys(replicas).length ? withReplicas(loaded, replicas) : loaded
  const ctx = await contextFor(cmd)
  const timeout = seconds(flags.timeout, '--timeout')
  await up(ctx, project, {
    ...options,
    noDeps: flags.noDeps === true,
    ...(timeout !== undefined ? { timeout } : {}),
  })
  if (flags.detach) return
  // attached: the services' output until they all stop; Ctrl-C stops them, as Docker Compose does
  const { stop } = await import('../../compose/lifecycle.js')
  let stopping: Promise<void> | undefined
  let interrupted = false
  const interrupt = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130)
    process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n')
    // Ctrl-C ends docker compose's up with 130 (128 + SIGINT) once the services have stopped
    interrupted = signal === 'SIGINT'
    stopping = stop(ctx, project, services.length ? services : undefined, timeout)
  }
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)
  const { projectContainers, shortName } = await import('../../compose/project-containers.js')
  const attached = projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff && (services.length === 0 || services.includes(c.service)))
  process.stdout.write(`Attaching to ${attached.map((c) => shortName(c, project.name)).join(', ')}\n`)
  try {
    await followLogs(ctx.stateRoot, project.name, services, { follow: true, sayExits: true })
    await stopping
    if (interrupted) process.exitCode = 130
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }
}

export async function downCommand(flags: { volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: string }, cmd: Command): Promise<void> {
  if (flags.rmi !== undefined && flags.rmi !== 'local' && flags.rmi !== 'all') throw new UsageError(`invalid --rmi "${flags.rmi}": local or all`)
  const ctx = await contextFor(cmd)
  const { down } = await import('../../compose/down.js')
  // without a compose file, -p names the project: its containers, networks and volumes are found by label
  let project
  try {
    project = await loadFor(cmd)
  } catch (err) {
    const name = composeFlags(cmd).projectName
    if ((err as { code?: unknown }).code !== 'ENOCOMPOSEFILE' || !name) throw err
  }
  const name = project?.name ?? composeFlags(cmd).projectName!
  const timeout = seconds(flags.timeout, '--timeout')
  await down(ctx, name, project, {
    volumes: flags.volumes === true,
    ...(flags.rmi ? { rmi: flags.rmi as 'local' | 'all' } : {}),
    removeOrphans: flags.removeOrphans === true,
    ...(timeout !== undefined ? { timeout } : {}),
  })
}
