/**
 * RUN: the command in a real mini-run container of the stage's image so
 * far, through the run path itself (prepareContainer, runPrepared): the
 * same namespaces, capabilities, seccomp filter and cgroup as `mini-run
 * run`, network "none" unless the build says otherwise. Its writable layer
 * (the overlay's upper directory) is what the step changed; the caller
 * makes it a layer, then the container is removed.
 *
 * A failing command, a failed start or an interruption (the signal is
 * aborted on Ctrl-C: the container's PID 1 is sent SIGKILL, which ends its
 * whole PID namespace) all leave nothing behind: the container, its
 * writable layer, its cgroup and its state go in every case.
 */
import { closeSync, openSync, statfsSync } from 'node:fs'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { isRoot } from '../paths.js'
import { currentRootlessIds } from '../rootless/subordinate-ids.js'
import * as processCalls from '../native/process-calls.js'
import { prepareContainer } from '../runtime/container/prepare.js'
import type { PreparedContainer, ResolvedImageLike } from '../runtime/container/run-options.js'
import { inspectState } from '../runtime/container/containers.js'
import { removeContainer } from '../runtime/container/remove-container.js'
import { readState } from '../runtime/container/state.js'
import { runPrepared } from '../runtime/container/run-foreground.js'
import type { VolumeFlags } from '../runtime/spec/volumes.js'

/** Where a RUN's output goes: inherited fds, or a callback (for a progress display or -q). */
export type RunOutput = { fds: [number, number] } | { onData: (chunk: Buffer) => void }

export interface RunStepInput {
  storeRoot: string
  stateRoot: string
  cgroupParent?: string
  /** The image to run in: its id (a label), config and layers. */
  image: ResolvedImageLike
  argv: string[]
  /** Build arguments in scope, as environment (the image's Env comes with it). */
  env: string[]
  /** Secrets given as env=: in the command's environment, never in the container's recorded spec (RunOptions.startEnv). */
  secretEnv?: string[]
  user?: string
  workdir?: string
  network: string
  /** --add-host NAME:IP, --shm-size (bytes), --ulimit NAME=SOFT[:HARD]: the build's, for every RUN. */
  addHosts?: string[]
  shmSize?: number
  ulimits?: string[]
  volumes: VolumeFlags
  output: RunOutput
  signal?: AbortSignal
}

/** A command that ran and exited non-zero: the build stops with its code. */
export class RunFailedError extends MiniRunError {
  override name = 'RunFailedError'
  readonly exitCode: number
  constructor(message: string, exitCode: number, cause?: unknown) {
    super(message, { code: 'ERUNFAILED', cause })
    this.exitCode = exitCode
  }
}

/** The build was interrupted (SIGINT/SIGTERM): exit 130, as a shell does. */
export class BuildInterruptedError extends MiniRunError {
  override name = 'BuildInterruptedError'
  readonly exitCode = 130
  constructor() {
    super('build interrupted', { code: 'EINTERRUPTED' })
  }
}

export interface RunStepResult {
  /** The container's writable layer, with the mount points it made (upper-blob.ts takes them out). */
  upperDir: string
  mountTargets: string[]
  /** Remove the container (always call it, once the layer is taken). */
  remove(): Promise<void>
}

/**
 * A RUN runs as root, or as an ordinary user with subordinate ids: its
 * container is a rootless one, and its layer is made in the user's
 * namespace (upper-blob.ts), as podman's builds. With the user's own id
 * alone, the command's chown and its other users could not be kept.
 */
export function requireRootForRun(): void {
  if (isRoot()) return
  const ids = currentRootlessIds()
  if (ids.kind === 'subordinate') return
  throw new MiniRunError(`RUN steps as an ordinary user need subordinate ids, as podman's builds do (${ids.why}; usermod --add-subuids and --add-subgids give a range), or run mini-run build as root`, { code: 'EROOTLESS' })
}

