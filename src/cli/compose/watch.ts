/**
 * `compose watch`: the services brought up (built where they build, as
 * Docker Compose does, whose pull_policy it makes `build` for services
 * with a develop section), then their develop.watch paths watched until
 * Ctrl-C (compose/watch.ts). The containers are left running; the exit
 * status is 130, as Docker Compose's. A batch of changes being acted on
 * (a build, a restart) is finished first; a second Ctrl-C does not wait.
 */
import type { Command } from 'commander'
import { contextFor, hideBuildOutput, loadFor } from './context.js'
import { printEvent } from './display.js'
import type { ComposeContext } from '../../compose/compose-context.js'
import type { Project } from '../../compose/model.js'
import type { TriggerRule } from '../../compose/watch-rules.js'

export interface WatchFlags {
  /** --no-up: false. */
  up?: boolean
  /** --prune (the default) / --no-prune, --prune=false. */
  prune?: boolean
  quiet?: boolean
}

export async function watchCommand(services: string[], flags: WatchFlags, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { onHost: true })
  const ctx = await contextFor(cmd)
  // --quiet: the builds' output hidden, the containers' progress still shown
  if (flags.quiet) hideBuildOutput(ctx)
  const { watchRules } = await import('../../compose/watch.js')
  // checked before anything starts: nothing to watch, or a trigger that cannot work, starts nothing
  const rules = watchRules(project, services, (message) => printEvent({ kind: 'warning', message }))
  const release = (await import('../../compose/watch-lock.js')).lockWatch(ctx.stateRoot, project.name)
  try {
    await upAndWatch(ctx, project, services, flags, rules)
  } finally {
    release()
  }
  process.exitCode = 130
}

async function upAndWatch(ctx: ComposeContext, project: Project, services: string[], flags: WatchFlags, rules: TriggerRule[]): Promise<void> {
  const [{ watchProject }, { up }] = await Promise.all([import('../../compose/watch.js'), import('../../compose/up.js')])
  if (flags.up !== false) {
    const built = Object.fromEntries(Object.entries(project.services).map(([n, s]) => [n, s.build && s.develop ? { ...s, pullPolicy: 'build' as const } : s]))
    await up(ctx, { ...project, services: built }, { ...(services.length ? { services } : {}) })
  }
  const stop = new AbortController()
  // the first Ctrl-C ends the watch once the changes being acted on are (a build, a restart); a
  // second one does not wait
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130)
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    await watchProject(
      ctx,
      project,
      { rules, prune: flags.prune !== false, signal: stop.signal, warn: (message) => printEvent({ kind: 'warning', message }) },
      { line: (text) => void process.stdout.write(`${text}\n`), fds: [1, 2] },
    )
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
