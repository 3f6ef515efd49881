import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { writeStdout } from '../write-stdout.js'

export type ObjectType = 'container' | 'image' | 'network' | 'volume'
/** Docker's order (docker/cli system/inspect.go): a name that is both a container and a network is the container. */
const TYPES: ObjectType[] = ['container', 'image', 'network', 'volume']

export interface InspectFlags {
  format?: string
  type?: string
  size?: boolean
}

/** One object by reference: a container, else an image, a network, a volume (Docker's order), or of the type asked for. */
async function findObject(cmd: Command, ref: string, types: ObjectType[], size: boolean): Promise<Record<string, unknown> | undefined> {
  const storeRoot = globalOptions(cmd).root ?? defaultStoreRoot()
  for (const type of types) {
    try {
      if (type === 'container') {
        const { findContainer, logFile } = await import('../../runtime/container/containers.js')
        const { inspectJson } = await import('../inspect-json.js')
        const stateRoot = stateRootOf(cmd)
        const c = findContainer(stateRoot, ref)
        const { containerSize } = await import('../../runtime/container/container-size.js')
        // links by the linked containers' names now, as Docker's link graph gives them
        const links = c.startInput?.network?.links?.length ? (await import('../../runtime/container/container-links.js')).inspectedLinks(stateRoot, c) : undefined
        return inspectJson(c, { logPath: logFile(stateRoot, c.id), ...(size ? { size: containerSize(c, storeRoot) } : {}), ...(links !== undefined ? { links } : {}) })
      }
      if (type === 'image') {
        const [{ ImageStore }, { imageDetails }, { imageInspectJson }] = await Promise.all([
          import('../../image/store.js'),
          import('../../image/image-details.js'),
          import('../image-inspect-json.js'),
        ])
        return imageInspectJson(await imageDetails(new ImageStore({ root: storeRoot }), ref))
      }
      if (type === 'network') {
        const { inspectNetwork } = await import('../../network/network-inspect.js')
        return inspectNetwork(storeRoot, stateRootOf(cmd), ref)
      }
      const { inspectVolume } = await import('../../runtime/container/volume-store.js')
      const { volumeJson } = await import('../volume-json.js')
      return volumeJson(inspectVolume(storeRoot, ref))
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (!['ENOCONTAINER', 'ENOIMAGE', 'ENONETWORK', 'ENOVOLUME', 'EBADREF', 'EBADVOLUME', 'EUSAGE'].includes(String(code))) throw err
    }
  }
  return undefined
}

/** `inspect`, `container inspect`, `image inspect`: JSON (an array, `[]` when nothing is found) or -f's template. */
export async function inspectObjects(cmd: Command, refs: string[], flags: InspectFlags, only?: ObjectType): Promise<void> {
  if (flags.type !== undefined && !TYPES.includes(flags.type as ObjectType)) throw new UsageError(`"${flags.type}" is not a valid value for --type`)
  const types = only ? [only] : flags.type ? [flags.type as ObjectType] : TYPES
  const found: Record<string, unknown>[] = []
  const missing: string[] = []
  for (const ref of refs) {
    const object = await findObject(cmd, ref, types, flags.size === true)
    if (object) found.push(object)
    else missing.push(ref)
  }
  if (flags.format !== undefined) {
    const { formatEach } = await import('../format/format-list.js')
    writeStdout(formatEach(flags.format, found))
  } else {
    writeStdout(found.length ? JSON.stringify(found, null, 4) + '\n' : '[]\n')
  }
  if (missing.length) {
    const what = types.length === 1 ? types[0] : 'object'
    for (const ref of missing) process.stderr.write(`Error: No such ${what}: ${ref}\n`)
    process.exitCode = 1
  }
}

export function addInspectFlags(cmd: Command): Command {
  return cmd
    .option('-f, --format <template>', 'format the output with a Go template: {{.State.Status}}, {{json .Config}}...')
    .option('-s, --size', 'show the sizes of containers (SizeRw, SizeRootFs)')
}

export function register(program: Command): void {
  addInspectFlags(
    program
      .command('inspect')
      .description('print containers\', images\', networks\' or volumes\' state and configuration as JSON')
      .argument('<name-or-id...>')
      .option('--type <type>', 'only this type of object: container, image, network or volume'),
  ).action((refs: string[], flags: InspectFlags, cmd: Command) => inspectObjects(cmd, refs, flags))
}
