/**
 * `compose watch`: the host paths of the services' `develop.watch`
 * triggers watched, and each batch of changes acted on (watch-actions.ts),
 * as Docker Compose watches (pkg/compose/watch.go, pkg/watch):
 *
 *  - the services named and what they depend on, each with its triggers;
 *    sync triggers under a bind mount's source are left (the container
 *    sees those files already), with Docker Compose's warning;
 *  - initial_sync: a sync trigger's files copied in before watching;
 *  - changes gathered until the paths are quiet for 500 ms, then acted on
 *    as one batch; batches one after another, changes meanwhile kept for
 *    the next;
 *  - a path that does not exist yet: its nearest existing ancestor is
 *    watched for it, and nothing else there (the file watcher is chokidar,
 *    one inotify watch per directory);
 *  - until the signal aborts; the containers are left running.
 */
import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { MiniRunError } from '../errors.js'
import { At } from './compose-error.js'
import type { ComposeContext } from './compose-context.js'
import { withDependencies } from './dependency-order.js'
import type { Project } from './model.js'
import { filesToSync, handleBatch, syncService, type WatchBatchOptions, type WatchOutput } from './watch-actions.js'
import { below, serviceRules, type TriggerRule } from './watch-rules.js'
import { watchPaths } from './vendor.js'

/** Docker Compose's quiet period (pkg/watch/debounce.go). */
export const QUIET_MS = 500

export interface WatchOptions extends WatchBatchOptions {
  /** Only these services and their dependencies; all when none. */
  services?: string[]
  signal: AbortSignal
  /** Warnings, as the other verbs print them. */
  warn(message: string): void
  /** The triggers, as watchRules gave them to a caller that checked them before the services came up (read here otherwise). */
  rules?: TriggerRule[]
  /** Once watching has begun (tests). */
  onReady?: () => void
}

/** The services' triggers, checked; those a bind mount makes needless left out, with a warning. */
export function watchRules(project: Project, services: readonly string[] | undefined, warn: (m: string) => void): TriggerRule[] {
  const names = [...withDependencies(project.services, services?.length ? services : Object.keys(project.services))].sort()
  const rules: TriggerRule[] = []
  for (const name of names) {
    const s = project.services[name]!
    const at = new At(project.serviceFiles[name] ?? project.mainFile, ['services', name])
    for (const rule of serviceRules(s, at)) {
      const t = rule.trigger
      if (t.action === 'rebuild' && !s.build) throw at.at('develop', 'watch', rule.index).error(`can't watch service "${name}" with action rebuild without a build context`)
      const bound = s.volumes.some((v) => v.type === 'bind' && v.source !== undefined && below(v.source, t.path) !== undefined)
      if (bound && (t.action === 'sync' || t.action === 'sync+restart')) {
        warn(`path '${t.path}' also declared by a bind mount volume, this path won't be monitored!`)
        continue
      }
      rules.push(rule)
    }
  }
  if (rules.length === 0) throw new MiniRunError('none of the selected services is configured for watch, consider setting a \'develop\' section', { code: 'ENOWATCH' })
  return rules
}

/** Is there a directory at path (a symlink to one followed)? */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The nearest existing directory at or above path. */
function existingAncestor(path: string): string {
  let p = path
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p)
  return p
}

/** Watch until o.signal aborts: the caller has brought the services up. */
export async function watchProject(ctx: ComposeContext, project: Project, o: WatchOptions, out: WatchOutput): Promise<void> {
  const rules = o.rules ?? watchRules(project, o.services, o.warn)
  for (const rule of rules) {
    if (!rule.trigger.initialSync || !(rule.trigger.action === 'sync' || rule.trigger.action === 'sync+restart')) continue
    await syncService(ctx, project, rule.service, filesToSync(rule))
  }
  const targets = [...new Set(rules.map((r) => r.trigger.path))]
  // a file is watched from its directory, as Docker Compose's watcher does: a file watched itself is
  // lost once it is deleted or replaced (git checkout, an editor's rename), and never seen again
  const roots = [...new Set(targets.map((t) => (isDirectory(t) ? t : existingAncestor(dirname(t)))))]
  // below a trigger's path, or on the way to one (its directory, or a path that does not exist yet)
  const wanted = (p: string) => targets.some((t) => below(t, p) !== undefined || below(p, t) !== undefined)
  // not read at all: what every trigger over it ignores as a whole (.git, node_modules in an ignore),
  // unless another trigger's path lies below it
  const skipped = (p: string) => {
    if (targets.some((t) => t !== p && below(p, t) !== undefined)) return false
    const over = rules.filter((r) => below(r.trigger.path, p) !== undefined)
    return over.length > 0 && over.every((r) => r.skipsDirectory(p))
  }
  const watcher = watchPaths(roots, { ignoreInitial: true, followSymlinks: false, ignored: (p: string) => !wanted(p) || skipped(p) })
  const pending = new Set<string>()
  let timer: NodeJS.Timeout | undefined
  let working: Promise<void> = Promise.resolve()
  const flush = () => {
    timer = undefined
    working = working.then(async () => {
      // what came while the last batch ran is one batch, not one per quiet moment
      const paths = [...pending]
      pending.clear()
      if (o.signal.aborted || paths.length === 0) return
      try {
        await handleBatch(ctx, project, rules, paths, o, out)
      } catch (err) {
        o.warn(`Error handling changed files: ${(err as Error).message}`)
      }
    })
  }
  watcher.on('all', (_event: string, path: string) => {
    if (!rules.some((r) => below(r.trigger.path, path) !== undefined)) return
    pending.add(path)
    if (timer) clearTimeout(timer)
    timer = setTimeout(flush, QUIET_MS)
  })
  const stopped = new Promise<void>((resolve) => {
    watcher.on('error', (err: unknown) => o.warn(`Watch disabled with errors: ${(err as Error).message}`))
    if (o.signal.aborted) resolve()
    o.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))
  out.line('Watch enabled')
  o.onReady?.()
  await stopped
  if (timer) clearTimeout(timer)
  pending.clear()
  await watcher.close()
  await working
}
