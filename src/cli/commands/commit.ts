import type { Command } from 'commander'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { writeStdout } from '../write-stdout.js'

export interface CommitFlags {
  message?: string
  author?: string
  change?: string[]
  pause?: boolean
}

export function register(program: Command): void {
  program
    .command('commit')
    .description("make an image of a container: its image plus one layer, the container's writable layer (its overlay's upper directory)")
    .argument('<container>')
    .argument('[repository[:tag]]')
    .option('-m, --message <text>', 'the commit message (the history entry\'s comment)')
    .option('-a, --author <name>', 'the image\'s author, e.g. "Jane Doe <jane@example.com>"')
    .option('-c, --change <instruction>', 'a Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('-p, --pause', 'pause a running container during the commit (the default)')
    .option('--no-pause', 'do not pause it (refused for a running container: its files could be swapped for links to the host while they are read)')
    .action(async (ref: string, target: string | undefined, flags: CommitFlags, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const id = await commitOne({ storeRoot: globalOptions(cmd).root ?? defaultStoreRoot(), stateRoot }, findContainer(stateRoot, ref), target, flags)
      writeStdout(`${id}\n`)
    })
}

/** commit of one container (compose commit's too), with Docker's commit event; the new image's id. */
export async function commitOne(roots: { storeRoot: string; stateRoot: string }, c: ContainerInfo, target: string | undefined, flags: CommitFlags): Promise<string> {
  const { parseReference } = await import('../../image/reference.js')
  const names = target === undefined ? [] : [parseReference(target).name]
  const { commitContainer } = await import('../../writable-layer/commit-container.js')
  const { id } = await commitContainer(c, {
    ...roots,
    names,
    changes: flags.change ?? [],
    ...(flags.message !== undefined ? { message: flags.message } : {}),
    ...(flags.author !== undefined ? { author: flags.author } : {}),
    pause: flags.pause !== false,
  })
  const { containerEvent } = await import('../../events/container-events.js')
  // Docker's commit event: the container's, naming the image made
  containerEvent(roots.stateRoot, 'commit', c, { comment: flags.message ?? '', imageID: id, ...(names[0] !== undefined ? { imageRef: names[0] } : {}) })
  return id
}
