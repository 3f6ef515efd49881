import type { Command } from 'commander'
import { statSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

interface LoadFlags {
  input?: string
  quiet?: boolean
  platform?: string
}

export async function loadImages(cmd: Command, flags: LoadFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { loadArchive }, { parsePlatform }, { UsageError }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/load-archive.js'),
    import('../../image/platform.js'),
    import('../../errors.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  let input = flags.input
  let spooled: string | undefined
  if (input === undefined) {
    if (process.stdin.isTTY) throw new UsageError('requested load from stdin, but stdin is a terminal: use -i <file>')
    // an archive must be read at offsets: spool stdin into the store's tmp/
    const { tmpPath } = await import('../../image/store-tmp.js')
    await store.init()
    spooled = tmpPath(store.tmpDir, 'stdin')
    input = spooled
  }
  try {
    if (spooled) {
      const { openWriteStream } = await import('../../open-write-stream.js')
      await pipeline(process.stdin, await openWriteStream(spooled, 'w', 0o600))
    }
    // Docker's words, rather than the spool file's name in a format error
    if (spooled && statSync(spooled).size === 0) throw new UsageError('requested load from stdin, but stdin is empty')
    const loaded = await loadArchive(store, input, {
      ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
      warning: (message) => process.stderr.write(`mini-run: warning: ${message}\n`),
    })
    const [{ imageEvent }, { familiarName }] = await Promise.all([import('../../events/resource-events.js'), import('../../image/reference.js')])
    for (const image of loaded) {
      // the short name Docker prints (reference.FamiliarString): t3:latest for docker.io/library/t3:latest
      process.stdout.write(image.name ? `Loaded image: ${familiarName(image.name)}\n` : `Loaded image ID: ${image.configDigest}\n`)
      imageEvent(stateRootOf(cmd), 'load', image.configDigest, image.name ? familiarName(image.name) : image.configDigest)
    }
  } finally {
    if (spooled) await rm(spooled, { force: true })
  }
}

export function register(program: Command): void {
  program
    .command('load')
    .description('load images from a docker save tar or an OCI layout (tar or directory)')
    .option('-i, --input <file>', 'read from this file or directory instead of stdin')
    .option('-q, --quiet', 'suppress the load output')
    .option('--platform <os/arch[/variant]>', 'the platform to load from a multi-platform index (default: the host\'s)')
    .action((flags: LoadFlags, cmd: Command) => loadImages(cmd, flags))
}
