/**
 * What `compose watch` does with one batch of changed host paths, in
 * Docker Compose's order (pkg/compose/watch.go handleWatchBatch): the
 * services to rebuild are built and their containers recreated; then each
 * service's changed files are synced into its containers; then the
 * services to restart are restarted; then each sync+exec command runs in
 * the service's running containers. The first failure ends the batch.
 */
import { closeSync, openSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { ImageStore } from '../image/store.js'
import { logTime } from '../runtime/container/container-logs.js'
import { syncIntoContainer, type SyncItem } from '../runtime/container/copy/sync-container.js'
import { At } from './compose-error.js'
import type { ComposeContext } from './compose-context.js'
import { restartDependents } from './dependency-order.js'
import { execHook } from './hooks.js'
import { buildService } from './images.js'
import { buildOrder } from './build-config.js'
import { restart } from './lifecycle.js'
import type { Project } from './model.js'
import { projectContainers } from './project-containers.js'
import { up } from './up.js'
import type { TriggerRule } from './watch-rules.js'
import type { LogFollowing } from './project-logs.js'

export interface WatchOutput {
  /** A line of watch's own, on stdout. */
  line(text: string): void
  /** sync+exec commands write here: stdout's and stderr's fds. */
  fds: [number, number]
}

export interface WatchBatchOptions {
  /** Remove the image a rebuild replaced, when nothing else names or uses it. */
  prune: boolean
  /** Aborted: the batch's next step is not begun. */
  signal?: AbortSignal
  /** up --watch: the attached logs, to follow the containers a rebuild makes. */
  following?: { current?: LogFollowing }
}

/** Go's %q of a sorted []string, as Docker Compose prints service lists: ["a" "b"]. */
export function quotedList(names: Iterable<string>): string {
  return `[${[...names].sort().map((n) => JSON.stringify(n)).join(' ')}]`
}

/** What a batch asks for, each matching rule of each service counted (every rule that matches acts, as in Docker Compose). */
export interface BatchPlan {
  rebuild: Set<string>
  sync: Map<string, Map<string, SyncItem>>
  restart: Set<string>
  exec: TriggerRule[]
}

export function planBatch(paths: Iterable<string>, rules: readonly TriggerRule[]): BatchPlan {
  const plan: BatchPlan = { rebuild: new Set(), sync: new Map(), restart: new Set(), exec: [] }
  for (const path of paths) {
    for (const rule of rules) {
      if (!rule.matches(path)) continue
      const action = rule.trigger.action
      if (action === 'rebuild') plan.rebuild.add(rule.service)
      if (action === 'restart' || action === 'sync+restart') plan.restart.add(rule.service)
      if (action.startsWith('sync')) {
        const items = plan.sync.get(rule.service) ?? new Map<string, SyncItem>()
        plan.sync.set(rule.service, items)
        const container = rule.containerPath(path)
        items.set(container, { host: path, container })
      }
      if (action === 'sync+exec' && !plan.exec.includes(rule)) plan.exec.push(rule)
    }
  }
  return plan
}

/** The files under a trigger's path that its rule takes, for initial_sync; directories its ignores exclude are not read. */
export function filesToSync(rule: TriggerRule): SyncItem[] {
  const root = rule.trigger.path
  let st
  try {
    st = statSync(root)
  } catch {
    throw new MiniRunError(`initial sync of ${root}: no such file or directory`, { code: 'ENOENT' })
  }
  if (!st.isDirectory()) return [{ host: root, container: rule.containerPath(root) }]
  const out: SyncItem[] = []
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (!rule.skipsDirectory(path)) visit(path)
      } else if (rule.matches(path)) out.push({ host: path, container: rule.containerPath(path) })
    }
  }
  visit(root)
  return out
}

/** Items synced into every container of the service (stopped ones too, as Docker Compose copies into them); one-off containers are left. Each container is tried; the failures are thrown together. */
export async function syncService(ctx: ComposeContext, project: Project, service: string, items: readonly SyncItem[]): Promise<void> {
  const containers = projectContainers(ctx.stateRoot, project.name).filter((c) => c.service === service && !c.oneoff)
  const failures: string[] = []
  for (const c of containers) {
    try {
      await syncIntoContainer(c.info, items)
    } catch (err) {
      failures.push(`copying files to ${c.info.name}: ${(err as Error).message}`)
    }
  }
  if (failures.length) throw new MiniRunError(failures.join('; '))
}

/** A sync+exec command in each running container of its service, all at once, its output on out's fds. */
async function runExecs(ctx: ComposeContext, project: Project, rules: readonly TriggerRule[], out: WatchOutput): Promise<void> {
  const running = projectContainers(ctx.stateRoot, project.name).filter((c) => !c.oneoff && c.info.status === 'running')
  const nul = openSync('/dev/null', 'r')
  try {
    // every one waited for, as Docker Compose's errgroup does, before the first failure is said
    const results = await Promise.allSettled(
      rules.flatMap((rule) =>
        running
          .filter((c) => c.service === rule.service)
          .map(async (c) => {
            const hook = rule.trigger.exec!
            const code = await execHook(c.info, hook, [nul, out.fds[0], out.fds[1]])
            if (code !== 0) throw new MiniRunError(`${hook.command.join(' ')} in ${c.info.name}: exit code ${code}`)
          }),
      ),
    )
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } finally {
    closeSync(nul)
  }
}

