/**
 * `run -d`: the container outlives the command that started it.
 *
 * Its parent is then mini-run-monitor (native/monitor.c), a small static
 * program like podman's conmon: it clones the container with the same
 * trampoline as a foreground run, reaps it, writes its output as Docker
 * json-file log lines and its exit status to the state directory. This
 * process does the handshake (id maps, sync byte, failure report) exactly as
 * for a foreground run, then leaves.
 */
import { spawn } from 'node:child_process'
import { closeSync, readSync } from 'node:fs'
import { MiniRunError } from '../errors.js'
import * as native from '../native/lib.js'
import { exitFile, logFile } from './containers.js'
import { launch } from './launch.js'
import {
  closeIdmappedLayers,
  createCgroup,
  createContainerDirs,
  removeCgroup,
  removeContainerDirs,
  type PreparedContainer,
} from './run-container.js'
import { initialState, networkHook, recordProcess } from './start-container.js'
import { detachNetwork } from '../network/index.js'
import { execErrorOf } from './supervise.js'
import { createState, removeState, writeState } from './state.js'

export const monitorPath = native.stagePath.replace(/mini-run-stage$/, 'mini-run-monitor')

export interface DetachedOptions {
  /**
   * A command the monitor executes once the container has exited and its
   * exit file is written (argv, argv[0] an absolute path). `run -d` passes
   * `mini-run internal cleanup <id>`: it tears the network down and
   * releases the cgroup, and with --rm (`autoRemove`) removes the container.
   */
  exitCommand?: string[]
  /** run -d --rm: the exit command removes the container too. */
  autoRemove?: boolean
  /**
   * `run -d -i`: the container's stdin is a pipe its monitor holds open,
   * so a shell waits for input instead of reading end of file. (With a pty,
   * `-t`, the terminal is its stdin and stays open anyway.)
   */
  interactive?: boolean
}

/** Start the container under a monitor; resolves to its id once it runs. */
export async function startDetached(p: PreparedContainer, options: DetachedOptions = {}): Promise<string> {
  const state = initialState(p)
  if (options.autoRemove) state.autoRemove = true
  createState(p.stateRoot, state)
  let leaf: ReturnType<typeof createCgroup>
  let started = false
  try {
    createContainerDirs(p)
    leaf = createCgroup(p)
    const keepFds = p.rootfs.kind === 'overlay' && p.rootfs.idmapped ? [...p.rootfs.idmapped.fds] : []
    // -t: the stage sends the pty master on this socket, to the monitor
    const ptySockets = p.pty ? native.socketpair() : undefined
    if (ptySockets) {
      keepFds.push(ptySockets[1])
      for (const step of p.plan.steps) if (step.op === 'open_pty') step.socketFd = ptySockets[1]
    }
    let monitorPid: number | undefined
    let launched: ReturnType<typeof launch>
    try {
      launched = launch({
        plan: p.plan,
        stdio: [0, 1, 2], // unused: the monitor gives the container its own
        ...(leaf ? { cgroupFd: leaf.fd } : {}),
        keepFds,
        ...(p.idMaps ? { idMaps: p.idMaps } : {}),
        ...networkHook(p, state),
        spawnChild: (cloneFlags, fds) => {
          const started = spawnMonitor(p, cloneFlags, fds, {
            ...options,
            ...(ptySockets ? { ptySocket: ptySockets[0] } : {}),
          })
          monitorPid = started.monitorPid
          return started.pid
        },
      })
    } finally {
      closeIdmappedLayers(p)
      // the monitor and the container hold their ends now
      for (const fd of ptySockets ?? []) closeSync(fd)
    }
    recordProcess(state, launched.pid, leaf?.path)
    if (monitorPid !== undefined) state.monitorPid = monitorPid
    const failure = await launched.started
    if (failure) throw execErrorOf(failure) ?? failure
    state.status = 'running'
    writeState(p.stateRoot, state)
    started = true
    return p.id
  } finally {
    if (!started) {
      // A container that never ran leaves nothing behind (its monitor exits
      // with it: the report pipe told us it is gone).
      await removeCgroup(p, leaf!)
      if (p.network) detachNetwork(p.stateRoot, p.id, state.network)
      removeContainerDirs(p)
      removeState(p.stateRoot, state)
    } else if (leaf) {
      closeSync(leaf.fd)
    }
  }
}

/**
 * Start mini-run-monitor with the fds the trampoline needs (they arrive in
 * the monitor as 3, 4, 5... in the order of `fds` below) and read the
 * container's pid from it.
 */
function spawnMonitor(
  p: PreparedContainer,
  cloneFlags: number,
  fds: native.SpawnFds,
  options: DetachedOptions & { ptySocket?: number },
): { pid: number; monitorPid: number } {
  const [pidRead, pidWrite] = native.pipe()
  const passed: number[] = []
  const at = (fd: number) => String(3 + passed.push(fd) - 1)
  const args = [
    '--clone-flags', String(cloneFlags),
    '--cgroup-fd', fds.cgroup >= 0 ? at(fds.cgroup) : '-1',
    '--stage-fd', at(fds.stage),
    '--program-fd', at(fds.program),
    '--sync-fd', at(fds.sync),
    '--report-fd', at(fds.report),
    '--pid-fd', at(pidWrite),
    // the program names keep fds by our numbers: the monitor moves them back (N:M)
    ...fds.keep.flatMap((fd) => ['--keep-fd', `${at(fd)}:${fd}`]),
    '--log', logFile(p.stateRoot, p.id),
    '--exit-file', exitFile(p.stateRoot, p.id),
    ...(options.ptySocket !== undefined ? ['--pty-socket-fd', at(options.ptySocket)] : []),
    ...(options.interactive ? ['--interactive'] : []),
    ...(options.exitCommand ?? []).flatMap((arg, i) => [i === 0 ? '--exit-command' : '--exit-command-arg', arg]),
  ]
  const child = spawn(monitorPath, args, { detached: true, stdio: ['ignore', 'ignore', 'ignore', ...passed] })
  child.unref()
  closeSync(pidWrite)
  try {
    const buf = Buffer.alloc(4)
    let got = 0
    while (got < 4) {
      const n = readSync(pidRead, buf, got, 4 - got, null)
      if (n === 0) throw new MiniRunError(`mini-run-monitor (pid ${child.pid}) exited before starting the container`)
      got += n
    }
    const pid = buf.readInt32LE(0)
    if (pid < 0) throw new native.NativeError('start mini-run-monitor', -pid)
    return { pid, monitorPid: child.pid! }
  } finally {
    closeSync(pidRead)
  }
}
