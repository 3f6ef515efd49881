/**
 * Volumes: directories of the store that outlive containers, laid out as
 * Docker lays them out.
 *
 *   <storeRoot>/volumes/<name>/_data        what a container mounts
 *   <storeRoot>/volumes/<name>/volume.json  VolumeRecord
 *   <storeRoot>/volumes/<name>/users/<id>   a claim: container <id> uses it
 *
 * A volume's data may hold what its containers wrote as root: setuid-root
 * binaries, files with capabilities. Whoever reaches them on the host could
 * run them as root (the class of CVE-2021-41091, Docker's 0711 data
 * directories), so volumes/ and every <name>/ are 0700: only the owner of
 * the store reaches _data. A --userns=auto container does not need to: its
 * parent opens _data and hands it over as an idmapped mount
 * (an idmapped_mount host step: plan/plan-start.ts).
 *
 * Who uses a volume is recorded in the volume itself, one claim a container,
 * written by the start's volumes host step, after its state exists, and
 * removed with it. A claim counts while its container's state exists, in
 * whatever state root it lives, or while the process that wrote it lives
 * (a run between prepare and its first state); otherwise it is stale (a
 * runtime killed early, a container removed with another --root) and goes.
 * Creating, claiming, pre-populating and removing all hold an exclusive
 * flock(2) on volumes/, so `volume rm` never removes a volume that a
 * container is being started with.
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import * as lockCalls from '../../native/lock-calls.js'
import { checkPrivateDir, ensurePrivateDir } from '../../private-dir.js'
import { randomHex } from '../../random.js'
import { removeOwnTree } from '../../rootless/remove-tree.js'
import { checkVolumeName, VOLUME_NAME } from '../spec/volumes.js'
import { storeRootDir } from '../../image/store-dirs.js'
import { ownerTag, usersLocked, type Claim, type User } from './volume-users.js'

/** volume.json */
export interface VolumeRecord {
  name: string
  /** ISO 8601 */
  created: string
  labels: Record<string, string>
  driver: 'local'
  /** Made for a container (an image's VOLUME, `-v /path`): `rm -v`, `run --rm` and `volume prune` remove it. */
  anonymous: boolean
  /** The local driver's options (type, device, o: spec/local-volume.ts): mounted so at each start instead of bound from _data. */
  options?: Record<string, string>
}

export interface VolumeInfo extends VolumeRecord {
  /** The _data directory. */
  mountpoint: string
}

/** Docker 23+ marks anonymous volumes with this label; prune without -a removes only those. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous'

/** Its labels as Docker shows them: an anonymous volume carries ANONYMOUS_LABEL. */
export function volumeLabels(v: VolumeRecord): Record<string, string> {
  return { ...v.labels, ...(v.anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) }
}

const VOLUMES_DIR = { mode: 0o700, what: 'volumes directory' }

export function volumesDir(storeRoot: string): string {
  return join(storeRoot, 'volumes')
}

export function volumeDataDir(storeRoot: string, name: string): string {
  return join(volumesDir(storeRoot), name, '_data')
}

function noVolume(name: string): MiniRunError {
  return new MiniRunError(`no such volume: ${name}`, { code: 'ENOVOLUME' })
}

/** Run fn holding an exclusive flock on volumes/ (made if missing). */
function withVolumesLock<T>(storeRoot: string, fn: (dir: string) => T): T {
  ensurePrivateDir(storeRoot, storeRootDir())
  const dir = volumesDir(storeRoot)
  ensurePrivateDir(dir, VOLUMES_DIR)
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    lockCalls.flock(fd, 'exclusive')
    return fn(dir)
  } finally {
    closeSync(fd) // releases the lock
  }
}

/** volumes/, checked; undefined when there is none yet. */
function existingVolumesDir(storeRoot: string): string | undefined {
  if (!checkPrivateDir(storeRoot, storeRootDir())) return undefined
  const dir = volumesDir(storeRoot)
  return checkPrivateDir(dir, VOLUMES_DIR) ? dir : undefined
}

function readRecord(dir: string, name: string): VolumeRecord | undefined {
  let r: Partial<VolumeRecord>
  try {
    r = JSON.parse(readFileSync(join(dir, name, 'volume.json'), 'utf8')) as Partial<VolumeRecord>
  } catch {
    return undefined
  }
  const labelsOk = typeof r.labels === 'object' && r.labels !== null && Object.values(r.labels).every((v) => typeof v === 'string')
  const optionsOk = r.options === undefined || (typeof r.options === 'object' && r.options !== null && Object.values(r.options).every((v) => typeof v === 'string'))
  if (r.name !== name || typeof r.created !== 'string' || !labelsOk || typeof r.anonymous !== 'boolean' || !optionsOk) return undefined
  return { name, created: r.created, labels: r.labels!, driver: 'local', anonymous: r.anonymous, ...(r.options ? { options: r.options } : {}) }
}

