/**
 * `import` (and `image import`): a new image from a root filesystem's
 * tarball, as `docker import`: from a file, stdin ("-"), or an http(s)
 * URL; optionally named; its id printed.
 */
import type { Command } from 'commander'
import { createReadStream } from 'node:fs'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { writeStdout } from '../write-stdout.js'

interface ImportFlags {
  change?: string[]
  message?: string
  platform?: string
}

/** The archive's bytes, and what the history calls it (Docker's CLI sends a file as "-"). */
async function openSource(source: string): Promise<{ input: AsyncIterable<Buffer>; name: string; close: () => void }> {
  const { UsageError } = await import('../../errors.js')
  if (source === '-') {
    if (process.stdin.isTTY) throw new UsageError('requested import from stdin, but stdin is a terminal: pipe an archive in, or name a file')
    return { input: process.stdin as AsyncIterable<Buffer>, name: '-', close: () => process.stdin.destroy() }
  }
  if (/^https?:\/\//.test(source)) {
    let res: Response
    const abort = new AbortController()
    try {
      res = await fetch(source, { signal: abort.signal })
    } catch (err) {
      throw new UsageError(`import from ${source}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`)
    }
    if (!res.ok || !res.body) throw new UsageError(`import from ${source}: ${res.status} ${res.statusText}`)
    const body = res.body
    async function* chunks(): AsyncGenerator<Buffer> {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    }
    return { input: chunks(), name: source, close: () => abort.abort() }
  }
  const file = createReadStream(source)
  // opened before anything is written: a missing file is one line, not an empty import
  await new Promise<void>((resolve, reject) => {
    file.once('open', () => resolve())
    file.once('error', (err: NodeJS.ErrnoException) => reject(new UsageError(`open ${source}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`)))
  })
  return { input: file as AsyncIterable<Buffer>, name: '-', close: () => file.destroy() }
}

export async function importImage(cmd: Command, source: string, target: string | undefined, flags: ImportFlags): Promise<void> {
  const root = globalOptions(cmd).root ?? defaultStoreRoot()
  const [{ ImageStore }, { parseReference }, { parsePlatform }, { importTarball }, { UsageError }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/reference.js'),
    import('../../image/platform.js'),
    import('../../writable-layer/import-tarball.js'),
    import('../../errors.js'),
  ])
  const ref = target === undefined ? undefined : parseReference(target)
  // Docker's refusal, before anything is read: an import makes an image, it cannot match a digest
  if (ref?.digest !== undefined) throw new UsageError(`invalid reference "${target}": cannot import digest reference`)
  const names = ref === undefined ? [] : [ref.name]
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform)
  const { input, name, close } = await openSource(source)
  let id: string
  try {
    ;({ id } = await importTarball(new ImageStore({ root }), input, {
      names,
      changes: flags.change ?? [],
      source: name,
      // Docker's: an empty message is none
      ...(flags.message ? { message: flags.message } : {}),
      ...(platform ? { platform } : {}),
    }))
  } catch (err) {
    // a broken archive ends the import now, not when its writer stops writing
    close()
    throw err
  }
  // Docker's daemon: an import event whose actor and name are the new image's id
  const { imageEvent } = await import('../../events/resource-events.js')
  imageEvent(stateRootOf(cmd), 'import', id, id)
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
