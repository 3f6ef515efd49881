/** `compose up` and `compose down`. */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { contextFor, hideBuildOutput, loadFor } from './context.js'
import { PULL_FLAG, pullFlag } from './pull-flag.js'
import type { ComposeContext } from '../../compose/compose-context.js'
import type { Project } from '../../compose/model.js'
import type { LogFollowing } from '../../compose/project-logs.js'
import type { TriggerRule } from '../../compose/watch-rules.js'

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
  abortOnContainerExit?: boolean
  /** Stop them all once one exits with a failure; that one's code is up's. */
  abortOnContainerFailure?: boolean
  /** The service whose container's exit code is up's; implies abortOnContainerExit. */
  exitCodeFrom?: string
  /** Recreate the dependencies too. */
  alwaysRecreateDeps?: boolean
  /** Attach the named services' dependencies too. */
  attachDependencies?: boolean
  timestamps?: boolean
  quietBuild?: boolean
  /** Detached, and return once the services run (healthy where checked). */
  wait?: boolean
  waitTimeout?: string
  /** Create, start nothing: `compose create`. */
  noStart?: boolean
  renewAnonVolumes?: boolean
  /** --attach SERVICE (repeatable): only these services' output. */
  attach?: string[]
  /** --no-attach SERVICE (repeatable): not these services' output. */
  noAttach?: string[]
  noLogPrefix?: boolean
  noColor?: boolean
  /** -w: watch the develop.watch paths while attached (compose/watch.ts). */
  watch?: boolean
}

function seconds(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid ${flag} "${text}": a whole number of seconds`)
  return Number(text)
}

/** The flags `up` and `create` share, checked, as the options of the convergence they run (compose/up.ts). */
export function convergeOptions(services: string[], flags: Pick<UpFlags, 'build' | 'noBuild' | 'forceRecreate' | 'noRecreate' | 'removeOrphans' | 'pull'>) {
  if (flags.build && flags.noBuild) throw new UsageError('--build and --no-build are incompatible')
  if (flags.forceRecreate && flags.noRecreate) throw new UsageError('--force-recreate and --no-recreate are incompatible')
  if (flags.pull !== undefined && !PULL_FLAG.includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": always, missing, never or build`)
  return {
    services,
    build: flags.build === true,
    noBuild: flags.noBuild === true,
    forceRecreate: flags.forceRecreate === true,
    noRecreate: flags.noRecreate === true,
    removeOrphans: flags.removeOrphans === true,
    ...(flags.pull ? { pull: pullFlag(flags.pull) } : {}),
  }
}

export async function upCommand(services: string[], flags: UpFlags, cmd: Command): Promise<void> {
  // docker compose's validateFlags, in its order and words
  // (--exit-code-from implies --abort-on-container-exit, unless --abort-on-container-failure is given)
  const cascadeStop = flags.abortOnContainerExit === true || (flags.exitCodeFrom !== undefined && !flags.abortOnContainerFailure)
  const attaching = (flags.attach?.length ?? 0) > 0
  if (cascadeStop && flags.abortOnContainerFailure) throw new UsageError('--abort-on-container-failure cannot be combined with --abort-on-container-exit')
  if (flags.wait && (flags.attachDependencies || cascadeStop || attaching)) throw new UsageError('--wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies')
  if ((flags.detach || flags.wait) && (flags.attachDependencies || cascadeStop || flags.abortOnContainerFailure || attaching || flags.watch)) {
    throw new UsageError(`${flags.wait ? '--wait' : '--detach'} cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch`)
  }
  if (flags.renewAnonVolumes && flags.noRecreate) throw new UsageError('--no-recreate and --renew-anon-volumes are incompatible')
  const options = { ...convergeOptions(services, flags), recreateDeps: flags.alwaysRecreateDeps === true }
  if (flags.alwaysRecreateDeps && flags.noRecreate) throw new UsageError('--always-recreate-deps and --no-recreate are incompatible')
  if (flags.watch && flags.noBuild) throw new UsageError('--no-build and --watch are incompatible')
  if (flags.attach?.length && flags.attachDependencies) throw new UsageError('cannot combine --attach and --attach-dependencies')
  if (flags.watch && flags.noStart) throw new UsageError('--no-start and --watch are incompatible')
  const { parseScale, withReplicas } = await import('../../compose/scale.js')
  const replicas = Object.fromEntries((flags.scale ?? []).map(parseScale))
  const loaded = await loadFor(cmd, services, { onHost: true })
  const project = Object.keys(replicas).length ? withReplicas(loaded, replicas, services) : loaded
  if (flags.exitCodeFrom !== undefined && !(flags.exitCodeFrom in project.services)) throw new UsageError(`no such service: ${flags.exitCodeFrom}`)
  const ctx = await contextFor(cmd)
  const timeout = seconds(flags.timeout, '--timeout')
  if (flags.noStart) {
    // what docker compose up --no-start does: compose create's work, nothing started or attached
    const { create } = await import('../../compose/create.js')
    return create(ctx, project, { ...options, renewAnonVolumes: flags.renewAnonVolumes === true, ...(timeout !== undefined ? { timeout } : {}) })
  }
  // checked before anything starts, as compose watch checks
  const { printEvent } = await import('./display.js')
  const rules = flags.watch ? (await import('../../compose/watch.js')).watchRules(project, services, (message) => printEvent({ kind: 'warning', message })) : undefined
  // one watch per project, compose watch's or up --watch's
  const release = flags.watch ? (await import('../../compose/watch-lock.js')).lockWatch(ctx.stateRoot, project.name) : undefined
  try {
    await upAndAttach(ctx, project, services, flags, options, timeout, rules)
  } finally {
    release?.()
  }
}

