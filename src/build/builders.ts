/**
 * buildx's builder instances (`buildx create`, `use`, `rm`, `stop`): names
 * for mini-run's one builder, which runs in the mini-run process itself.
 * There is no BuildKit daemon behind an instance, so whatever it is called
 * a build stores into mini-run's store; what an instance keeps is what
 * scripts written for buildx read back (`ls`, `inspect`): its driver, its
 * node and settings, and a status that follows a docker-container
 * builder's life (inactive once created, running once bootstrapped or used
 * by a build, stopped by `stop`). The builder `default` is always there:
 * Docker's default builder, driver docker, always running.
 *
 * Kept as buildx keeps ~/.docker/buildx (store/store.go), under the store,
 * so that they last across reboots as images and networks do:
 *
 *   <store>/buildx/instances/<name>.json   one instance (name lowercased, as buildx's file)
 *   <store>/buildx/activity/<name>         its last create or build (RFC 3339, UTC)
 *   <store>/buildx/current                 {"name": ...}: the instance in use
 *   <store>/buildx/.lock                   held while any of them changes
 *
 * Each file is written whole to a temporary name and renamed, so a reader
 * takes no lock and sees a file whole or not at all.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import { lockFileSync } from '../file-lock.js'
import { STORE_PRIVATE, storeRootDir } from '../image/store-dirs.js'
import { isoTime } from '../iso-time.js'
import { ensurePrivateDir } from '../private-dir.js'
import { randomName } from '../runtime/container/random-name.js'

export const DEFAULT_BUILDER = 'default'

/** The docker-container driver's states (driver/driver.go Status) that mini-run's instances go through. */
export type BuilderStatus = 'inactive' | 'running' | 'stopped'
const STATUSES: readonly BuilderStatus[] = ['inactive', 'running', 'stopped']

export interface BuilderNode {
  name: string
  endpoint: string
  /** --platform: this machine's, os/arch[/variant] (builder-settings.ts). */
  platforms: string[]
  /** --driver-opt, recorded. */
  driverOpts: Record<string, string>
  /** --buildkitd-flags, split as buildx splits them, recorded. */
  flags: string[]
  /** --buildkitd-config: the file's text under buildx's name for it, buildkitd.toml. */
  files: Record<string, string>
}

export interface BuilderInstance {
  name: string
  driver: string
  nodes: BuilderNode[]
  status: BuilderStatus
  /** Its last create or build, RFC 3339 in seconds, UTC; undefined if never. */
  lastActivity?: string
}

export interface CreateBuilderOptions {
  name?: string
  driver?: string
  /** --node: the node to make, or to change on an instance that exists. */
  node?: string
  /** The [CONTEXT|ENDPOINT] argument: mini-run has the one, `default`. */
  endpoint?: string
  platforms?: string[]
  driverOpts?: Record<string, string>
  flags?: string[]
  files?: Record<string, string>
  use?: boolean
}

const NAME = /^[a-zA-Z][a-zA-Z0-9.\-_]*$/

/** buildx's ValidateName: the name as its file is named (lowercased), or its error. */
export function builderKey(name: string): string {
  if (!NAME.test(name)) throw new UsageError(`invalid name ${name}, name needs to start with a letter and may not contain symbols, except ._-`)
  return name.toLowerCase()
}

const dirOf = (storeRoot: string) => join(storeRoot, 'buildx')
const instanceFile = (storeRoot: string, key: string) => join(dirOf(storeRoot), 'instances', `${key}.json`)
const activityFile = (storeRoot: string, key: string) => join(dirOf(storeRoot), 'activity', key)

