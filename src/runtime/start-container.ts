/**
 * Run a prepared container to completion: cgroup and writable layer, launch,
 * terminal or inherited stdio, signal forwarding, exit status, teardown.
 */
import { closeSync } from 'node:fs'
import { MiniRunError } from '../errors.js'
import * as native from '../native/lib.js'
import { launch, StepError } from './launch.js'
import {
  closeIdmappedLayers,
  createCgroup,
  createContainerDirs,
  removeCgroup,
  removeContainerDirs,
  type PreparedContainer,
} from './run-container.js'
import { createState, removeState, writeState, type ContainerState } from './state.js'
import { attachTerminal } from './terminal.js'

/** The command could not be executed: Docker's 126 (not executable) or 127 (not found). */
export class ExecError extends MiniRunError {
  readonly exitCode: number
  constructor(message: string, exitCode: number, cause: StepError) {
    super(message, { cause, code: cause.code })
    this.exitCode = exitCode
  }
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']

export interface RunIo {
  /** Fds 0-2 for the container when there is no terminal. */
  stdio: [number, number, number]
  /** Forward the runtime's own signals to the container (the CLI does). */
  forwardSignals?: boolean
}

/** 128+N for a signal, the exit code otherwise (wait(2) status). */
export function exitCodeOf(status: number): number {
  const signal = status & 0x7f
  if (signal === 0) return (status >> 8) & 0xff
  return 128 + signal
}

/**
 * Run the container and resolve to its exit code. A failed start throws a
 * StepError (125) or an ExecError (126/127), after cleaning up.
 */
export async function runPrepared(p: PreparedContainer, io: RunIo, options: { remove: boolean }): Promise<number> {
  let leaf: ReturnType<typeof createCgroup>
  let ptySockets: [number, number] | undefined
  const state: ContainerState = {
    id: p.id,
    name: p.name,
    ...(p.image !== undefined ? { image: p.image } : {}),
    ...(p.chainIds ? { chainIds: p.chainIds } : {}),
    command: p.spec.process.args,
    created: new Date().toISOString(),
    status: 'created',
    ...(p.containerDir ? { containerDir: p.containerDir } : {}),
  }
  createState(p.stateRoot, state)
  let exitCode: number | undefined
  try {
    createContainerDirs(p)
    leaf = createCgroup(p)
    const keepFds: number[] = []
    if (p.pty) {
      ptySockets = native.socketpair()
      keepFds.push(ptySockets[1])
      for (const step of p.plan.steps) if (step.op === 'open_pty') step.socketFd = ptySockets[1]
    }
    if (p.rootfs.kind === 'overlay' && p.rootfs.idmapped) keepFds.push(...p.rootfs.idmapped.fds)
    let launched: ReturnType<typeof launch>
    try {
      launched = launch({
        plan: p.plan,
        stdio: io.stdio,
        ...(leaf ? { cgroupFd: leaf.fd } : {}),
        keepFds,
        ...(p.idMaps ? { idMaps: p.idMaps } : {}),
      })
    } finally {
      closeIdmappedLayers(p)
    }
    const exited = native.waitStatus(launched.pid)
    state.pid = launched.pid
    if (leaf) state.cgroup = leaf.path
    const forward = (signal: NodeJS.Signals) => {
      try {
        process.kill(launched.pid, signal)
      } catch {
        // it exited meanwhile
      }
    }
    if (io.forwardSignals) for (const s of FORWARDED_SIGNALS) process.on(s, forward)
    try {
      let terminal: Awaited<ReturnType<typeof attachTerminal>> | undefined
      if (ptySockets) {
        closeSync(ptySockets[1])
        const sock = ptySockets[0]
        ptySockets = undefined
        // the master arrives before the final execve, or the socket closes on failure
        const master = await native.recvFd(sock).catch(() => undefined)
        closeSync(sock)
        if (master !== undefined) terminal = attachTerminal(master)
      }
      const failure = await launched.started
      if (failure) {
        terminal?.close()
        await exited
        throw execErrorOf(failure) ?? failure
      }
      state.status = 'running'
      writeState(p.stateRoot, state)
      const status = await exited
      await terminal?.finished()
      exitCode = exitCodeOf(status)
      return exitCode
    } finally {
      if (io.forwardSignals) for (const s of FORWARDED_SIGNALS) process.off(s, forward)
    }
  } finally {
    if (ptySockets) for (const fd of ptySockets) closeSync(fd)
    await removeCgroup(p, leaf)
    if (options.remove) {
      removeContainerDirs(p)
      removeState(p.stateRoot, state)
    } else {
      writeState(p.stateRoot, { ...state, status: 'exited', ...(exitCode !== undefined ? { exitCode } : {}) })
    }
  }
}

function execErrorOf(err: StepError): ExecError | undefined {
  if (err.step?.op !== 'exec') return undefined
  const file = err.step.args[0] ?? ''
  if (err.code === 'ENOENT') {
    const what = file.includes('/') ? 'no such file or directory' : 'executable file not found in $PATH'
    return new ExecError(`exec "${file}": ${what}`, 127, err)
  }
  return new ExecError(`exec "${file}": ${native.strerror(err.errno).toLowerCase()}`, 126, err)
}
