/**
 * `mini-run system check [--repair]`: is the store what its records say,
 * and is nothing left of containers that no longer exist?
 *
 *   blobs/sha256/<hex>       hashes to its name (manifests, configs, indexes)
 *   layers/<hex>/            a record (layer.json) naming this chain id, an
 *                            fs/ tree, and its kept blob, when there is one,
 *                            hashing to the record's digest and size
 *   refs/<name>              a name whose manifest, config and layers are all
 *                            there (the chain a run needs)
 *   tmp/, leases/, locks/    nothing of a process that is gone: what a kill
 *                            leaves, removed here as by every store command
 *                            (not a problem: it is how a crash is survived)
 *   containers/<id>/         a container of the state directory; one without
 *                            (its state lost: /run emptied by a reboot) is an
 *                            orphan, and so are its mounts and cgroup leaf
 *
 * Problems are reported one a line; --repair removes what is broken (a
 * corrupt blob or layer, a ref that cannot run, an orphan) so that a pull or
 * load can store it again. The check holds the store's GC lock shared (no
 * collector removes things under it; pulls go on), a repair exclusive.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { rename } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { tryLockFile } from '../file-lock.js'
import { isDigest } from '../image/digest.js'
import { refFileName } from '../image/refs.js'
import type { ImageStore } from '../image/store.js'
import { MAX_BLOB_SIZE, type LayerRecord, type RefRecord } from '../image/store-types.js'
import { leasedDigests } from '../image/store-lease.js'
import { locksDir, withGcLock } from '../image/store-locks.js'
import { cleanStaleTmp, removeTree, tmpPath } from '../image/store-tmp.js'
import { DEFAULT_CGROUP_PARENT, destroyLeaf, findCgroup2Mount } from '../runtime/cgroup/cgroup.js'
import { listContainers } from '../runtime/container/containers.js'
import { CONTAINER_ID } from '../runtime/container/state.js'

export interface CheckOptions {
  store: ImageStore
  stateRoot: string
  /** Remove what is broken and what is orphaned. */
  repair?: boolean
  /** More cgroup parents to look for leaves in (besides mini-run's default and those containers recorded). */
  cgroupParents?: string[]
}

export interface Finding {
  /** What it is about: "blob sha256:...", "layer sha256:...", "ref NAME", "container dir ID"... */
  subject: string
  problem: string
  /** Set by --repair once it is dealt with. */
  repaired?: string
}

export interface CheckReport {
  problems: Finding[]
  /** What killed processes left (tmp/ entries, leases), removed as any store command does. */
  collected: string[]
  checked: { blobs: number; layers: number; refs: number; containers: number }
}

async function sha256File(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk)
    size += chunk.length
  }
  return { digest: `sha256:${hash.digest('hex')}`, size }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

export async function checkSystem(o: CheckOptions): Promise<CheckReport> {
  return withGcLock(o.store.root, o.repair ? 'exclusive' : 'shared', () => checkLocked(o))
}

async function checkLocked(o: CheckOptions): Promise<CheckReport> {
  const { store } = o
  const report: CheckReport = { problems: [], collected: [], checked: { blobs: 0, layers: 0, refs: 0, containers: 0 } }
  const trash: string[] = []
  const problem = async (subject: string, text: string, repair?: () => Promise<string>) => {
    const f: Finding = { subject, problem: text }
    if (o.repair && repair) f.repaired = await repair()
    report.problems.push(f)
  }
  const moveAway = async (path: string) => {
    const to = tmpPath(store.tmpDir, 'rm')
    await rename(path, to)
    trash.push(to)
  }

  // what killed processes left: collected, not problems
  report.collected.push(...(await cleanStaleTmp(store.tmpDir)).map((n) => `tmp/${n}`))
  const leasesBefore = readdirOrEmpty(join(store.root, 'leases'))
  leasedDigests(store.root) // removes the leases of processes that are gone
  const leasesAfter = new Set(readdirOrEmpty(join(store.root, 'leases')))
  report.collected.push(...leasesBefore.filter((n) => !leasesAfter.has(n)).map((n) => `leases/${n}`))

  for (const hex of readdirOrEmpty(store.blobsDir)) {
    const path = join(store.blobsDir, hex)
    report.checked.blobs++
    const subject = `blob sha256:${hex}`
    if (!isDigest(`sha256:${hex}`)) {
      await problem(`blobs/sha256/${hex}`, 'not named by a sha256 digest', async () => (await moveAway(path), 'removed'))
      continue
    }
    const { digest, size } = await sha256File(path)
    if (digest !== `sha256:${hex}`) {
      await problem(subject, `corrupt: its content hashes to ${digest} (digest mismatch)`, async () => (await moveAway(path), 'removed; pull or load its image again'))
    } else if (size > MAX_BLOB_SIZE) {
      await problem(subject, `${size} bytes, more than the ${MAX_BLOB_SIZE} a manifest or config may have`, async () => (await moveAway(path), 'removed'))
    }
  }

  for (const hex of readdirOrEmpty(store.layersDir)) {
    const chainId = `sha256:${hex}`
    const dir = join(store.layersDir, hex)
    report.checked.layers++
    const why = await layerProblem(dir, chainId)
    if (why) await problem(`layer ${isDigest(chainId) ? chainId : hex}`, why, async () => (await moveAway(dir), 'removed; pull or load its image again'))
  }

  const layersHere = (chainId: string) => existsSync(join(store.layerPath(chainId), 'layer.json'))
  for (const file of readdirOrEmpty(store.refsDir)) {
    const path = join(store.refsDir, file)
    report.checked.refs++
    let ref: Partial<RefRecord>
    try {
      ref = JSON.parse(readFileSync(path, 'utf8')) as Partial<RefRecord>
    } catch {
      await problem(`refs/${file}`, 'not a readable ref record', async () => (await moveAway(path), 'removed'))
      continue
    }
    const name = typeof ref.name === 'string' ? ref.name : undefined
    let why: string | undefined
    if (name === undefined || refFileName(name) !== file) why = 'its record does not name the file it is in'
    else if (typeof ref.manifestDigest !== 'string' || !isDigest(ref.manifestDigest)) why = 'its record names no manifest digest'
    else {
      try {
        const image = await store.loadImage(name, ref.manifestDigest)
        if (image.configDigest !== ref.configDigest) why = `its record says config ${String(ref.configDigest)}, its manifest ${image.configDigest}`
        const missing = image.chainIds.find((c) => !layersHere(c))
        if (missing) why = `layer ${missing} missing`
      } catch (err) {
        why = (err as Error).message
      }
    }
    if (why) await problem(`ref ${name ?? file}`, why, async () => (await moveAway(path), 'untagged; pull or load it again'))
  }

  // ingest locks of layers that never arrived (a pull killed while it held
  // one), locks of names that are gone
  for (const name of readdirOrEmpty(locksDir(store.root))) {
    const layer = /^layer-([0-9a-f]{64})\.lock$/.exec(name)
    const ref = /^ref-(.+)\.lock$/.exec(name)
    if (layer ? layersHere(`sha256:${layer[1]}`) : !ref || existsSync(join(store.refsDir, ref[1]!))) continue
    const lock = tryLockFile(join(locksDir(store.root), name), 'exclusive')
    if (!lock) continue // being ingested now
    lock.releaseAndRemove()
    report.collected.push(`locks/${name}`)
  }

  await checkContainers(o, report, problem)
  for (const path of trash) await removeTree(path)
  return report
}

