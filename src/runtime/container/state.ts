/**
 * Container state on disk: `<stateRoot>/<id>/state.json`, written with write+rename so a reader
 * never sees half a file, and `<stateRoot>/names/<name>`, a symlink to the id whose atomic creation makes names unique.
 *
 * Several mini-run processes act on containers at once. A name is taken
 * under a lock of names/ (flock(2) of the directory), held for the few calls
 * that link it and write the state: a link found there without a state is
 * then a start killed half-way, and is taken over. Whatever acts on one
 * container for longer (rm, settling a container nobody watches) holds the
 * lock of its state directory: a second rm waits, then finds it gone.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { dirLockPath, isRemoved, lockFile, lockFileSync, tryLockFile, type FileLock } from '../../file-lock.js'
import { checkPrivateDir, ensurePrivateDir } from '../../private-dir.js'
import { crashPoint } from '../../crash-point.js'
import type { Spec } from '../spec/spec.js'
import type { NetworkRecord } from '../../network/network-record.js'
import type { StartInput } from './start-input.js'
import type { HealthConfig } from '../health/health-config.js'
import type { V1Leaf } from '../cgroup/cgroup-v1.js'
import { releaseAutoRange } from './userns-ranges.js'
import { stateProblem } from './state-check.js'
import { readConfigOnUse, withoutConfig } from './state-config.js'
import { removeFlatDir } from '../../remove-file.js'
import { withNamesLock } from './names-lock.js'

export { withNamesLock }

export interface ContainerState {
  id: string
  name: string
  image?: string
  /** The image's layers (chain ids): image prune and rmi leave them alone. */
  chainIds?: string[]
  command: string[]
  /** How many of command's words are the entrypoint: inspect's Config.Entrypoint (absent: a state of before it was kept, or 0). */
  entrypointLength?: number
  created: string
  status: 'created' | 'running' | 'exited'
  pid?: number
  /** /proc/<pid>/stat start time: tells the container's pid from a reused one. */
  pidStartTime?: string
  exitCode?: number
  finishedAt?: string
  /** Why its exit code is not its own (Docker's State.Error). */
  error?: string
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
  /**
   * The mini-run process that starts it (and, in the foreground, waits for
   * it and records its exit): once it is gone with the container unstarted
   * or its exit unrecorded, the next command that looks says so and acts
   * (containers.ts).
   */
  runtime?: { pid: number; startTime: string }
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
  /** Docker's MountPoint.Mode by container path, where not "" (spec/volumes.ts dockerMountRecord); absent before it was recorded. */
  mountModes?: Record<string, string>
  /** --tmpfs by container path, its options as given: Docker's HostConfig.Tmpfs, no mount point of Docker's. */
  tmpfs?: Record<string, string>
  /** Its network, as attached (src/network/attach.ts): what inspect, ps and the teardown read. */
  network?: NetworkRecord
  /** The networks its start joins, by name: inspect's NetworkMode and ps's Networks before it has a network record. */
  plannedNetworks?: { mode: 'bridge' | 'pasta'; networks: string[] }
  /** The whole spec, for inspect and exec: in config.json, read when first used (state-config.ts). */
  spec?: Spec
  /** Whether it shares the host's network namespace (from its spec: `ps` shows host or none without reading that). */
  hostNetwork?: boolean
  /** --network container:X: X's id, whose network namespace each start joins (Docker's NetworkMode container:<id>). */
  networkContainer?: string
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
  /** create, and restart policies: what is needed to plan a start again (replan.ts); in config.json, as spec. */
  startInput?: StartInput
  /** How many `update`s changed its limits: a start that planned with fewer writes the stored ones (limits-meanwhile.ts). */
  limitsUpdates?: number
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
  withNamesLock(stateRoot, (names) => {
    for (let attempt = 1; ; attempt++) {
      const link = join(names, state.name)
      let owner: string | undefined
      // a free name, the usual case, without readlink's ENOENT made into an error and caught
      if (lstatSync(link, { throwIfNoEntry: false }) !== undefined) {
        try {
          owner = readlinkSync(link)
        } catch {
          // gone meanwhile: free
        }
      }
      // under the lock a name is linked and its state written at once: a link
      // without a state is a start killed in between, not one in progress
      if (owner !== undefined && !existsSync(join(stateDir(stateRoot, owner), 'state.json'))) {
        unlinkSync(link)
        owner = undefined
      }
      if (owner === undefined) break
      if (!another || attempt > 20) {
        throw new MiniRunError(
          // Docker's words, as rename's (rename-container.ts)
          `Conflict. The container name "/${state.name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
          { code: 'ENAMEINUSE' },
        )
      }
      state.name = another(attempt)
    }
    // the directory before the name: killed between the two, or before the
    // first write, a start leaves a directory without state.json, which the
    // next listing collects with the names pointing to it (state-collect.ts);
    // a name linked first, to no directory, was never collected (names/ stayed)
    mkdirSync(stateDir(stateRoot, state.id), { recursive: true, mode: 0o700 })
    crashPoint('state:before-name')
    symlinkSync(state.id, join(names, state.name))
    crashPoint('state:before-write')
    writeState(stateRoot, state)
  })
}

/** names/ with no name of a container left, under its lock: what a start (or a removal) killed midway left. */
export function collectEmptyNames(stateRoot: string): void {
  try {
    withNamesLock(stateRoot, (names) => {
      for (const name of readdirSync(names)) {
        const link = join(names, name)
        if (!existsSync(stateDir(stateRoot, readlinkSync(link)))) unlinkSync(link)
      }
      rmdirSync(names)
    })
  } catch {
    // another user's, or gone: nothing of ours to collect
  }
}

/**
 * Read, change and write a container's state as one step against every
 * other such update (under the names lock, held for this alone, never while
 * waiting): a mark `stop` or `rm -f` sets while a restart writes the start it
 * made is never lost (test/restart-race.test.ts). ENOENT once it is gone.
 */
export function updateState(stateRoot: string, id: string, change: (state: ContainerState) => ContainerState): ContainerState {
  return withNamesLock(stateRoot, () => {
    const next = change(readState(stateRoot, id))
    writeState(stateRoot, next)
    return next
  })
}

export function writeState(stateRoot: string, state: ContainerState): void {
  // config.json's path as readState spells it: state-config.ts knows the file by that string
  const light = withoutConfig(state, `${stateRoot}/${state.id}/config.json`)
  // it names the container's command, environment and mounts: its owner's alone
  writeFileAtomic(join(stateDir(stateRoot, state.id), 'state.json'), JSON.stringify(light, null, 2) + '\n')
}

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, file)
}

/**
 * The lock of one container (its state directory's), for whatever acts on
 * it for a while; undefined when the container is gone (removed before or
 * while we waited).
 */
export async function lockContainer(stateRoot: string, id: string): Promise<FileLock | undefined> {
  let lock: FileLock
  try {
    lock = await lockFile(dirLockPath(stateDir(stateRoot, id)), 'exclusive')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  if (!isRemoved(lock) && existsSync(join(stateDir(stateRoot, id), 'state.json'))) return lock
  lock.release()
  return undefined
}

/** The container's lock if nobody holds it now; undefined if busy or gone. */
export function tryLockContainer(stateRoot: string, id: string): FileLock | undefined {
  let lock: FileLock | undefined
  try {
    lock = tryLockFile(dirLockPath(stateDir(stateRoot, id)), 'exclusive')
  } catch {
    return undefined
  }
  if (!lock) return undefined
  if (!isRemoved(lock)) return lock
  lock.release()
  return undefined
}

export function readState(stateRoot: string, id: string): ContainerState {
  // joined with slashes, not node:path's join (`ps` reads one per container): the
  // file is the same, and a state whose id is not its directory's name is refused
  const file = `${stateRoot}/${id}/state.json`
  const state = JSON.parse(readFileSync(file, 'utf8')) as unknown
  const problem = stateProblem(state, id)
  if (problem) throw new MiniRunError(`invalid state file ${file}: ${problem}`, { code: 'EBADSTATE' })
  // a state written before config.json holds its spec itself
  if (!('spec' in (state as object))) readConfigOnUse(state as ContainerState, `${stateRoot}/${id}/config.json`)
  return state as ContainerState
}

export { CONTAINER_ID, CONTAINER_NAME, NEW_CONTAINER_NAME, givenContainerName, invalidNameMessage, isNormalAbsolute } from './state-check.js'
export { stateWith } from './state-config.js'

/**
 * A foreground container's state directory holds state.json and config.json
 * alone: unlink them and rmdir, without rmSync's recursive walk (a stat and a readdir per
 * directory, and Node's rimraf loaded on first use: 0.7 ms of a run --rm).
 * Anything else in it (on a bridge its /etc files, netns pin and network
 * lock; a detached container's log, exit.json, its attach socket; a killed
 * writer's tmp file): one readdir, and each unlinked (remove-file.ts), 1 ms
 * less than the walk. Killed half-way, either leaves a directory without
 * state.json, as rmSync could.
 */
function removeStateDir(dir: string): void {
  let walk = false
  try {
    unlinkSync(join(dir, 'state.json'))
    crashPoint('state:half-removed')
    unlinkSync(join(dir, 'config.json'))
  } catch (err) {
    walk = (err as NodeJS.ErrnoException).code !== 'ENOENT'
  }
  if (!walk) {
    try {
      rmdirSync(dir)
      return
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    }
  }
  removeFlatDir(dir)
}

export function removeState(stateRoot: string, state: Pick<ContainerState, 'id' | 'name' | 'usernsSlot'>): void {
  removeStateDir(stateDir(stateRoot, state.id))
  if (state.usernsSlot !== undefined) releaseAutoRange(stateRoot, state.id, state.usernsSlot)
  if (!existsSync(join(stateRoot, 'names'))) return
  withNamesLock(stateRoot, (names) => {
    try {
      if (readlinkSync(join(names, state.name)) === state.id) unlinkSync(join(names, state.name))
    } catch {
      // no such name
    }
    // names/ goes when empty; the state root itself stays: once made and
    // checked it is ours, and a predictable path given up (/tmp/mini-run-UID)
    // could be taken by another user
    try {
      rmdirSync(names)
    } catch {
      // other names remain
    }
  })
}