async function upAndAttach(ctx: ComposeContext, project: Project, services: string[], flags: UpFlags, options: ReturnType<typeof convergeOptions> & { recreateDeps: boolean }, timeout: number | undefined, rules: TriggerRule[] | undefined): Promise<void> {
  const { up } = await import('../../compose/up.js')
  if (flags.quietBuild) hideBuildOutput(ctx)
  // attached, what the containers logged from now on: docker compose attaches without their earlier logs
  const startedAt = Date.now()
  await up(ctx, project, {
    ...options,
    renewAnonVolumes: flags.renewAnonVolumes === true,
    noDeps: flags.noDeps === true,
    ...(timeout !== undefined ? { timeout } : {}),
  })
  if (flags.wait) {
    const { waitRunning } = await import('../../compose/wait-running.js')
    const waitTimeout = seconds(flags.waitTimeout, '--wait-timeout')
    const completing = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)))
    return waitRunning(ctx, project.name, new Set(services.length ? services : Object.keys(project.services)), waitTimeout === undefined ? undefined : waitTimeout * 1000, completing)
  }
  if (flags.detach) return
  const { attachUp } = await import('./up-attached.js')
  // the watch's lines, ` ⦿ `-prefixed beside the logs' once attachUp knows their width
  const watchLine = { format: (text: string) => text }
  const watching = rules ? await startWatch(ctx, project, rules, watchLine) : undefined
  try {
    await attachUp(ctx, project, {
      ...(watching ? { onFollowing: (f: LogFollowing) => (watching.following.current = f), beforeStop: watching.end, watchLine } : {}),
      services,
      since: startedAt,
      ...(timeout !== undefined ? { timeout } : {}),
      // --exit-code-from implies --abort-on-container-exit, unless --abort-on-container-failure is given (docker compose's validateFlags)
      abortOnExit: !flags.abortOnContainerFailure && (flags.abortOnContainerExit === true || flags.exitCodeFrom !== undefined),
      abortOnFailure: flags.abortOnContainerFailure === true,
      ...(flags.exitCodeFrom !== undefined ? { exitCodeFrom: flags.exitCodeFrom } : {}),
      ...(await attachedServices(project, services, flags)),
      noPrefix: flags.noLogPrefix === true,
      noColor: flags.noColor === true,
      timestamps: flags.timestamps === true,
    })
  } finally {
    // the services stopped (Ctrl-C, or they all exited), or the attach failed: the watch ends with them
    await watching?.end()
  }
}

/** --attach, --no-attach and --attach-dependencies: the services whose output attached up shows, when not those named (or all). */
async function attachedServices(project: Project, services: string[], flags: UpFlags): Promise<{ attach?: string[] }> {
  if (!flags.attach?.length && !flags.noAttach?.length && !(flags.attachDependencies && services.length)) return {}
  const { inScope } = await import('../../compose/load.js')
  const shown = flags.attach?.length ? flags.attach : flags.attachDependencies ? inScope(project.services, services) : services.length ? services : Object.keys(project.services)
  return { attach: shown.filter((s) => !flags.noAttach?.includes(s)) }
}

/** up --watch's watch, beside the attached logs: end() stops it once the step of its batch being taken is done (attached up's Ctrl-C calls it before it stops the services). */
async function startWatch(ctx: ComposeContext, project: Project, rules: TriggerRule[], watchLine: { format: (text: string) => string }) {
  const [{ watchProject }, { printEvent }] = await Promise.all([import('../../compose/watch.js'), import('./display.js')])
  const stop = new AbortController()
  const following: { current?: LogFollowing } = {}
  const running = watchProject(
    ctx,
    project,
    { rules, prune: false, signal: stop.signal, following, warn: (message) => printEvent({ kind: 'warning', message }) },
    { line: (text) => void process.stdout.write(`${watchLine.format(text)}\n`), fds: [1, 2] },
  ).catch((err: Error) => printEvent({ kind: 'warning', message: `Watch disabled with errors: ${err.message}` }))
  return {
    following,
    end: async () => {
      stop.abort()
      await running
    },
  }
}

export async function downCommand(services: string[], flags: { volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: string }, cmd: Command): Promise<void> {
  if (flags.rmi !== undefined && flags.rmi !== 'local' && flags.rmi !== 'all') throw new UsageError(`invalid --rmi "${flags.rmi}": local or all`)
  const ctx = await contextFor(cmd)
  const { down } = await import('../../compose/down.js')
  // -p without -f, or no file and COMPOSE_PROJECT_NAME: the project by its containers' labels (their
  // depends_on order, and for --rmi the images they run), no file read, as the other verbs on what exists
  const project = await loadFor(cmd, undefined, { byName: true })
  const name = project.name
  const timeout = seconds(flags.timeout, '--timeout')
  await down(ctx, name, project, {
    volumes: flags.volumes === true,
    ...(flags.rmi ? { rmi: flags.rmi as 'local' | 'all' } : {}),
    removeOrphans: flags.removeOrphans === true,
    ...(timeout !== undefined ? { timeout } : {}),
    ...(services.length ? { services } : {}),
  })
}
