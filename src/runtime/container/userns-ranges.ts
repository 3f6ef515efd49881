/**
 * --userns=auto: each container gets 65536 host uids and gids of its own,
 * which no user of the host has.
 *
 * Why it matters: the container's root owns its writable layer on the host
 * as the first id of its range. Whoever else holds that range (a user whose
 * /etc/subuid entry covers it maps it in a user namespace of their own, as
 * newuidmap(1) allows) is that root as far as the kernel is concerned: they
 * can read and rewrite the container's files and signal its processes. So
 * a range must not overlap any /etc/subuid or /etc/subgid entry (Debian's
 * useradd hands them out from 100000 up), nor another running container's.
 *
 * The pool, in order of preference:
 *   - MINI_RUN_USERNS_POOL=START:COUNT (the same for uids and gids);
 *   - the entries of the user "containers" in /etc/subuid and /etc/subgid,
 *     the range podman's --userns=auto takes (containers-storage.conf(5));
 *   - else 0x70000000-0x7ffdffff, which systemd's UIDS-GIDS.md leaves
 *     unused and which lies far above what useradd gives out.
 * The pool is cut into slots of 65536; a slot is taken by a record file
 * <stateRoot>/userns/<slot> naming the container and the process that took
 * it, written under an exclusive flock(2) of the state root, and removed
 * with the container. A record whose container has no state and whose
 * process is gone (a runtime killed before its container existed) is stale
 * and taken over.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { constants } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import * as lockCalls from '../../native/lock-calls.js'
import { processStartTime } from '../../proc-stat.js'
import { parseSubIds, type IdRange } from '../../rootless/subordinate-ids.js'
import type { IdMapping } from '../spec/spec.js'

export const SLOT_SIZE = 65536

export type { IdRange }
export { parseSubIds }

export interface Pool {
  uid: IdRange
  gid: IdRange
  /** Where it came from, for messages. */
  source: string
}

export const DEFAULT_POOL: IdRange = { start: 0x70000000, size: 0x7ffe0000 - 0x70000000 }

/** The pool (see the top of this file). */
export function autoPool(env: NodeJS.ProcessEnv, subuid: string, subgid: string): Pool {
  if (env.MINI_RUN_USERNS_POOL) {
    const m = /^(\d+):(\d+)$/.exec(env.MINI_RUN_USERNS_POOL)
    if (!m || Number(m[1]) < 1 || Number(m[2]) < SLOT_SIZE || Number(m[1]) + Number(m[2]) > 0xffffffff) {
      throw new UsageError(`MINI_RUN_USERNS_POOL=${env.MINI_RUN_USERNS_POOL}: give START:COUNT, START above 0, COUNT at least ${SLOT_SIZE}`)
    }
    const range = { start: Number(m[1]), size: Number(m[2]) }
    return { uid: range, gid: range, source: 'MINI_RUN_USERNS_POOL' }
  }
  const uid = parseSubIds(subuid).find(([user]) => user === 'containers')?.[1]
  const gid = parseSubIds(subgid).find(([user]) => user === 'containers')?.[1]
  if (uid && gid) return { uid, gid, source: 'the "containers" entries of /etc/subuid and /etc/subgid' }
  return { uid: DEFAULT_POOL, gid: DEFAULT_POOL, source: `mini-run's default pool ${DEFAULT_POOL.start}-${DEFAULT_POOL.start + DEFAULT_POOL.size - 1}` }
}

function overlaps(a: IdRange, b: IdRange): boolean {
  return a.start < b.start + b.size && b.start < a.start + a.size
}

/** The uid and gid ranges of slot k of the pool. */
export function slotRanges(pool: Pool, k: number): { uid: IdRange; gid: IdRange } {
  return { uid: { start: pool.uid.start + k * SLOT_SIZE, size: SLOT_SIZE }, gid: { start: pool.gid.start + k * SLOT_SIZE, size: SLOT_SIZE } }
}

/**
 * The first slot of the pool that is not taken and overlaps none of the
 * reserved uid and gid ranges (pure).
 */
export function pickSlot(pool: Pool, reserved: { uid: IdRange[]; gid: IdRange[] }, taken: ReadonlySet<number>): number | undefined {
  const slots = Math.floor(Math.min(pool.uid.size, pool.gid.size) / SLOT_SIZE)
  for (let k = 0; k < slots; k++) {
    if (taken.has(k)) continue
    const r = slotRanges(pool, k)
    if (reserved.uid.some((x) => overlaps(x, r.uid)) || reserved.gid.some((x) => overlaps(x, r.gid))) continue
    return k
  }
  return undefined
}

