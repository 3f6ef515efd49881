/**
 * Leases: what a running operation uses in the store before a ref or a
 * container record names it, so that garbage collection leaves it alone
 * (containerd's leases, without a daemon to keep them).
 *
 *   <root>/leases/<kind>-<pid>.<start time>-<random>.json   ["sha256:...", ...]
 *
 * A lease lists digests: layer chain ids and blob digests alike (a sha256
 * names one thing). A pull leases its image's layers, config and manifest
 * before it checks which of them the store has, and gives the lease back
 * once its ref is written; a build leases every layer it makes or starts
 * from until its image is tagged. A lease is named like a tmp/ entry, after
 * its owner's pid and start time (store-tmp.ts): the lease of a process that
 * is gone is garbage and counts for nothing.
 *
 * Written under the store's shared GC lock (store-locks.ts), and read under
 * its exclusive one: see there why that is enough. Not fsynced: a lease
 * means nothing after a crash, its owner is gone.
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensurePrivateDir } from '../private-dir.js'
import { processStartTime } from '../proc-stat.js'
import { isDigest } from './digest.js'
import { STORE_PRIVATE } from './store-dirs.js'
import { withGcLock } from './store-locks.js'
import { tmpPath } from './store-tmp.js'

const LEASE_RE = /^[a-z]+-(\d+)\.(\d+)-[0-9a-f]+\.json$/

export function leasesDir(storeRoot: string): string {
  return join(storeRoot, 'leases')
}

export class StoreLease {
  readonly #storeRoot: string
  readonly #held = new Set<string>()
  #path: string | undefined

  constructor(storeRoot: string) {
    this.#storeRoot = storeRoot
  }

  /**
   * Add digests (chain ids, blob digests) to the lease; resolves once a
   * collector would see them. Check that a thing is in the store only after
   * this: a collector that ran before may have removed it.
   */
  async hold(digests: Iterable<string>): Promise<void> {
    const before = this.#held.size
    for (const d of digests) this.#held.add(d)
    if (this.#held.size === before) return
    await withGcLock(this.#storeRoot, 'shared', () => this.#write())
  }

  #write(): void {
    const dir = leasesDir(this.#storeRoot)
    ensurePrivateDir(dir, STORE_PRIVATE)
    this.#path ??= `${tmpPath(dir, 'lease')}.json`
    const tmp = `${this.#path}.new`
    writeFileSync(tmp, JSON.stringify([...this.#held]), { mode: 0o600 })
    renameSync(tmp, this.#path)
  }

  /** Give everything back. */
  release(): void {
    this.#held.clear()
    if (this.#path !== undefined) rmSync(this.#path, { force: true })
    this.#path = undefined
  }
}

/**
 * The digests that live operations hold. Leases of processes that are gone
 * are removed (call it under the exclusive GC lock), unless removeStale is
 * false: a reader without the lock (`system df`) only skips them.
 */
export function leasedDigests(storeRoot: string, o: { removeStale?: boolean } = {}): Set<string> {
  const held = new Set<string>()
  const dir = leasesDir(storeRoot)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return held
  }
  for (const name of names) {
    const m = LEASE_RE.exec(name)
    if (!m || processStartTime(Number(m[1])) !== m[2]) {
      // a dead owner's, or a ".new" its owner was killed writing (a live
      // owner writes under the shared lock, never while this runs)
      if (o.removeStale !== false) rmSync(join(dir, name), { force: true })
      continue
    }
    let ids: unknown
    try {
      ids = JSON.parse(readFileSync(join(dir, name), 'utf8'))
    } catch {
      continue // replaced meanwhile
    }
    if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string' && isDigest(id)) held.add(id)
  }
  return held
}
