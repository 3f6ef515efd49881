/**
 * `build` with stdin, as Docker's: `-f -` reads the Dockerfile from stdin
 * (the context as given), and a context of `-` reads stdin as either a tar
 * of the context (plain or gzip) or a Dockerfile alone, with an empty
 * context. What stdin held goes to a private temporary directory, removed
 * once the build is done; a tar is unpacked by node-tar, which keeps its
 * entries inside that directory (no absolute paths, no "..").
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { x as extract } from 'tar'
import { UsageError } from '../errors.js'

export interface BuildInput {
  context: string
  file?: string
  /** The Dockerfile as the user named it, for messages: never the temporary copy's path. */
  shownFile?: string
  cleanup(): void
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

/**
 * What stdin holds, by its magic: a tar (ustar at 257), a gzip stream
 * (1f 8b, which node-tar unzips), an xz (fd 37 7a 58 5a 00) or a bzip2
 * (BZh) stream, or neither (a Dockerfile).
 */
export function archiveKind(data: Buffer): 'tar' | 'gzip' | 'xz' | 'bzip2' | undefined {
  if (data.length >= 262 && data.toString('latin1', 257, 262) === 'ustar') return 'tar'
  if (data[0] === 0x1f && data[1] === 0x8b) return 'gzip'
  if (data.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  if (data.toString('latin1', 0, 3) === 'BZh' && /[1-9]/.test(data.toString('latin1', 3, 4))) return 'bzip2'
  return undefined
}

/**
 * xz and bzip2 through the tools of the same names (Node has neither; a
 * child process keeps the run bundle free of a decompressor library),
 * from `archive` into `out`.
 */
function decompress(tool: 'xz' | 'bzip2', archive: string, out: string): void {
  const fd = openSync(out, 'wx', 0o600)
  let r
  try {
    r = spawnSync(tool, ['-dc', '--', archive], { stdio: ['ignore', fd, 'pipe'] })
  } finally {
    closeSync(fd)
  }
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new UsageError(`build context on stdin is ${tool}-compressed: ${tool} is not on PATH`)
  if (r.error || r.status !== 0) {
    throw new UsageError(`build context on stdin: ${tool} -d failed: ${(r.stderr?.toString().trim() || r.error?.message) ?? `exit ${r.status}`}`)
  }
}

export async function buildInput(context: string, file: string | undefined): Promise<BuildInput> {
  // docker/cli takes these for remote contexts (urlutil's IsGitURL, IsURL) unless a local directory
  // has the name: as paths they would be "no such directory" of a mangled https:/host/...
  if (/^(https?:\/\/|git:\/\/|git@|github\.com\/)/.test(context) && !existsSync(context)) {
    throw new UsageError(`unable to prepare context: ${context}: a remote build context (git or http) is not supported: clone or download it, then build the directory`)
  }
  if (context !== '-' && file !== '-') return { context, ...(file !== undefined && { file }), cleanup: () => undefined }
  // Docker's words
  if (context === '-' && file === '-') throw new UsageError("invalid argument: can't use stdin for both build context and dockerfile")
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-build-stdin-'))
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  try {
    const data = await readAll(process.stdin)
    if (file === '-') {
      writeFileSync(join(dir, 'Dockerfile'), data)
      return { context, file: join(dir, 'Dockerfile'), shownFile: '-', cleanup }
    }
    const root = join(dir, 'context')
    mkdirSync(root)
    const kind = archiveKind(data)
    if (kind !== undefined) {
      let archive = join(dir, 'context.tar')
      writeFileSync(archive, data)
      if (kind === 'xz' || kind === 'bzip2') {
        decompress(kind, archive, join(dir, 'context.plain.tar'))
        archive = join(dir, 'context.plain.tar')
      }
      await extract({ file: archive, cwd: root, strict: true })
    } else {
      writeFileSync(join(root, 'Dockerfile'), data)
    }
    // -f with a context on stdin names a file of that context
    return { context: root, ...(file !== undefined && { file: isAbsolute(file) ? file : join(root, file) }), shownFile: file ?? 'Dockerfile', cleanup }
  } catch (err) {
    cleanup()
    throw err
  }
}