function infoOf(dir: string, record: VolumeRecord): VolumeInfo {
  return { ...record, mountpoint: join(dir, record.name, '_data') }
}

/**
 * Create under the lock. Entries starting with "." are not volumes (a name
 * cannot start so): a creation or removal cut short, removed here.
 */
function createLocked(dir: string, name: string, o: { labels?: Record<string, string>; anonymous: boolean; options?: Record<string, string>; onCreate?: () => void }): VolumeInfo {
  const existing = readRecord(dir, name)
  if (existing) return infoOf(dir, existing)
  for (const entry of readdirSync(dir)) if (entry.startsWith('.')) removeOwnTree(join(dir, entry))
  if (existsSync(join(dir, name))) {
    // never made by a creation cut short (that is a "." entry): data of someone's, left alone
    throw new MiniRunError(`volume ${name}: ${join(dir, name)} has no valid volume.json: repair or remove it`, { code: 'EBADVOLUME' })
  }
  const record: VolumeRecord = { name, created: new Date().toISOString(), labels: o.labels ?? {}, driver: 'local', anonymous: o.anonymous, ...(o.options ? { options: o.options } : {}) }
  const tmp = join(dir, `.new-${randomHex(6)}`)
  mkdirSync(tmp, { mode: 0o700 })
  // Docker's _data: 0755 root, until the image's directory gives it its own owner and mode
  mkdirSync(join(tmp, '_data'), { mode: 0o755 })
  writeFileSync(join(tmp, 'volume.json'), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 })
  renameSync(tmp, join(dir, name))
  o.onCreate?.()
  return infoOf(dir, record)
}

/**
 * `volume create [NAME]`: a new volume, or the one of that name (as Docker,
 * it is no error; its options stay what they were). Options are the local
 * driver's, checked by the caller (spec/local-volume.ts checkLocalOptions).
 */
export function createVolume(
  storeRoot: string,
  o: { name?: string; labels?: Record<string, string>; options?: Record<string, string>; onCreate?: () => void } = {},
): VolumeInfo {
  const name = o.name ?? randomHex(32)
  checkVolumeName(name, 'volume create')
  const options = o.options && Object.keys(o.options).length ? o.options : undefined
  // onCreate: called, under the volumes' lock, only when this call made it (not another process meanwhile)
  return withVolumesLock(storeRoot, (dir) => createLocked(dir, name, { ...(o.labels ? { labels: o.labels } : {}), anonymous: false, ...(options ? { options } : {}), ...(o.onCreate ? { onCreate: o.onCreate } : {}) }))
}

export function listVolumes(storeRoot: string): VolumeInfo[] {
  const dir = existingVolumesDir(storeRoot)
  if (!dir) return []
  const out: VolumeInfo[] = []
  for (const name of readdirSync(dir).sort()) {
    if (!VOLUME_NAME.test(name)) continue
    const record = readRecord(dir, name)
    if (record) out.push(infoOf(dir, record))
  }
  return out
}

export function inspectVolume(storeRoot: string, name: string): VolumeInfo {
  const dir = existingVolumesDir(storeRoot)
  const record = dir && VOLUME_NAME.test(name) ? readRecord(dir, name) : undefined
  if (!dir || !record) throw noVolume(name)
  return infoOf(dir, record)
}

/** The volumes some container uses, running or not (Docker's RefCount above 0): `volume ls --filter dangling=`. */
export function volumesInUse(storeRoot: string): Set<string> {
  if (!existingVolumesDir(storeRoot)) return new Set()
  return withVolumesLock(storeRoot, (dir) => {
    const used = new Set<string>()
    for (const name of readdirSync(dir)) if (VOLUME_NAME.test(name) && usersLocked(dir, name).length) used.add(name)
    return used
  })
}

function inUse(name: string, users: User[]): MiniRunError {
  return new MiniRunError(`remove ${name}: volume is in use - [${users.map((u) => u.id).join(', ')}]`, { code: 'EVOLUMEINUSE' })
}

/**
 * `volume rm`: refuses a volume any container uses, running or not
 * (Docker's message). With force, a missing volume is no error.
 */
export function removeVolume(storeRoot: string, name: string, o: { force?: boolean } = {}): boolean {
  if (!VOLUME_NAME.test(name) || !existingVolumesDir(storeRoot)) {
    if (o.force) return false
    throw noVolume(name)
  }
  return withVolumesLock(storeRoot, (dir) => {
    if (!readRecord(dir, name)) {
      if (o.force) return false
      throw noVolume(name)
    }
    const users = usersLocked(dir, name)
    if (users.length) throw inUse(name, users)
    removeLocked(dir, name)
    return true
  })
}

