/**
 * `build` with stdin, as Docker's: `-f -` reads the Dockerfile from stdin
 * (the context as given), and a context of `-` reads stdin as either a tar
 * of the context (plain or gzip) or a Dockerfile alone, with an empty
 * context. What stdin held goes to a private temporary directory, removed
 * once the build is done; a tar is unpacked by node-tar, which keeps its
 * entries inside that directory (no absolute paths, no "..").
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { x as extract } from 'tar'
import { UsageError } from '../errors.js'

export interface BuildInput {
  context: string
  file?: string
  cleanup(): void
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

/** A tar (ustar's magic at 257) or a gzip stream (1f 8b), which node-tar unzips. */
function isArchive(data: Buffer): boolean {
  return (data.length >= 262 && data.toString('latin1', 257, 262) === 'ustar') || (data[0] === 0x1f && data[1] === 0x8b)
}

export async function buildInput(context: string, file: string | undefined): Promise<BuildInput> {
  if (context !== '-' && file !== '-') return { context, ...(file !== undefined && { file }), cleanup: () => undefined }
  // Docker's words
  if (context === '-' && file === '-') throw new UsageError("invalid argument: can't use stdin for both build context and dockerfile")
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-build-stdin-'))
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  try {
    const data = await readAll(process.stdin)
    if (file === '-') {
      writeFileSync(join(dir, 'Dockerfile'), data)
      return { context, file: join(dir, 'Dockerfile'), cleanup }
    }
    const root = join(dir, 'context')
    mkdirSync(root)
    if (isArchive(data)) {
      const archive = join(dir, 'context.tar')
      writeFileSync(archive, data)
      await extract({ file: archive, cwd: root, strict: true })
    } else {
      writeFileSync(join(root, 'Dockerfile'), data)
    }
    // -f with a context on stdin names a file of that context
    return { context: root, ...(file !== undefined && { file: isAbsolute(file) ? file : join(root, file) }), cleanup }
  } catch (err) {
    cleanup()
    throw err
  }
}
