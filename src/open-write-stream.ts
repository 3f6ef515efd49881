/**
 * A write stream on a file that exists once this resolves. fs.createWriteStream
 * opens its file later, on its own: a pipeline that fails before that open
 * (a broken archive on stdin fails in its first chunk) rejects, the caller
 * removes the file, and only then does the open create it, left behind in
 * the store's tmp/ by a process that has already exited with its error.
 * Opening first puts the remove after the create.
 */
import type { WriteStream } from 'node:fs'
import { open } from 'node:fs/promises'

export async function openWriteStream(path: string, flags = 'w', mode = 0o666): Promise<WriteStream> {
  const handle = await open(path, flags, mode)
  return handle.createWriteStream()
}