function noBuilder(name: string): MiniRunError {
  return new MiniRunError(`no builder ${JSON.stringify(name)} found`, { code: 'ENOBUILDER' })
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function lastActivity(storeRoot: string, key: string): string | undefined {
  const text = readText(activityFile(storeRoot, key))?.trim()
  return text !== undefined && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(text) ? text : undefined
}

/** An instance's file, or undefined: none, or not one (a file left half-edited by hand is passed over). */
function readInstance(storeRoot: string, key: string): BuilderInstance | undefined {
  const text = readText(instanceFile(storeRoot, key))
  if (text === undefined) return undefined
  try {
    const b = JSON.parse(text) as BuilderInstance
    // every field as the verbs use it: one file edited by hand must not break `ls` or `rm --all-inactive` for the others
    if (typeof b.name !== 'string' || !NAME.test(b.name) || b.name.toLowerCase() !== key || typeof b.driver !== 'string' || !Array.isArray(b.nodes)) return undefined
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string')
    const stringMap = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
    if (!b.nodes.every((n) => typeof n?.name === 'string' && typeof n.endpoint === 'string' && strings(n.platforms) && strings(n.flags) && stringMap(n.driverOpts) && stringMap(n.files))) return undefined
    if (!STATUSES.includes(b.status)) b.status = 'inactive'
    const activity = lastActivity(storeRoot, key)
    return { ...b, ...(activity !== undefined && { lastActivity: activity }) }
  } catch {
    return undefined
  }
}

/** The builder that is always there: Docker's default, the docker driver on the `default` context. */
function defaultBuilder(storeRoot: string): BuilderInstance {
  const activity = lastActivity(storeRoot, DEFAULT_BUILDER)
  return {
    name: DEFAULT_BUILDER,
    driver: 'docker',
    nodes: [{ name: DEFAULT_BUILDER, endpoint: DEFAULT_BUILDER, platforms: [], driverOpts: {}, flags: [], files: {} }],
    status: 'running',
    ...(activity !== undefined && { lastActivity: activity }),
  }
}

/** The instances by name, then `default`: buildx's ls order (its store's, then the contexts'). */
export function listBuilders(storeRoot: string): BuilderInstance[] {
  let files: string[] = []
  try {
    files = readdirSync(join(dirOf(storeRoot), 'instances')).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort()
  } catch {
    // none created yet
  }
  const made = files.map((f) => readInstance(storeRoot, f.slice(0, -'.json'.length))).filter((b): b is BuilderInstance => b !== undefined)
  return [...made, defaultBuilder(storeRoot)]
}

/** The name of the instance in use: `current`'s, while that instance exists, else `default`. */
export function currentBuilderName(storeRoot: string): string {
  const text = readText(join(dirOf(storeRoot), 'current'))
  let name: unknown
  try {
    name = text === undefined ? undefined : (JSON.parse(text) as { name?: unknown }).name
  } catch {
    name = undefined
  }
  if (typeof name !== 'string' || !NAME.test(name)) return DEFAULT_BUILDER
  return readInstance(storeRoot, name.toLowerCase())?.name ?? DEFAULT_BUILDER
}

/** An instance by name (any case, as buildx's files), `default`, or the current one for ''; `no builder "x" found` otherwise. */
export function findBuilder(storeRoot: string, name: string): BuilderInstance {
  const wanted = name === '' ? currentBuilderName(storeRoot) : name
  if (wanted === DEFAULT_BUILDER) return defaultBuilder(storeRoot)
  const found = NAME.test(wanted) ? readInstance(storeRoot, wanted.toLowerCase()) : undefined
  if (!found) throw noBuilder(wanted)
  return found
}

/** Under the instances' lock, with their directories made (private to the store's owner, as the store). */
function withBuildersLock<T>(storeRoot: string, fn: () => T): T {
  ensurePrivateDir(storeRoot, storeRootDir())
  ensurePrivateDir(dirOf(storeRoot), STORE_PRIVATE)
  for (const sub of ['instances', 'activity']) mkdirSync(join(dirOf(storeRoot), sub), { recursive: true, mode: 0o700 })
  const lock = lockFileSync(join(dirOf(storeRoot), '.lock'), 'exclusive')
  try {
    return fn()
  } finally {
    lock.release()
  }
}

/** Written beside its name and renamed over it (a temporary name of its own is enough: writers hold the lock). */
function writeWhole(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp`)
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, file)
}

function touch(storeRoot: string, key: string): void {
  writeWhole(activityFile(storeRoot, key), isoTime().slice(0, 19) + 'Z')
}

function save(storeRoot: string, b: BuilderInstance): void {
  const { lastActivity: _, ...kept } = b
  writeWhole(instanceFile(storeRoot, builderKey(b.name)), JSON.stringify(kept, null, 2) + '\n')
}

function setCurrent(storeRoot: string, name: string): void {
  writeWhole(join(dirOf(storeRoot), 'current'), JSON.stringify({ name }) + '\n')
}

/** Drivers mini-run cannot mean: each reaches a BuildKit elsewhere, and mini-run's builder is in its own process. */
const ELSEWHERE: ReadonlySet<string> = new Set(['kubernetes', 'remote', 'cloud'])

function checkDriver(driver: string): void {
  // the docker driver's factory allows no instances (driver/manager.go GetFactory)
  if (driver === 'docker') throw new UsageError('additional instances of driver "docker" cannot be created')
  if (ELSEWHERE.has(driver)) {
    throw new UsageError(`driver "${driver}" is not supported: mini-run's builder runs in the mini-run process, not in a BuildKit it could reach; use docker-container (the default)`)
  }
  if (driver !== 'docker-container') throw new UsageError(`failed to find driver ${JSON.stringify(driver)}`)
}

