import type { Command } from 'commander'
import { eachContainer } from '../each-ref.js'
import { stateRootOf } from '../state-root.js'
import { readStopFlags, stopOptions, type StopFlags } from '../stop-flags.js'
import { writeStdout } from '../write-stdout.js'

export function register(program: Command): void {
  stopOptions(
    program
      .command('restart')
      .description('stop containers (if they run) and start them again')
      .argument('<container...>'),
    { wait: 'for the stop before killing', signal: ' to stop it' },
  ).action(async (refs: string[], flags: StopFlags, cmd: Command) => {
    const { timeout, signal } = await readStopFlags(flags)
    const stateRoot = stateRootOf(cmd)
    const { findContainer } = await import('../../runtime/container/containers.js')
    const { restartByUser } = await import('../../runtime/container/restart-by-user.js')
    await eachContainer(refs, async (ref) => {
      await restartByUser(stateRoot, findContainer(stateRoot, ref), timeout, signal)
      writeStdout(`${ref}\n`)
    })
  })
}
