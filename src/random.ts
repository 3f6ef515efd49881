/**
 * Random names (container ids, tmp/ entries, default container names) from
 * the kernel's pool.
 *
 * Read straight from /dev/urandom, which never blocks once the pool is
 * initialised (random(4)); node:crypto would give the same bytes after a
 * 5 ms load on every `mini-run run`.
 */
import { closeSync, openSync, readSync } from 'node:fs'

/** `bytes` random bytes as 2*bytes lowercase hex digits. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** A whole number in [0, below), below at most 2^32, every value equally likely. */
export function randomInt(below: number): number {
  // drawing again above the last whole multiple of `below` keeps the
  // remainder unbiased (what node:crypto's randomInt does)
  const limit = 2 ** 32 - (2 ** 32 % below)
  for (;;) {
    const n = randomBytes(4).readUInt32LE(0)
    if (n < limit) return n % below
  }
}

export function randomBytes(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes)
  const fd = openSync('/dev/urandom', 'r')
  try {
    let got = 0
    while (got < bytes) {
      const n = readSync(fd, buf, got, bytes - got, null)
      if (n === 0) throw new Error('/dev/urandom: unexpected end of file')
      got += n
    }
  } finally {
    closeSync(fd)
  }
  return buf
}
