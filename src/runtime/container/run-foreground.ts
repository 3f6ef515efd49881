/**
 * `mini-run run` in the foreground: start the container, stay with it until
 * it exits, then give back its cgroup and, with --rm, everything else.
 *
 * A container whose start fails (a step, or its command not found) leaves
 * nothing behind, with or without --rm: without a daemon there is nobody to
 * show a Created container to (issue 13's rule, the same for run -d).
 */
import { containerOomKilled } from './container-cgroups.js'
import type { Host } from '../process/host.js'
import { HANGUP_WATCH_AFTER_MS, holdSignals, superviseProcess, type HeldSignals } from '../process/supervise.js'
import { noteLinks } from './container-links.js'
import { realHost } from './real-host.js'
import type { PreparedContainer } from './run-options.js'
import { abandonStart, startContainer } from './start.js'
import { readState, removeState, type ContainerState } from './state.js'
import { writeKeepingUpdates } from './limits-meanwhile.js'
import { destroyV1Leaf } from '../cgroup/cgroup-v1.js'
import type { NetworkRecord } from '../../network/attach.js'
import { netnsPin } from '../../network/netns-pin.js'
import { existsSync, renameSync } from 'node:fs'
import { tmpPath } from '../../image/tmp-name.js'
import { removeAfterExit } from '../../native/process-calls.js'
import type { Resources } from '../process/resources.js'
import { crashPoint, pausePoint } from '../../crash-point.js'
import { isoTime } from '../../iso-time.js'
import { containerEvent } from '../../events/container-events.js'
import { volumeMountEvents, volumeUnmountEvents } from './container-volumes.js'

export interface RunIo {
  /** Fds 0-2 for the container when there is no terminal. */
  stdio: [number, number, number]
  /** Forward the runtime's own signals to the container (the CLI does), and end it when the runtime's terminal hangs up. */
  forwardSignals?: boolean
  /** With forwardSignals: the runtime's signals go here, not to the container (run --sig-proxy=false). */
  ownSignal?: (signal: NodeJS.Signals) => void
  /** -t without -i: the container's terminal gets no input. Default true. */
  interactive?: boolean
  /** -t with run -a not naming stdout: the terminal's output is not shown (without -t, stdio says where output goes). Default true. */
  output?: boolean
  host?: Host
}

/**
 * Run the container and resolve to its exit code. A failed start throws a
 * StepError (125) or an ExecError (126/127), after cleaning up.
 */
export async function runPrepared(p: PreparedContainer, io: RunIo, options: { remove: boolean; layerAfterExit?: boolean }): Promise<number> {
  if (p.detached) throw new TypeError('runPrepared runs a container in the foreground: this one was prepared with detach')
  const host = io.host ?? realHost
  // --rm is recorded: if this runtime is killed, the next command that looks removes it
  let held: HeldSignals | undefined
  let started: Awaited<ReturnType<typeof startContainer>>
  try {
    // held from after the record (which may wait for a prune's lock: a ^C
    // there still ends the runtime) until supervised (supervise.ts says why)
    started = await startContainer(p, host, io.stdio, { autoRemove: options.remove, ...(io.forwardSignals && { beforeLaunch: () => (held = holdSignals()) }) })
  } catch (err) {
    held?.release()
    throw err
  }
  const { launched, state } = started
  // its health check, as a detached one's: a runner of its own while it runs
  const health = state.healthRunner ? await import('../health/runner-process.js') : undefined
  health?.startHealthRunner(p.stateRoot, state)
  let exitCode: number
  // process.hrtime, not performance.now: the global's first use loads perf_hooks (nine modules, 1.4 ms of a run)
  const running = process.hrtime.bigint()
  try {
    exitCode = await superviseProcess(launched, host, {
      forwardSignals: io.forwardSignals === true,
      ...(held && { held }),
      ...(io.ownSignal && { ownSignal: io.ownSignal }),
      input: io.interactive !== false,
      output: io.output !== false,
      // With --rm no reader needs the word: a live process is "running" by
      // its pid and start time, written at the clone (containers.ts,
      // inspectState), and a --rm container is removed after it, whether it
      // exits or its runtime is killed. Without --rm the state says that it
      // ran: the exit of a container whose runtime was killed is recorded as
      // unknown, not taken for a failed start (1 ms of a run --rm).
      onRunning: () => {
        if (!options.remove) {
          state.status = 'running'
          writeStateIfThere(p.stateRoot, state)
        }
        volumeMountEvents(p.stateRoot, state)
        containerEvent(p.stateRoot, 'start', state)
        noteLinks(p.stateRoot, p.id, p.name, p.startInput.network)
      },
    })
  } catch (err) {
    health?.stopHealthRunner(p.stateRoot, state.id)
    await abandonStart(p, started)
    throw err
  }
  crashPoint('run:after-exit')
  // it leaves with its container anyway; gone before the state is
  health?.stopHealthRunner(p.stateRoot, state.id)
  if (options.remove) pausePoint('run:removing')
  const res = launched.resources
  res.closeFds()
  // --rm: the writable layer goes on a thread of its own while the rest goes
  // back here; a run of a moment's on this one (supervise.ts, HANGUP_WATCH_AFTER_MS)
  // (the CLI, whose process ends with the run: set aside now, removed after the exit)
  const layerGone = options.remove
    ? ((options.layerAfterExit && setLayerAside(p, res)) || res.removeDirsInThread({ here: process.hrtime.bigint() - running < BigInt(HANGUP_WATCH_AFTER_MS) * 1_000_000n }))
    : undefined
  layerGone?.catch(() => undefined) // awaited below, unless the detach throws first
  // a rename while it ran (rename-container.ts) is the state's: the name it is
  // recorded by, or whose names/ entry --rm removes, is the one it has now
  // and so are v1 leaves an update made while it ran (a limit of a controller v1 holds)
  Object.assign(state, recordedNow(p.stateRoot, state))
  // a stopped container holds no address, port or rule, as in Docker; what they were stays for inspect
  const current = connectedMeanwhile(p.stateRoot, state)
  // Docker's oom comes before the die (the kernel's event, while the container is still being reaped)
  if (state.cgroup || state.cgroupV1) state.oomKilled = containerOomKilled(state)
  if (state.oomKilled) containerEvent(p.stateRoot, 'oom', state)
  try {
    res.detachNetwork(current)
  } finally {
    // as Docker's daemon: the networks' disconnects and the volumes' unmounts, then the die
    volumeUnmountEvents(p.stateRoot, state)
    containerEvent(p.stateRoot, 'die', state, { exitCode: String(exitCode) })
  }
  if (state.network) state.network = { ...(current ?? state.network), detached: true }
  try {
    await res.removeCgroup()
    for (const leaf of state.cgroupV1 ?? []) if (!p.cgroupV1?.some((l) => l.path === leaf.path)) await destroyV1Leaf(leaf.path, leaf.base)
  } finally {
    if (options.remove) {
      // --rm: its anonymous volumes go too, as in Docker; the state last, once the rest is gone
      res.releaseVolumes()
      await layerGone
      removeState(p.stateRoot, state)
      containerEvent(p.stateRoot, 'destroy', state)
    } else {
      writeStateIfThere(p.stateRoot, { ...state, status: 'exited', exitCode, finishedAt: isoTime() })
    }
  }
  return exitCode
}

