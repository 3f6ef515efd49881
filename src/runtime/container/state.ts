/**
 * Container state on disk: `<stateRoot>/<id>/state.json`, written with
 * write+rename so a reader never sees half a file, and `<stateRoot>/names/<name>`,
 * a symlink to the id whose atomic creation makes names unique.
 */
import { mkdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, normalize } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { checkPrivateDir, ensurePrivateDir } from '../../private-dir.js'
import type { Spec } from '../spec/spec.js'
import type { NetworkRecord } from '../../network/attach.js'
import type { StartInput } from './start-input.js'
import type { HealthConfig } from '../health/health-config.js'
import type { V1Leaf } from '../cgroup/cgroup-v1.js'
import { releaseAutoRange } from './userns-ranges.js'
import { VOLUME_NAME } from '../spec/volumes.js'

export interface ContainerState {
  id: string
  name: string
  image?: string
  /** The image's layers (chain ids): image prune and rmi leave them alone. */
  chainIds?: string[]
  command: string[]
  created: string
  status: 'created' | 'running' | 'exited'
  pid?: number
  /** /proc/<pid>/stat start time: tells the container's pid from a reused one. */
  pidStartTime?: string
  exitCode?: number
  finishedAt?: string
  /** Set at exit when the cgroup is removed with the process (foreground runs). */
  oomKilled?: boolean
  /** Writable layer and mount point, removed with the container. */
  containerDir?: string
  /** The cgroup v2 leaf, and the hierarchy's mount point. */
  cgroup?: string
  cgroupMount?: string
  /** Its leaves in cgroup v1 hierarchies (a hybrid host: cgroup/cgroup-v1.ts). */
  cgroupV1?: V1Leaf[]
  /** run -d: the monitor process that is the container's parent. */
  monitorPid?: number
  /** run -d --rm: the monitor removes the container when it exits. */
  autoRemove?: boolean
  /** The image's StopSignal, or SIGTERM. */
  stopSignal?: string
  /** --stop-timeout: seconds stop waits by default (Docker: 10). */
  stopTimeout?: number
  /** --userns=auto: the slot of host ids it holds until it is removed (userns-ranges.ts). */
  usernsSlot?: number
  /** run -d: how its monitor rotates container.log (--log-opt, defaults filled in). */
  logConfig?: { type: 'json-file' | 'none'; config: Record<string, string> }
  /** The volumes it mounts (container-volumes.ts): inspect shows them, rm -v removes the anonymous ones. */
  volumes?: { name: string; destination: string }[]
  /** Its network, as attached (src/network/attach.ts): what inspect, ps and the teardown read. */
  network?: NetworkRecord
  /** The whole spec, for inspect and exec. */
  spec?: Spec
  /** Docker's Config.Labels: the image's, then --label's (compose finds its containers by theirs). */
  labels?: Record<string, string>
  /** The image id (its config digest): ps --filter ancestor=, inspect. */
  imageId?: string
  /** --restart: carried out when its monitor reports the exit (restart-policy.ts). */
  restartPolicy?: RestartPolicy
  /** How many times the restart policy started it again (Docker's RestartCount). */
  restartCount?: number
  /** The back-off before the last restart (restart-policy.ts doubles it). */
  restartDelayMs?: number
  /** When its process last started (Docker's State.StartedAt); created is when the container was. */
  startedAt?: string
  /** Stopped or killed by the user: its restart policy does not start it again (Docker's HasBeenManuallyStopped). */
  stoppedByUser?: boolean
  /** create, and restart policies: what is needed to plan a start again (replan.ts). */
  startInput?: StartInput
  /** Its health check, when it has one: a runner records the results in health.json (health/). */
  healthcheck?: HealthConfig
  /** The runner's command (`mini-run internal health ID`), spawned at each start of a detached container. */
  healthRunner?: string[]
}

/** Docker's --restart: no, on-failure[:N], always, unless-stopped. */
export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped'
  /** on-failure:N; 0 means no limit. */
  maximumRetryCount: number
}

export function stateDir(stateRoot: string, id: string): string {
  return join(stateRoot, id)
}

const STATE_ROOT = { mode: 0o700, what: 'state directory' }

/**
 * Whether the state directory exists; throws if it is not safe to trust
 * (another user's, or writable by others: see private-dir.ts).
 */
export function checkStateRoot(stateRoot: string): boolean {
  return checkPrivateDir(stateRoot, STATE_ROOT)
}

/** Make the state directory, or check the one there is (see private-dir.ts). */
export function ensureStateRoot(stateRoot: string): void {
  ensurePrivateDir(stateRoot, STATE_ROOT)
}

/**
 * Reserve the name and write the first state; throws if the name is taken,
 * unless `another` gives a name to try instead (a generated one), which
 * state.name then becomes.
 */
export function createState(stateRoot: string, state: ContainerState, another?: (attempt: number) => string): void {
  ensureStateRoot(stateRoot)
  const names = join(stateRoot, 'names')
  mkdirSync(names, { recursive: true, mode: 0o700 })
  for (let attempt = 1; ; attempt++) {
    try {
      symlinkSync(state.id, join(names, state.name))
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !another || attempt > 20) throw nameTaken(err, names, state.name)
      state.name = another(attempt)
    }
  }
  mkdirSync(stateDir(stateRoot, state.id), { recursive: true, mode: 0o700 })
  writeState(stateRoot, state)
}