export async function runStep(input: RunStepInput): Promise<RunStepResult> {
  input.signal?.throwIfAborted()
  requireRootForRun()
  const prepared = await prepareContainer({
    image: input.image.name,
    command: input.argv,
    entrypoint: '',
    env: input.env,
    ...(input.secretEnv?.length ? { startEnv: input.secretEnv } : {}),
    ...(input.user ? { user: input.user } : {}),
    ...(input.workdir ? { workdir: input.workdir } : {}),
    network: input.network,
    ...(input.addHosts?.length ? { networkFlags: { addHost: input.addHosts } } : {}),
    ...(input.shmSize !== undefined ? { shmSize: input.shmSize } : {}),
    ...(input.ulimits?.length ? { ulimits: input.ulimits } : {}),
    volumes: input.volumes,
    storeRoot: input.storeRoot,
    stateRoot: input.stateRoot,
    ...(input.cgroupParent !== undefined ? { cgroupParent: input.cgroupParent } : {}),
    resolveImage: async () => input.image,
  })
  const remove = () => removeBuildContainer(input.stateRoot, prepared)
  let exitCode: number
  try {
    exitCode = await runWithOutput(prepared, input.output, input.signal)
  } catch (err) {
    await remove()
    if (input.signal?.aborted) throw new BuildInterruptedError()
    const code = (err as { exitCode?: unknown }).exitCode
    throw new RunFailedError(`the command could not start: ${(err as Error).message}`, typeof code === 'number' ? code : 125, err)
  }
  if (input.signal?.aborted) {
    await remove()
    throw new BuildInterruptedError()
  }
  if (exitCode !== 0) {
    // its writes go to the store's file system: when that is full, the
    // command's own error says only "I/O error" or "No space left on device"
    const full = storeIsFull(input.storeRoot)
    await remove()
    throw new RunFailedError(`the command exited with code ${exitCode}${full ? `; no space left on the device of ${input.storeRoot}` : ''}`, exitCode)
  }
  // the mount points the container made are taken out when the layer is made (upper-blob.ts)
  return { upperDir: join(prepared.containerDir!, 'upper'), mountTargets: prepared.spec.mounts.map((m) => m.destination), remove }
}

async function runWithOutput(prepared: PreparedContainer, output: RunOutput, signal: AbortSignal | undefined): Promise<number> {
  const stdin = openSync('/dev/null', 'r')
  let pipe: [number, number] | undefined
  let reader: Promise<void> | undefined
  let killer: ReturnType<typeof setInterval> | undefined
  const onAbort = () => {
    // until the state names its pid, the container is not started yet: try again shortly
    const tryKill = () => {
      try {
        const pid = readState(prepared.stateRoot, prepared.id).pid
        if (pid !== undefined) process.kill(pid, 'SIGKILL')
      } catch {
        // gone, or not there yet
      }
    }
    tryKill()
    killer = setInterval(tryKill, 50)
  }
  try {
    let stdio: [number, number, number]
    if ('fds' in output) stdio = [stdin, output.fds[0], output.fds[1]]
    else {
      pipe = processCalls.pipe()
      const socket = new Socket({ fd: pipe[0], readable: true, writable: false })
      socket.on('data', output.onData)
      reader = new Promise((resolve) => socket.on('close', () => resolve()))
      stdio = [stdin, pipe[1], pipe[1]]
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted) onAbort()
    return await runPrepared(prepared, { stdio }, { remove: false })
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (killer) clearInterval(killer)
    closeSync(stdin)
    // the container's processes are gone: closing our write end gives the reader its end of file
    if (pipe) closeSync(pipe[1])
    await reader
  }
}

async function removeBuildContainer(stateRoot: string, prepared: PreparedContainer): Promise<void> {
  let state
  try {
    state = readState(stateRoot, prepared.id)
  } catch {
    return
  }
  await removeContainer(stateRoot, inspectState(stateRoot, state), true)
}

/** No block left for an unprivileged write on the store's file system. */
function storeIsFull(storeRoot: string): boolean {
  try {
    return statfsSync(storeRoot).bavail === 0
  } catch {
    return false
  }
}