/** What is wrong with a stored layer, or undefined. */
async function layerProblem(dir: string, chainId: string): Promise<string | undefined> {
  if (!isDigest(chainId)) return 'not named by a chain id'
  let record: LayerRecord
  try {
    record = JSON.parse(readFileSync(join(dir, 'layer.json'), 'utf8')) as LayerRecord
  } catch {
    return 'its record (layer.json) is missing or unreadable'
  }
  if (record.chainId !== chainId) return `its record names chain id ${String(record.chainId)}`
  try {
    if (!statSync(join(dir, 'fs')).isDirectory()) return 'fs/ is not a directory'
  } catch {
    return 'its tree (fs/) is missing'
  }
  // the blob kept for push and save, when this store keeps them
  const blob = join(dir, 'blob')
  if (existsSync(blob)) {
    const { digest, size } = await sha256File(blob)
    if (digest !== record.digest) return `corrupt blob: it hashes to ${digest}, its record says ${record.digest} (digest mismatch)`
    if (size !== record.compressedSize) return `blob is ${size} bytes, its record says ${record.compressedSize}`
  }
  return undefined
}

interface MountEntry {
  mountPoint: string
}

/** /proc/self/mountinfo's mount points (field 5, with its octal escapes undone). */
function mountPoints(): MountEntry[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ mountPoint: (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) }))
}

async function checkContainers(
  o: CheckOptions,
  report: CheckReport,
  problem: (subject: string, text: string, repair?: () => Promise<string>) => Promise<void>,
): Promise<void> {
  const containersDir = join(o.store.root, 'containers')
  const known = listContainers(o.stateRoot)
  report.checked.containers = known.length
  const ids = new Set(known.map((c) => c.id))
  const running = new Set(known.filter((c) => c.status === 'running').map((c) => c.id))
  const mounts = mountPoints()
  const cgroupMount = findCgroup2Mount()
  const parents = new Set([DEFAULT_CGROUP_PARENT, ...(o.cgroupParents ?? [])])
  for (const c of known) if (c.cgroup && c.cgroupMount) parents.add(dirname(c.cgroup).slice(c.cgroupMount.length + 1))

  // mounts under the store: a container's that is not running, or anything in tmp/
  for (const m of mounts) {
    if (!m.mountPoint.startsWith(o.store.root + '/')) continue
    const rel = m.mountPoint.slice(o.store.root.length + 1).split('/')
    const owner = rel[0] === 'containers' ? rel[1] : undefined
    if (owner !== undefined && running.has(owner)) continue
    if (owner === undefined && rel[0] !== 'tmp') continue
    await problem(`mount ${m.mountPoint}`, owner ? `of container ${owner.slice(0, 12)}, which ${ids.has(owner) ? 'is not running' : 'no longer exists'}` : 'left in the store\'s tmp/', async () => {
      execFileSync('umount', ['-l', m.mountPoint], { stdio: 'ignore' })
      return 'unmounted'
    })
  }

  for (const id of readdirOrEmpty(containersDir)) {
    if (!CONTAINER_ID.test(id) || ids.has(id)) continue
    const leaves = cgroupMount ? [...parents].map((p) => join(cgroupMount, p, id)).filter((p) => existsSync(p)) : []
    await problem(`container dir ${id.slice(0, 12)}`, `${join(containersDir, id)}: no such container in ${o.stateRoot} (its state is lost)${leaves.length ? `, with its cgroup leaf ${leaves.join(', ')}` : ''}`, async () => {
      // its processes are killed first
      for (const leaf of leaves) await destroyLeaf({ path: leaf, parent: dirname(leaf) }, cgroupMount!)
      for (const m of mounts) if (m.mountPoint.startsWith(join(containersDir, id) + '/')) execFileSync('umount', ['-l', m.mountPoint], { stdio: 'ignore' })
      await removeTree(join(containersDir, id))
      return 'removed'
    })
  }
}