/** buildx's random instance name: namesgenerator's, a digit added after the first tries (store/util.go GenerateName). */
function generateName(storeRoot: string): string {
  for (let i = 0; i < 6; i++) {
    const name = randomName(i)
    if (!readInstance(storeRoot, name)) return name
  }
  throw new MiniRunError('failed to generate random name')
}

/**
 * `buildx create`: a new instance with one node, or (--node naming its
 * node) new settings for one that exists; the checks and their words are
 * builder.Create's and NodeGroup.Update's.
 */
export function createBuilder(storeRoot: string, o: CreateBuilderOptions): BuilderInstance {
  // any case: its file would be the default builder's (instances are keyed lowercased, as buildx's)
  if (o.name?.toLowerCase() === DEFAULT_BUILDER) throw new UsageError('default is a reserved name and cannot be used to identify builder instance')
  return withBuildersLock(storeRoot, () => {
    const name = o.name || generateName(storeRoot)
    const existing = readInstance(storeRoot, builderKey(name))
    const driver = o.driver || existing?.driver || 'docker-container'
    if (existing && !o.node) {
      throw new UsageError(`existing instance for ${JSON.stringify(name)} but no append mode, specify the node name to make changes for existing instances`)
    }
    if (existing && driver !== existing.driver) throw new UsageError(`existing instance for ${JSON.stringify(name)} but has mismatched driver ${JSON.stringify(existing.driver)}`)
    checkDriver(driver)
    if (o.endpoint !== undefined && o.endpoint !== DEFAULT_BUILDER) {
      throw new UsageError(`endpoint ${JSON.stringify(o.endpoint)}: mini-run's builder runs in the mini-run process, its only endpoint is "default"`)
    }
    let b: BuilderInstance
    if (existing) {
      const i = existing.nodes.findIndex((n) => n.name === o.node)
      if (i === -1) throw new UsageError(`node ${o.node} not found, did you mean to append?`)
      const n = existing.nodes[i]!
      const node: BuilderNode = {
        ...n,
        ...(o.platforms !== undefined && o.platforms.length > 0 && { platforms: o.platforms }),
        ...(o.flags !== undefined && { flags: o.flags }),
        ...(o.driverOpts !== undefined && { driverOpts: o.driverOpts }),
        ...(o.files !== undefined && { files: { ...n.files, ...o.files } }),
      }
      b = { ...existing, nodes: existing.nodes.map((m, j) => (j === i ? node : m)) }
    } else {
      const node: BuilderNode = {
        name: builderKey(o.node || `${name}0`),
        endpoint: DEFAULT_BUILDER,
        platforms: o.platforms ?? [],
        driverOpts: o.driverOpts ?? {},
        flags: o.flags ?? [],
        files: o.files ?? {},
      }
      b = { name, driver, nodes: [node], status: 'inactive' }
    }
    save(storeRoot, b)
    touch(storeRoot, builderKey(name))
    if (o.use) setCurrent(storeRoot, b.name)
    return readInstance(storeRoot, builderKey(name)) ?? b
  })
}