/** Rename out of sight first: a removal cut short leaves a "." entry, not half a volume. */
function removeLocked(dir: string, name: string): void {
  const doomed = join(dir, `.removing-${randomHex(6)}`)
  renameSync(join(dir, name), doomed)
  // a rootless container's data may belong to the user's subordinate ids
  removeOwnTree(doomed)
}

/** `volume prune`: unused anonymous volumes, or every unused one with all (Docker 23+); of those, what `only` keeps (--filter label=). */
export function pruneVolumes(storeRoot: string, o: { all?: boolean; only?: (v: VolumeInfo) => boolean } = {}): string[] {
  if (!existingVolumesDir(storeRoot)) return []
  return withVolumesLock(storeRoot, (dir) => {
    const removed: string[] = []
    for (const name of readdirSync(dir).sort()) {
      const record = VOLUME_NAME.test(name) ? readRecord(dir, name) : undefined
      if (!record || !(record.anonymous || o.all) || (o.only && !o.only(infoOf(dir, record))) || usersLocked(dir, name).length) continue
      removeLocked(dir, name)
      removed.push(name)
    }
    return removed
  })
}

// ---- containers ----------------------------------------------------------

export interface VolumeClaim {
  name: string
  /** Create it as an anonymous volume if it does not exist. */
  anonymous: boolean
  /** Create it with these local driver options if it does not exist (--mount volume-opt=). */
  options?: Record<string, string>
  /** Create it with these labels if it does not exist (--mount volume-label=). */
  labels?: Record<string, string>
  /** Only this path of it is mounted (--mount volume-subpath): populate fills that, if it is an empty directory. */
  subpath?: string
  /**
   * Fill the empty _data with the image's content (Docker's copy-up). Only
   * called when the volume is empty and no container has it mounted: a
   * running container could swap a directory for a symlink under the copy
   * and aim it at the host.
   */
  populate?: (dataDir: string) => void
}

/**
 * Create what is missing, pre-populate what may be, and record container
 * `id` (of `stateRoot`) as a user of each volume; all or nothing. The
 * names of those it created.
 */
export function claimVolumes(storeRoot: string, stateRoot: string, id: string, claims: VolumeClaim[]): string[] {
  if (!claims.length) return []
  return withVolumesLock(storeRoot, (dir) => {
    const created: string[] = []
    const claimed: string[] = []
    try {
      for (const c of claims) {
        if (!readRecord(dir, c.name)) {
          createLocked(dir, c.name, { anonymous: c.anonymous, ...(c.options ? { options: c.options } : {}), ...(c.labels ? { labels: c.labels } : {}) })
          created.push(c.name)
        }
        if (c.populate && !usersLocked(dir, c.name).some((u) => u.live && u.id !== id)) {
          const data = populatedDir(join(dir, c.name, '_data'), c.subpath)
          if (data !== undefined && readdirSync(data).length === 0) c.populate(data)
        }
        mkdirSync(join(dir, c.name, 'users'), { recursive: true, mode: 0o700 })
        const claim: Claim = { id, stateRoot, owner: ownerTag() }
        writeFileSync(join(dir, c.name, 'users', id), JSON.stringify(claim) + '\n', { mode: 0o600 })
        claimed.push(c.name)
      }
    } catch (err) {
      for (const name of claimed) rmSync(join(dir, name, 'users', id), { force: true })
      for (const name of created) removeLocked(dir, name)
      throw err
    }
    return created
  })
}

/**
 * The directory a claim's populate fills: _data, or the directory its
 * subpath names in it, as moby fills a volume-subpath (nothing when it
 * does not exist or is no directory). Resolved here with symlinks and
 * taken only inside _data: no container runs with the volume (the caller
 * checked, under the lock), so nothing swaps a component meanwhile.
 */
function populatedDir(data: string, subpath: string | undefined): string | undefined {
  if (subpath === undefined) return data
  let real: string
  try {
    real = realpathSync(join(data, subpath))
  } catch {
    return undefined
  }
  const inside = real === realpathSync(data) || real.startsWith(`${realpathSync(data)}/`)
  return inside && statSync(real).isDirectory() ? real : undefined
}

/**
 * Container `id` no longer uses these volumes; with removeAnonymous, its
 * anonymous volumes that nothing else uses go too (`rm -v`, `run --rm`).
 */
export function releaseVolumes(storeRoot: string, id: string, names: string[], o: { removeAnonymous: boolean }): string[] {
  if (!names.length || !existingVolumesDir(storeRoot)) return []
  return withVolumesLock(storeRoot, (dir) => {
    const removed: string[] = []
    for (const name of new Set(names)) {
      if (!VOLUME_NAME.test(name)) continue
      try {
        unlinkSync(join(dir, name, 'users', id))
      } catch {
        // released already, or never claimed
      }
      const record = readRecord(dir, name)
      if (o.removeAnonymous && record?.anonymous && usersLocked(dir, name).length === 0) {
        removeLocked(dir, name)
        removed.push(name)
      }
    }
    return removed
  })
}
