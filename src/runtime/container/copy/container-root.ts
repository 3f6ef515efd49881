/**
 * The root directory of a container, as an O_PATH fd that `cp` resolves
 * every path in (openat2 RESOLVE_IN_ROOT: a symlink, absolute or with
 * "..", cannot lead out of it, CVE-2018-15664's class of escape).
 *
 * A running container: /proc/<pid>/root of its own process (checked through
 * a pidfd, container-process.ts), which shows its mount namespace: volumes,
 * tmpfs and all. One that does not run: a view made for the copy
 * (plan/plan-view.ts) of its root filesystem and bind mounts, gone when
 * released.
 */
import { closeSync, constants, openSync } from 'node:fs'
import { MiniRunError } from '../../../errors.js'
import { isRoot } from '../../../paths.js'
import { findProgram } from '../../../rootless/subordinate-ids.js'
import { planRootfsView } from '../../plan/plan-view.js'
import { openContainerProcess, openProcessRoot, signalProcess } from '../../process/container-process.js'
import type { Host } from '../../process/host.js'
import { runHostSteps } from '../../process/run-host-steps.js'
import type { ContainerInfo } from '../containers.js'
import { containerPathKind } from '../prepare.js'
import { realHost } from '../real-host.js'

/** open(2)'s O_PATH (asm-generic/fcntl.h), which Node's fs.constants lacks. */
const O_PATH = 0o10000000

export interface ContainerRoot {
  fd: number
  /** With { userns: true }: the user namespace the root is seen from (the container's own, or the view's). */
  userns?: number
  release(): Promise<void>
}

export interface RootOptions {
  /** Open the user namespace too (copy-in-userns.ts joins it). */
  userns?: boolean
}

/** /proc/PID/ns/user of a process known to be alive. */
function openUserns(pid: number): number {
  return openSync(`/proc/${pid}/ns/user`, 'r')
}

async function runningRoot(c: ContainerInfo, o: RootOptions): Promise<ContainerRoot | undefined> {
  const pidfd = openContainerProcess(c)
  if (pidfd === undefined) return undefined
  try {
    const fd = openProcessRoot(pidfd, c.pid!)
    if (fd === undefined) return undefined
    let userns: number | undefined
    try {
      userns = o.userns ? openUserns(c.pid!) : undefined
    } catch {
      userns = undefined
    }
    // both opened while the pidfd says the process lives: the pid was not another's meanwhile
    if (o.userns && (userns === undefined || !signalProcess(pidfd, 0))) {
      closeSync(fd)
      if (userns !== undefined) closeSync(userns)
      return undefined
    }
    return rootOf(fd, userns, async () => undefined)
  } finally {
    closeSync(pidfd)
  }
}

async function viewRoot(c: ContainerInfo, host: Host, o: RootOptions): Promise<ContainerRoot> {
  // a created one (create --rm) has not run: it goes after its start's exit, and cp may fill it first, as Docker's
  if (c.autoRemove && c.status !== 'created') throw new MiniRunError(`container ${c.id.slice(0, 12)} is marked for removal (run --rm): its files are being removed`, { code: 'EREMOVING' })
  if (!c.spec || !c.startInput) throw new MiniRunError(`container ${c.id.slice(0, 12)} does not record its root filesystem (removed meanwhile, or made by an older mini-run)`)
  // the network's /etc files exist only while it is attached: the image's own show instead
  const networkFiles = new Set(Object.values(c.startInput.network?.files ?? {}))
  const spec = { ...c.spec, mounts: c.spec.mounts.filter((m) => !(m.source && networkFiles.has(m.source))) }
  // maps of more than the caller's own ids (a subordinate range) are newuidmap's and newgidmap's to write, as at the start
  const ranged = !isRoot() && ((spec.linux.uidMappings?.length ?? 0) > 1 || (spec.linux.gidMappings?.length ?? 0) > 1)
  const newuidmap = ranged ? findProgram('newuidmap') : undefined
  const newgidmap = ranged ? findProgram('newgidmap') : undefined
  const plan = planRootfsView({
    spec, rootfs: c.startInput.rootfs, pathKind: containerPathKind(c.startInput.network), userns: !isRoot(),
    ...(newuidmap && newgidmap && { idMapHelpers: { newuidmap, newgidmap } }),
  })
  const stdio: [number, number, number] = [openSync('/dev/null', 'r'), openSync('/dev/null', 'w'), openSync('/dev/null', 'w')]
  let launched: Awaited<ReturnType<typeof runHostSteps>>
  try {
    launched = await runHostSteps(plan, host, { stdio })
  } finally {
    for (const fd of stdio) closeSync(fd)
  }
  const failure = await launched.started.catch((err: unknown) => err as Error)
  const kill = async () => {
    try {
      host.kill(launched.pid, 'SIGKILL')
    } catch {
      // gone already
    }
    const { waitStatus } = await import('../../../native/process-calls.js')
    await waitStatus(launched.pid)
    launched.resources.closeFds()
  }
  if (failure) {
    await kill()
    throw new MiniRunError(`mount the files of container ${c.id.slice(0, 12)} to copy them: ${failure.message}`, { cause: failure })
  }
  let fd: number
  try {
    // the view's own root is the host's; the container's is where its spec mounted it
    fd = openSync(`/proc/${launched.pid}/root${c.spec.root.path}`, O_PATH | constants.O_DIRECTORY)
  } catch (err) {
    await kill()
    throw err
  }
  let userns: number | undefined
  try {
    userns = o.userns ? openUserns(launched.pid) : undefined
  } catch (err) {
    closeSync(fd)
    await kill()
    throw err
  }
  return rootOf(fd, userns, kill)
}

/** The root and its namespace's fds, closed on release, then `after` (the view's end). */
function rootOf(fd: number, userns: number | undefined, after: () => Promise<void>): ContainerRoot {
  return {
    fd,
    ...(userns !== undefined && { userns }),
    release: async () => {
      closeSync(fd)
      if (userns !== undefined) closeSync(userns)
      await after()
    },
  }
}

/** The container's root, running or not. Release it when done. */
export async function openContainerRoot(c: ContainerInfo, o: RootOptions = {}, host: Host = realHost): Promise<ContainerRoot> {
  if (c.status === 'running') {
    const root = await runningRoot(c, o)
    if (root) return root
    // it exited since we looked: its files are where they were
  }
  return viewRoot(c, host, o)
}
