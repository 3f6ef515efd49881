/**
 * An archive written to a file a user named (`save -o`, `export -o`):
 * into a temporary name beside it, renamed over it once whole, so a failure
 * leaves the path as it was: a file the user had stays, and no half archive
 * is left. A path that names something other than a regular file
 * (/dev/null, a fifo, a terminal) is written in place and never removed:
 * a rename over it would replace the device node.
 */
import { createWriteStream, statSync } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { openWriteStream } from './open-write-stream.js'
import { randomHex } from './random.js'

export async function writeOutputFile(dest: string, chunks: AsyncIterable<Buffer>): Promise<void> {
  const st = statSync(dest, { throwIfNoEntry: false })
  if (st !== undefined && !st.isFile()) {
    await pipeline(Readable.from(chunks), createWriteStream(dest))
    return
  }
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.${randomHex(4)}`)
  try {
    await pipeline(Readable.from(chunks), await openWriteStream(tmp, 'wx', 0o644))
    await rename(tmp, dest)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