/** What no container may map: every other user's subordinate ids, and the ids of local users and groups. */
export function reservedIds(files: { subuid: string; subgid: string; passwd: string; group: string }): { uid: IdRange[]; gid: IdRange[] } {
  const others = (text: string) => parseSubIds(text).filter(([user]) => user !== 'containers').map(([, r]) => r)
  const ids = (text: string, field: number) =>
    text.split('\n').map((l) => l.split(':')[field]).filter((v): v is string => /^\d+$/.test(v ?? '')).map((v) => ({ start: Number(v), size: 1 }))
  return { uid: [...others(files.subuid), ...ids(files.passwd, 2)], gid: [...others(files.subgid), ...ids(files.group, 2)] }
}

interface SlotRecord {
  id: string
  /** "<pid>.<start time>" of the process that took it. */
  owner: string
}

function readHostFile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

/** Run fn holding an exclusive flock on the state root (a directory). */
function withStateLock<T>(stateRoot: string, fn: () => T): T {
  const fd = openSync(stateRoot, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    lockCalls.flock(fd, 'exclusive')
    return fn()
  } finally {
    closeSync(fd) // releases the lock
  }
}

function slotsDir(stateRoot: string): string {
  return join(stateRoot, 'userns')
}

function isStale(stateRoot: string, record: SlotRecord | undefined): boolean {
  if (!record) return true
  try {
    readdirSync(join(stateRoot, record.id))
    return false // its container exists
  } catch {
    // no state: it lives only while the process that took it does
  }
  const [pid, start] = record.owner.split('.')
  return processStartTime(Number(pid)) !== start
}

/**
 * Take a slot for container `id` and return its id maps (container 0 ->
 * the slot's first id). The state root must exist. Throws ENORANGE when
 * every slot is taken or reserved. With dryRun (--explain) nothing is
 * recorded: the maps are those the next run would get.
 */
export function allocateAutoRange(stateRoot: string, id: string, options: { dryRun?: boolean; env?: NodeJS.ProcessEnv } = {}): {
  slot: number
  uid: IdMapping[]
  gid: IdMapping[]
} {
  const pool = autoPool(options.env ?? process.env, readHostFile('/etc/subuid'), readHostFile('/etc/subgid'))
  const reserved = reservedIds({
    subuid: readHostFile('/etc/subuid'),
    subgid: readHostFile('/etc/subgid'),
    passwd: readHostFile('/etc/passwd'),
    group: readHostFile('/etc/group'),
  })
  const take = (): number => {
    const dir = slotsDir(stateRoot)
    const taken = new Set<number>()
    let names: string[] = []
    try {
      names = readdirSync(dir)
    } catch {
      // no slot taken yet
    }
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue
      let record: SlotRecord | undefined
      try {
        record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as SlotRecord
      } catch {
        record = undefined
      }
      if (!isStale(stateRoot, record)) taken.add(Number(name))
      else if (!options.dryRun) unlinkSync(join(dir, name))
    }
    const k = pickSlot(pool, reserved, taken)
    if (k === undefined) {
      throw new MiniRunError(`--userns=auto: no free range of ${SLOT_SIZE} ids left in ${pool.source} (${taken.size} taken by containers): remove some, or set MINI_RUN_USERNS_POOL`, {
        code: 'ENORANGE',
      })
    }
    if (!options.dryRun) {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      const record: SlotRecord = { id, owner: `${process.pid}.${processStartTime(process.pid) ?? '0'}` }
      writeFileSync(join(dir, String(k)), JSON.stringify(record) + '\n', { flag: 'wx', mode: 0o600 })
    }
    return k
  }
  const slot = options.dryRun ? take() : withStateLock(stateRoot, take)
  const r = slotRanges(pool, slot)
  return {
    slot,
    uid: [{ containerID: 0, hostID: r.uid.start, size: SLOT_SIZE }],
    gid: [{ containerID: 0, hostID: r.gid.start, size: SLOT_SIZE }],
  }
}

/** Give back the slot container `id` took (removed with the container). */
export function releaseAutoRange(stateRoot: string, id: string, slot: number): void {
  try {
    withStateLock(stateRoot, () => {
      const file = join(slotsDir(stateRoot), String(slot))
      let record: SlotRecord | undefined
      try {
        record = JSON.parse(readFileSync(file, 'utf8')) as SlotRecord
      } catch {
        return // released already
      }
      if (record.id !== id) return
      unlinkSync(file)
      try {
        rmdirSync(slotsDir(stateRoot))
      } catch {
        // other slots are taken
      }
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
