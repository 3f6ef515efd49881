/**
 * Attached `compose up`: the services' output until they all stop. Ctrl-C
 * stops them; with --abort-on-container-exit the first container to exit
 * stops them all, and up ends with an exit code (docker compose's
 * cascadeStop, pkg/compose/up.go).
 */
import type { ComposeContext } from '../../compose/compose-context.js'
import type { Project } from '../../compose/model.js'
import type { LogFollowing } from '../../compose/project-logs.js'
import { followLogs } from './logs.js'
import { printStopping } from './display.js'

export interface AttachOptions {
  services: string[]
  /** Only what was logged from this time on (ms since the epoch): the start of up, so a container's earlier runs are not shown again. */
  since?: number
  timeout?: number
  /** Stop every container of the project once one exits. */
  abortOnExit?: boolean
  /** Stop every container of the project once one exits with a failure (non-zero). */
  abortOnFailure?: boolean
  /** A timestamp before each line. */
  timestamps?: boolean
  /** With abortOnExit: up's exit code is this service's container's; without, the first to exit's. */
  exitCodeFrom?: string
  /** --attach / --no-attach: the services whose output is shown (default: services, or all). */
  attach?: string[]
  noPrefix?: boolean
  noColor?: boolean
  /** How to follow more containers, and hold the followers (up --watch). */
  onFollowing?: (f: LogFollowing) => void
  /** Before the services are stopped (Ctrl-C, or an exit with abortOnExit): up --watch's watch ended, its batch done. */
  beforeStop?: () => Promise<void>
  /** up --watch: how its lines are prefixed, set once the logs' prefixes are known. */
  watchLine?: { format: (text: string) => string }
}

export async function attachUp(ctx: ComposeContext, project: Project, o: AttachOptions): Promise<void> {
  const { services, timeout } = o
  const { stop } = await import('../../compose/lifecycle.js')
  let stopping: Promise<void> | undefined
  let interrupted = false
  // a watch's batch that restarts or replaces containers ends before they are stopped, not after
  const stopAll = async (names: string[] | undefined) => {
    await o.beforeStop?.()
    await stop(ctx, project, names, timeout)
  }
  const interrupt = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130)
    printStopping()
    // Ctrl-C ends docker compose's up with 130 (128 + SIGINT) once the services have stopped
    interrupted = signal === 'SIGINT'
    stopping = stopAll(services.length ? services : undefined)
  }
  let exitCode: number | undefined
  let fromSeen = false
  // the exits that may stop them all: the services named, else those attached (docker compose watches
  // the named ones, not the dependencies --attach-dependencies shows)
  const watched = services.length ? services : (o.attach ?? [])
  const onExit = (c: { service: string }, code: number) => {
    if (!o.abortOnExit && !o.abortOnFailure) return
    if (watched.length && !watched.includes(c.service)) return
    // --exit-code-from: that service's first exit is up's code
    if (o.exitCodeFrom !== undefined && c.service === o.exitCodeFrom && !fromSeen) {
      fromSeen = true
      exitCode = code
    }
    // --abort-on-container-failure: an exit with 0 stops nothing (docker compose's stopOnFirstExit)
    if (o.abortOnFailure && code === 0) return
    // without --exit-code-from, the first exit that stops them is up's code
    if (o.exitCodeFrom === undefined && exitCode === undefined) exitCode = code
    if (stopping) return
    process.stdout.write('Aborting on container exit...\n')
    stopping = stopAll(undefined)
  }
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)
  const { projectContainers, shortName } = await import('../../compose/project-containers.js')
  const shown = o.attach ?? services
  const attached = projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff && (shown.length === 0 || shown.includes(c.service)))
  process.stdout.write(`Attaching to ${attached.map((c) => shortName(c, project.name)).join(', ')}\n`)
  try {
    const { logTime } = await import('../../runtime/container/container-logs.js')
    await followLogs(ctx.stateRoot, project.name, shown, { follow: true, sayExits: true, onExit, ...(o.since !== undefined ? { since: logTime(o.since) } : {}), noPrefix: o.noPrefix === true, noColor: o.noColor === true, timestamps: o.timestamps === true, ...(o.onFollowing ? { onFollowing: o.onFollowing } : {}), ...(o.watchLine ? { watchLine: o.watchLine } : {}) })
    await stopping
    if (interrupted) process.exitCode = 130
    else if (exitCode !== undefined) process.exitCode = exitCode
  } finally {
    process.off('SIGINT', interrupt)
    process.off('SIGTERM', interrupt)
  }
}