function nameTaken(err: unknown, names: string, name: string): Error {
  {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return err as Error
    let owner = '?'
    try {
      owner = readlinkSync(join(names, name))
    } catch {
      // removed meanwhile
    }
    return new MiniRunError(
      `the container name "${name}" is already in use by container ${owner.slice(0, 12)}: remove it or choose another name`,
      { code: 'ENAMEINUSE' },
    )
  }
}

export function writeState(stateRoot: string, state: ContainerState): void {
  const file = join(stateDir(stateRoot, state.id), 'state.json')
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n')
  renameSync(tmp, file)
}

export function readState(stateRoot: string, id: string): ContainerState {
  const file = join(stateDir(stateRoot, id), 'state.json')
  const state = JSON.parse(readFileSync(file, 'utf8')) as unknown
  const problem = stateProblem(state, id)
  if (problem) throw new MiniRunError(`invalid state file ${file}: ${problem}`, { code: 'EBADSTATE' })
  return state as ContainerState
}

export const CONTAINER_ID = /^[0-9a-f]{64}$/
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/**
 * What is wrong with a state read from disk, or undefined. rm deletes
 * containerDir and the cgroup, kill signals pid: a state file must not be
 * able to point them anywhere but at its own container's things.
 */
function stateProblem(s: unknown, id: string): string | undefined {
  if (typeof s !== 'object' || s === null) return 'not an object'
  const st = s as Record<string, unknown>
  if (st.id !== id || !CONTAINER_ID.test(id)) return `id ${JSON.stringify(st.id)} is not its directory's name`
  if (typeof st.name !== 'string' || !CONTAINER_NAME.test(st.name)) return `bad name ${JSON.stringify(st.name)}`
  if (!['created', 'running', 'exited'].includes(st.status as string)) return `bad status ${JSON.stringify(st.status)}`
  for (const key of ['pid', 'monitorPid'] as const) {
    if (st[key] !== undefined && !(Number.isInteger(st[key]) && (st[key] as number) > 0)) return `bad ${key}`
  }
  if (st.usernsSlot !== undefined && !(Number.isInteger(st.usernsSlot) && (st.usernsSlot as number) >= 0)) return 'bad usernsSlot'
  if (st.pidStartTime !== undefined && !(typeof st.pidStartTime === 'string' && /^\d+$/.test(st.pidStartTime))) return 'bad pidStartTime'
  // rm -v removes volumes by these names: a name is one path component
  const volumeOk = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && VOLUME_NAME.test((v as { name: string }).name)
  if (st.volumes !== undefined && !(Array.isArray(st.volumes) && st.volumes.every(volumeOk))) return 'bad volumes'
  // <store>/containers/<id>, and the cgroup leaf <mount>/<parent...>/<id>
  if (st.containerDir !== undefined && !ownPath(st.containerDir, id, 'containers')) return `containerDir ${JSON.stringify(st.containerDir)} is not containers/${id.slice(0, 12)}...`
  if (st.cgroupMount !== undefined && !(typeof st.cgroupMount === 'string' && isAbsolute(st.cgroupMount) && normalize(st.cgroupMount) === st.cgroupMount)) return 'bad cgroupMount'
  if (st.cgroup !== undefined && !(ownPath(st.cgroup, id) && typeof st.cgroupMount === 'string' && (st.cgroup as string).startsWith(st.cgroupMount + '/'))) {
    return `cgroup ${JSON.stringify(st.cgroup)} is not a leaf named after the container`
  }
  const v1Ok = (l: unknown) => {
    if (typeof l !== 'object' || l === null) return false
    const { controller, path, base } = l as V1Leaf
    return typeof controller === 'string' && ownPath(path, id) && (base === undefined || (typeof base === 'string' && path.startsWith(base + '/')))
  }
  if (st.cgroupV1 !== undefined && !(Array.isArray(st.cgroupV1) && st.cgroupV1.every(v1Ok))) return 'bad cgroupV1: each leaf must be named after the container'
  return undefined
}

/** An absolute, normalized path ending in `<parent>/<id>` (any parent if none is given). */
function ownPath(path: unknown, id: string, parent?: string): boolean {
  if (typeof path !== 'string' || !isAbsolute(path) || normalize(path) !== path || basename(path) !== id) return false
  return parent === undefined || basename(dirname(path)) === parent
}

export function removeState(stateRoot: string, state: Pick<ContainerState, 'id' | 'name' | 'usernsSlot'>): void {
  rmSync(stateDir(stateRoot, state.id), { recursive: true, force: true })
  if (state.usernsSlot !== undefined) releaseAutoRange(stateRoot, state.id, state.usernsSlot)
  try {
    if (readlinkSync(join(stateRoot, 'names', state.name)) === state.id) unlinkSync(join(stateRoot, 'names', state.name))
  } catch {
    // no such name
  }
  // names/ goes when empty; the state root itself stays: once made and
  // checked it is ours, and a predictable path given up (/tmp/mini-run-UID)
  // could be taken by another user
  try {
    rmdirSync(join(stateRoot, 'names'))
  } catch {
    // other names remain
  }
}
