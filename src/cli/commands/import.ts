/**
 * `import` (and `image import`): a new image from a root filesystem's
 * tarball, as `docker import`: from a file, stdin ("-"), or an http(s)
 * URL; optionally named; its id printed.
 */
import type { Command } from 'commander'
import { createReadStream } from 'node:fs'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { writeStdout } from '../write-stdout.js'

interface ImportFlags {
  change?: string[]
  message?: string
  platform?: string
}

/** The archive's bytes, and what the history calls it (Docker's CLI sends a file as "-"). */
async function openSource(source: string): Promise<{ input: AsyncIterable<Buffer>; name: string }> {
  const { UsageError } = await import('../../errors.js')
  if (source === '-') {
    if (process.stdin.isTTY) throw new UsageError('requested import from stdin, but stdin is a terminal: pipe an archive in, or name a file')
    return { input: process.stdin as AsyncIterable<Buffer>, name: '-' }
  }
  if (/^https?:\/\//.test(source)) {
    let res: Response
    try {
      res = await fetch(source)
    } catch (err) {
      throw new UsageError(`import from ${source}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`)
    }
    if (!res.ok || !res.body) throw new UsageError(`import from ${source}: ${res.status} ${res.statusText}`)
    const body = res.body
    async function* chunks(): AsyncGenerator<Buffer> {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    }
    return { input: chunks(), name: source }
  }
  const file = createReadStream(source)
  // opened before anything is written: a missing file is one line, not an empty import
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve())
    file.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`open ${source}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`)))
  })
  return { input: file as AsyncIterable<Buffer>, name: '-' }
}

export async function importImage(cmd: Command, source: string, target: string | undefined, flags: ImportFlags): Promise<void> {
  const root = globalOptions(cmd).root ?? defaultStoreRoot()
  const [{ ImageStore }, { parseReference }, { parsePlatform }, { importTarball }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/reference.js'),
    import('../../image/platform.js'),
    import('../../writable-layer/import-tarball.js'),
  ])
  const names = target === undefined ? [] : [parseReference(target).name]
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform)
  const { input, name } = await openSource(source)
  const { id } = await importTarball(new ImageStore({ root }), input, {
    names,
    changes: flags.change ?? [],
    source: name,
    ...(flags.message !== undefined ? { message: flags.message } : {}),
    ...(platform ? { platform } : {}),
  })
  writeStdout(`${id}\n`)
}

/** Register `import` on `program` (the top level, or `image`). */
export function register(program: Command): void {
  program
    .command('import')
    .description("make an image of one layer from a root filesystem's tarball (plain, gzip, zstd, xz or bzip2): a file, - for stdin, or an http(s) URL")
    .argument('<file|URL|->')
    .argument('[repository[:tag]]')
    .option('-c, --change <instruction>', 'a Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .option('-m, --message <text>', 'the history entry\'s comment (default: "Imported from" the source)')
    .option('--platform <os/arch[/variant]>', "the image's platform (default: the host's)")
    .action((source: string, target: string | undefined, flags: ImportFlags, cmd: Command) => importImage(cmd, source, target, flags))
}
