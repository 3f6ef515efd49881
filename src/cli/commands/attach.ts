import type { Command } from 'commander'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import { stateRootOf } from '../state-root.js'

export interface AttachFlags {
  stdin: boolean
  detachKeys?: string
  /** undefined: on (--sig-proxy comes first, so commander sets no default) */
  sigProxy?: boolean
}

export function register(program: Command): void {
  program
    .command('attach')
    .description('attach to a running container\'s output and input (its pty with -t), through its monitor')
    .argument('<container>')
    .option('--no-stdin', 'do not attach stdin')
    .option('--detach-keys <keys>', 'the key sequence that detaches (default ctrl-p,ctrl-q)')
    // both spellings, for Docker's --sig-proxy=false (bool-flag-values.ts)
    .option('--sig-proxy', 'pass the signals attach receives on to the container, unless it has a pty (the default)')
    .option('--no-sig-proxy', 'do not pass signals on to the container')
    .action(async (ref: string, flags: AttachFlags, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      await attachTo(stateRoot, findContainer(stateRoot, ref), flags)
    })
}

/** attach's session on one container (compose attach's too); the exit code is the container's, or 0 on a detach. */
export async function attachTo(stateRoot: string, c: ContainerInfo, flags: AttachFlags): Promise<void> {
  const { attachSession, finishSession } = await import('../attach-session.js')
  // stdin goes to a container that has one to give it: a pty, or -i's pipe
  const stdin = flags.stdin && (c.spec?.process.terminal === true || c.startInput?.via.monitor.interactive === true)
  // Docker's attach passes none on to a container with a pty, whatever the flag
  const sigProxy = flags.sigProxy !== false && c.spec?.process.terminal !== true
  const result = await attachSession(stateRoot, c, { stdin, sigProxy, ...(flags.detachKeys !== undefined ? { detachKeys: flags.detachKeys } : {}) })
  process.exitCode = await finishSession(stateRoot, c, result, { reportDetach: true })
}