/** `buildx use NAME`: `default`, or an instance (`failed to find instance "x"` for none). */
export function useBuilder(storeRoot: string, name: string): void {
  const find = (): BuilderInstance => {
    let key: string
    try {
      key = builderKey(name)
    } catch (err) {
      throw new MiniRunError(`failed to find instance ${JSON.stringify(name)}: ${(err as Error).message}`, { code: 'ENOBUILDER', cause: err })
    }
    const b = readInstance(storeRoot, key)
    if (!b) throw new MiniRunError(`failed to find instance ${JSON.stringify(name)}`, { code: 'ENOBUILDER' })
    return b
  }
  if (name !== DEFAULT_BUILDER) find()
  withBuildersLock(storeRoot, () => setCurrent(storeRoot, name === DEFAULT_BUILDER ? DEFAULT_BUILDER : find().name))
}

/**
 * `buildx rm NAME` ('' for the current one): the instance's files gone,
 * and `default` current again if it was current. mini-run's build cache is
 * the store's, shared by every instance: nothing of it goes.
 */
export function removeBuilder(storeRoot: string, name: string): BuilderInstance {
  findBuilder(storeRoot, name)
  return withBuildersLock(storeRoot, () => {
    const b = findBuilder(storeRoot, name)
    // buildx's words for a context's builder, without its `docker context rm`: mini-run has no contexts
    if (b.name === DEFAULT_BUILDER) throw new MiniRunError('context builder cannot be removed: default is mini-run\'s own builder', { code: 'EDEFAULTBUILDER' })
    const key = builderKey(b.name)
    const current = currentBuilderName(storeRoot)
    rmSync(activityFile(storeRoot, key), { force: true })
    rmSync(instanceFile(storeRoot, key), { force: true })
    if (current === b.name) setCurrent(storeRoot, DEFAULT_BUILDER)
    return b
  })
}

/**
 * `rm --all-inactive`: every instance not running (never `default`),
 * found and removed under one hold of the lock, as buildx's one
 * transaction: a build that starts one meanwhile, or an rm of one, waits.
 */
export function removeInactiveBuilders(storeRoot: string): string[] {
  return withBuildersLock(storeRoot, () => {
    const names = listBuilders(storeRoot).filter((b) => b.name !== DEFAULT_BUILDER && b.status !== 'running').map((b) => b.name)
    for (const name of names) removeBuilder(storeRoot, name)
    return names
  })
}

/**
 * A docker-container instance's status as its driver's Boot and Stop leave
 * it: `running` (create/inspect --bootstrap, a build), `stopped` (stop: of
 * a running one; an inactive one stays so). `default` is always running.
 */
export function setBuilderStatus(storeRoot: string, name: string, status: 'running' | 'stopped'): BuilderInstance {
  // one that is not there is said before anything is made
  findBuilder(storeRoot, name)
  return withBuildersLock(storeRoot, () => {
    const b = findBuilder(storeRoot, name)
    if (b.name === DEFAULT_BUILDER || b.status === status || (status === 'stopped' && b.status === 'inactive')) return b
    const changed: BuilderInstance = { ...b, status }
    save(storeRoot, changed)
    return changed
  })
}

/** `buildx build --builder NAME`: the instance must exist; its last activity is now, and it runs (buildx boots it). */
export function recordBuild(storeRoot: string, name: string): BuilderInstance {
  findBuilder(storeRoot, name)
  return withBuildersLock(storeRoot, () => {
    const b = findBuilder(storeRoot, name)
    touch(storeRoot, builderKey(b.name))
    if (b.name !== DEFAULT_BUILDER && b.status !== 'running') save(storeRoot, { ...b, status: 'running' })
    return findBuilder(storeRoot, b.name)
  })
}