/**
 * A --rm container's writable layer, out of the way at once: renamed into
 * the store's tmp/ under this process's name and removed beside the
 * process's exit by its exit's helper (process-calls.ts removeAfterExit), off
 * the user's path: its directories cost 0.2-0.9 ms each on an ext4 mounted
 * with discard. A store collects an entry of a process gone (store-tmp.ts),
 * should the removal never come. Root's only: a rootless layer may hold
 * files of the user's subordinate ids, which only its user namespace can
 * remove. Undefined (remove it now) when it cannot be renamed.
 */
function setLayerAside(p: PreparedContainer, res: Resources): Promise<void> | undefined {
  const layer = res.dirs[0]
  if (layer === undefined || layer !== p.containerDir || process.getuid?.() !== 0) return undefined
  const aside = tmpPath(`${p.storeRoot}/tmp`, 'removed')
  try {
    renameSync(layer, aside)
  } catch {
    return undefined
  }
  res.dirs.splice(0)
  try {
    removeAfterExit(aside)
  } catch {
    // a library without the call: the entry stays in tmp/ under this process's name, for the store to collect
  }
  return Promise.resolve()
}

/**
 * The network record as the state has it now, when `network connect` may
 * have added networks while the container ran (its record is what the
 * teardown must undo): connect pins the namespace of a container on
 * mini-run's own veth, and netavark's path has a pin anyway. Undefined when
 * the record this runtime holds is the whole of it.
 */
function connectedMeanwhile(stateRoot: string, state: ContainerState): NetworkRecord | undefined {
  const record = state.network
  if (record?.mode !== 'bridge' || (record.veth !== undefined && !existsSync(netnsPin(stateRoot, state.id)))) return undefined
  try {
    return readState(stateRoot, state.id).network
  } catch {
    return undefined
  }
}

function recordedNow(stateRoot: string, state: ContainerState): Pick<ContainerState, 'name' | 'cgroupV1'> {
  try {
    const now = readState(stateRoot, state.id)
    return { name: now.name, cgroupV1: now.cgroupV1 }
  } catch {
    // removed meanwhile (an rm -f): nothing to record under any name
    return { name: state.name, cgroupV1: state.cgroupV1 }
  }
}

/** An `rm -f` may have removed the container while it ran: then there is nothing to record. An update's fields are kept as it left them. */
function writeStateIfThere(stateRoot: string, state: ContainerState): void {
  try {
    writeKeepingUpdates(stateRoot, state)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
