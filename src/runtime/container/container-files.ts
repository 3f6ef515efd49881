/**
 * Read a file of a running container (exec -u: its /etc/passwd and
 * /etc/group) as the container sees it, and nothing else.
 *
 * Checking a path and then opening it again is a race the container wins:
 * it can swap the file for a symlink in between (renameat2 RENAME_EXCHANGE),
 * and an absolute symlink followed from the host lands in the host's files.
 * So the file is opened once, resolved inside the container's root
 * (openat2 RESOLVE_IN_ROOT: "/" and ".." stay in it), as O_PATH, which opens
 * nothing: a FIFO or a device is refused by its type before any open(2) that
 * could block or act on it. Only then is the same inode opened for reading,
 * and at most MAX_BYTES of it read.
 */
import { closeSync, fstatSync } from 'node:fs'
import { MiniRunError } from '../../errors.js'
import * as native from '../../native/lib.js'
import * as fileCalls from '../../native/file-calls.js'

/** Far more than any passwd or group file; a bound on what a container makes us read. */
export const MAX_BYTES = 4 << 20

/** openat2(2): EAGAIN when a rename raced a ".."; a retry is the documented answer. */
const RETRIES = 8

/**
 * `path` (relative to the root) read through `rootFd`, an fd of the
 * container's root directory; undefined when it does not exist. `what`
 * names it in errors ("/etc/passwd of container 0123456789ab").
 */
export function readFileInRoot(rootFd: number, path: string, what: string, maxBytes = MAX_BYTES): string | undefined {
  let fd: number | undefined
  for (let attempt = 0; fd === undefined; attempt++) {
    try {
      fd = fileCalls.openInRoot(rootFd, path)
    } catch (err) {
      const code = (err as native.NativeError).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
      if (code === 'EAGAIN' && attempt < RETRIES) continue
      throw new MiniRunError(`open ${what}: ${native.strerror((err as native.NativeError).errno)}`, { cause: err, code })
    }
  }
  try {
    if (!fstatSync(fd).isFile()) throw new MiniRunError(`${what} is not a regular file`, { code: 'EINVAL' })
    try {
      return fileCalls.readRegular(fd, maxBytes).toString('utf8')
    } catch (err) {
      const e = err as native.NativeError
      if (e.code === 'EFBIG') throw new MiniRunError(`${what} is larger than ${maxBytes} bytes`, { cause: err, code: e.code })
      throw new MiniRunError(`read ${what}: ${native.strerror(e.errno)}`, { cause: err, code: e.code })
    }
  } finally {
    closeSync(fd)
  }
}
