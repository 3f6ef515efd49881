/**
 * Container state on disk: `<stateRoot>/<id>/state.json`, written with
 * write+rename so a reader never sees half a file, and `<stateRoot>/names/<name>`,
 * a symlink to the id whose atomic creation makes names unique.
 */
import { mkdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import type { Spec } from './spec.js'

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
  /** run -d: the monitor process that is the container's parent. */
  monitorPid?: number
  /** run -d --rm: the monitor removes the container when it exits. */
  autoRemove?: boolean
  /** The image's StopSignal, or SIGTERM. */
  stopSignal?: string
  /** --stop-timeout: seconds stop waits by default (Docker: 10). */
  stopTimeout?: number
  /** run -d: how its monitor rotates container.log (--log-opt, defaults filled in). */
  logConfig?: { type: 'json-file'; config: Record<string, string> }
  /** The whole spec, for inspect and exec. */
  spec?: Spec
}

export function stateDir(stateRoot: string, id: string): string {
  return join(stateRoot, id)
}

/** Reserve the name and write the first state; throws if the name is taken. */
export function createState(stateRoot: string, state: ContainerState): void {
  const names = join(stateRoot, 'names')
  mkdirSync(names, { recursive: true, mode: 0o700 })
  try {
    symlinkSync(state.id, join(names, state.name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    let owner = '?'
    try {
      owner = readlinkSync(join(names, state.name))
    } catch {
      // removed meanwhile
    }
    throw new MiniRunError(
      `the container name "${state.name}" is already in use by container ${owner.slice(0, 12)}: remove it or choose another name`,
      { code: 'ENAMEINUSE' },
    )
  }
  mkdirSync(stateDir(stateRoot, state.id), { recursive: true, mode: 0o700 })
  writeState(stateRoot, state)
}

export function writeState(stateRoot: string, state: ContainerState): void {
  const file = join(stateDir(stateRoot, state.id), 'state.json')
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n')
  renameSync(tmp, file)
}

export function readState(stateRoot: string, id: string): ContainerState {
  return JSON.parse(readFileSync(join(stateDir(stateRoot, id), 'state.json'), 'utf8')) as ContainerState
}

export function removeState(stateRoot: string, state: Pick<ContainerState, 'id' | 'name'>): void {
  rmSync(stateDir(stateRoot, state.id), { recursive: true, force: true })
  try {
    if (readlinkSync(join(stateRoot, 'names', state.name)) === state.id) unlinkSync(join(stateRoot, 'names', state.name))
  } catch {
    // no such name
  }
  // leave no empty directories behind
  for (const dir of [join(stateRoot, 'names'), stateRoot]) {
    try {
      rmdirSync(dir)
    } catch {
      break
    }
  }
}
