/**
 * A full disk, as one line. Deep in an unpack, ENOSPC surfaces as "layer X:
 * entry "usr/lib/libfoo.so": ENOSPC: no space left on device, write", or as
 * a bare Node error from a rename; the user needs to know that the disk of
 * the store is full, what was being stored, and that nothing half-written
 * stays (the caller removes its tmp/ work: this only names the error).
 */
import { MiniRunError } from '../errors.js'

/** Errors that say the file system has no room (EDQUOT: a quota's). */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])

function codeIn(err: unknown, codes: Set<string>): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== undefined && codes.has(code)) return code
  }
  return undefined
}

export function isNoSpace(err: unknown): boolean {
  return codeIn(err, NO_SPACE) !== undefined
}

/**
 * `err` as "<what>: no space left on the device of <dir> (nothing of it was
 * kept)" when it comes from a full disk, anywhere in its causes; otherwise
 * `err` itself.
 */
export function describeStoreError(err: unknown, what: string, dir: string): unknown {
  const code = codeIn(err, NO_SPACE)
  if (code === undefined || (err instanceof MiniRunError && err.code === 'ENOSPC')) return err
  const quota = code === 'EDQUOT' ? ' (disk quota exceeded)' : ''
  return new MiniRunError(`${what}: no space left on the device of ${dir}${quota}; nothing of it was kept`, { code: 'ENOSPC', cause: err })
}

/** ENOIMAGE: nothing in the store answers to ref. */
export function noImage(ref: string, cause?: unknown): MiniRunError {
  return new MiniRunError(`no such image: ${ref}`, { code: 'ENOIMAGE', cause })
}
