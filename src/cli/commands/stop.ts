import type { Command } from 'commander'
import { eachContainerAtOnce } from '../each-ref.js'
import { stateRootOf } from '../state-root.js'
import { readStopFlags, stopOptions, type StopFlags } from '../stop-flags.js'

export function register(program: Command): void {
  stopOptions(
    program
      .command('stop')
      .description('stop containers: their StopSignal (or SIGTERM), then SIGKILL to the whole cgroup after the timeout')
      .argument('<container...>'),
    { wait: 'before killing', signal: '' },
  ).action(async (refs: string[], flags: StopFlags, cmd: Command) => {
    const { timeout, signal } = await readStopFlags(flags)
    const stateRoot = stateRootOf(cmd)
    const { findContainer } = await import('../../runtime/container/containers.js')
    const { stopContainer } = await import('../../runtime/container/stop-container.js')
    await eachContainerAtOnce(refs, async (ref) => {
      await stopContainer(stateRoot, findContainer(stateRoot, ref), timeout, signal)
    }, { idOf: (ref) => findContainer(stateRoot, ref).id })
  })
}