/** The images of these services, before a rebuild: the ones a prune may remove after it. */
async function imageIds(ctx: ComposeContext, project: Project, services: Iterable<string>): Promise<Set<string>> {
  const store = new ImageStore({ root: ctx.storeRoot })
  const ids = new Set<string>()
  for (const s of services) {
    const id = (await store.resolve(project.services[s]!.image).catch(() => undefined))?.configDigest
    if (id) ids.add(id)
  }
  return ids
}

/** Images a rebuild left without a name and that no container uses: removed; a failure is no error (Docker Compose ignores it). */
async function pruneReplaced(ctx: ComposeContext, before: Set<string>, after: Set<string>): Promise<void> {
  const [{ removeImage }, { listRefs }, { imageUsers }, { layersInUse }, { isDigest }] = await Promise.all([
    import('../image/store-gc.js'),
    import('../image/refs.js'),
    import('../runtime/container/image-users.js'),
    import('../runtime/container/containers.js'),
    import('../image/digest.js'),
  ])
  const store = new ImageStore({ root: ctx.storeRoot })
  const refs = await listRefs(store.refsDir)
  for (const id of before) {
    if (after.has(id) || refs.some((r) => r.configDigest === id && !isDigest(r.name))) continue
    if (imageUsers(ctx.stateRoot).some((u) => u.imageId === id)) continue
    await removeImage(store, id, { inUse: () => layersInUse(ctx.stateRoot, (ref) => store.resolve(ref)), users: async () => imageUsers(ctx.stateRoot) }).catch(() => undefined)
  }
}

/** Built again, then recreated (their dependencies left as they are); false when it failed and was said. */
async function rebuild(ctx: ComposeContext, project: Project, services: Set<string>, o: WatchBatchOptions, out: WatchOutput): Promise<boolean> {
  out.line(`Rebuilding service(s) ${quotedList(services)} after changes were detected...`)
  const before = o.prune ? await imageIds(ctx, project, services) : new Set<string>()
  try {
    // in build order: one may be another's FROM or named context
    for (const name of buildOrder(project.services, project.mainFile).filter((n) => services.has(n))) await buildService(ctx, project.services[name]!, new At(project.serviceFiles[name] ?? project.mainFile, ['services', name]), { project, ...(o.signal ? { signal: o.signal } : {}) })
  } catch (err) {
    // Ctrl-C stopped the build: nothing to say, the watch is ending
    if (!o.signal?.aborted) out.line(`Build failed. Error: ${(err as Error).message}`)
    return false
  }
  out.line(`service(s) ${quotedList(services)} successfully built`)
  // Ctrl-C just after the build: nothing is replaced
  if (o.signal?.aborted) return false
  const since = logTime(Date.now())
  try {
    await up(ctx, project, { services: [...services], noDeps: true, forceRecreate: true, noBuild: true })
  } catch (err) {
    out.line(`Failed to recreate services after update. Error: ${(err as Error).message}`)
    return false
  }
  // up --watch: the new containers' output follows the old ones' (those it recreated alongside, a
  // network_mode: service: sidecar, too; the attached logs keep to their services and skip the followed)
  const following = o.following?.current
  if (following) for (const c of projectContainers(ctx.stateRoot, project.name)) following.add(c, since)
  // the services that depend on these with restart: true start again after them, as Docker Compose's
  // recreate stops them and its start includes the dependents
  const dependents = restartDependents(project.services, services).filter((n) => !services.has(n))
  if (dependents.length && !o.signal?.aborted) await restart(ctx, project, dependents)
  if (o.prune) await pruneReplaced(ctx, before, await imageIds(ctx, project, services))
  return true
}

/** One batch of changed paths acted on; an error ends it (the caller says so and goes on watching). */
export async function handleBatch(ctx: ComposeContext, project: Project, rules: readonly TriggerRule[], paths: readonly string[], o: WatchBatchOptions, out: WatchOutput): Promise<void> {
  // up --watch: no container's log ends while it is restarted or replaced
  const release = o.following?.current?.hold()
  try {
    await actOn(ctx, project, rules, paths, o, out)
  } finally {
    release?.()
  }
}

async function actOn(ctx: ComposeContext, project: Project, rules: readonly TriggerRule[], paths: readonly string[], o: WatchBatchOptions, out: WatchOutput): Promise<void> {
  const plan = planBatch(paths, rules)
  const stopped = () => o.signal?.aborted === true
  if (plan.rebuild.size && !(await rebuild(ctx, project, plan.rebuild, o, out))) return
  const failures: string[] = []
  for (const [service, items] of [...plan.sync].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (stopped()) return
    out.line(`Syncing service "${service}" after ${items.size} changes were detected`)
    // one service's failure does not keep the others' files out
    await syncService(ctx, project, service, [...items.values()]).catch((err: Error) => failures.push(err.message))
  }
  if (failures.length) throw new MiniRunError(failures.join('; '))
  if (plan.restart.size && !stopped()) {
    await restart(ctx, project, [...plan.restart])
    out.line(`service(s) ${quotedList(plan.restart)} restarted`)
  }
  if (plan.exec.length && !stopped()) await runExecs(ctx, project, plan.exec, out)
}
