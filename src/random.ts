/**
 * Random names (container ids, tmp/ entries, default container names) from
 * the kernel's pool.
 *
 * Read from /dev/urandom (a pool of them read ahead: randomBytes), which
 * never blocks once the kernel's pool is initialised (random(4));
 * node:crypto would give the same bytes after a 5 ms load on every
 * `mini-run run`.
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

/**
 * Bytes read ahead, each handed out once: a run draws five times (its id,
 * its name's two words, tmp/ names), and an open, read and close of
 * /dev/urandom each was 3 kB of the young-generation space a run should
 * fit in (late-scavenge.ts), for 4-32 bytes.
 */
const pool: { bytes: Buffer; used: number } = { bytes: Buffer.alloc(0), used: 0 }
const POOL_SIZE = 256

export function randomBytes(bytes: number): Buffer {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`randomBytes: ${bytes} is not a number of bytes`)
  if (bytes > POOL_SIZE) return readUrandom(bytes)
  if (pool.used + bytes > pool.bytes.length) {
    pool.bytes = readUrandom(POOL_SIZE)
    pool.used = 0
  }
  const buf = Buffer.from(pool.bytes.subarray(pool.used, pool.used + bytes))
  // what was handed out is not kept
  pool.bytes.fill(0, pool.used, pool.used + bytes)
  pool.used += bytes
  return buf
}

function readUrandom(bytes: number): Buffer {
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
