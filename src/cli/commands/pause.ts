import type { Command } from 'commander'
import { eachContainerAtOnce } from '../each-ref.js'
import { stateRootOf } from '../state-root.js'

function verb(program: Command, name: 'pause' | 'unpause', description: string): void {
  program
    .command(name)
    .description(description)
    .argument('<container...>')
    .action(async (refs: string[], _flags: unknown, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { pauseContainer, unpauseContainer } = await import('../../runtime/container/pause-container.js')
      await eachContainerAtOnce(refs, async (ref) => {
        const c = findContainer(stateRoot, ref)
        await (name === 'pause' ? pauseContainer(c, stateRoot) : unpauseContainer(c, stateRoot))
      }, { idOf: (ref) => findContainer(stateRoot, ref).id })
    })
}

export function register(program: Command): void {
  verb(program, 'pause', 'freeze every process of containers (the cgroup v2 freezer)')
}

export function registerUnpause(program: Command): void {
  verb(program, 'unpause', 'thaw paused containers')
}
