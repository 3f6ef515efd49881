/**
 * The OCI mode's containers on disk: `<root>/<id>/`, runc's layout. The
 * root (runc's --root, default /run/mini-run-oci) is private like the
 * Docker mode's state (private-dir.ts). Each container directory holds
 * `mini-run-oci.json`, the record below (written with write + rename), and,
 * between create and start, `exec.fifo`, on which the container's process
 * waits (native/stage-process.c op_wait_start).
 *
 * A container's status is never stored: it is read from the kernel each
 * time (runtime-spec runtime.md "State"). Its process, recorded by pid and
 * start time, gone (or a zombie): stopped. Alive with exec.fifo still
 * there: created. Its cgroup frozen: paused. Otherwise: running.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { isRoot } from '../paths.js'
import { checkPrivateDir, ensurePrivateDir } from '../private-dir.js'
import { isRecordedProcess, readProcStat } from '../proc-stat.js'
import type { V1Leaf } from '../runtime/cgroup/cgroup-v1.js'
import type { Spec } from '../runtime/spec/spec.js'

/** The runtime-spec version mini-run's OCI mode implements, as `state` reports it. */
export const OCI_VERSION = '1.2.0'

export type OciStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped'

export interface OciRecord {
  id: string
  /** The bundle's absolute path, and its root filesystem's. */
  bundle: string
  rootfs: string
  created: string
  /** The user who created it (list's OWNER). */
  owner: string
  /** The container's process as the host sees it; absent while it is being created. */
  pid?: number
  pidStartTime?: string
  annotations?: Record<string, string>
  /** The cgroup v2 leaf and its hierarchy's mount point; the v1 leaves (a hybrid host). */
  cgroup?: { path: string; mount: string }
  cgroupV1?: V1Leaf[]
  /** linux.cgroupsPath as given, or the id: where update makes a v1 leaf it did not need before. */
  cgroupsPath: string
  /** The config as read and completed (oci/oci-spec.ts): exec and update read it. */
  spec: Spec
}

/** runc's default --root is /run/runc; ours, /run/mini-run-oci ($XDG_RUNTIME_DIR/mini-run-oci when not root). */
export function defaultOciRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (isRoot()) return '/run/mini-run-oci'
  return join(env.XDG_RUNTIME_DIR || join('/tmp', `mini-run-${process.getuid?.() ?? 'user'}`), 'mini-run-oci')
}

const ROOT = { mode: 0o700, what: 'OCI state directory' }
const RECORD = 'mini-run-oci.json'

/** runc's rule for container ids (libcontainer's idRegex). */
const ID = /^[\w+.-]+$/

export function checkId(id: string): void {
  if (!ID.test(id) || id === '.' || id === '..' || id.length > 1024) {
    throw new MiniRunError(`invalid container id ${JSON.stringify(id)}: use letters, digits, and + - . _`, { code: 'EUSAGE' })
  }
}

export const containerDir = (root: string, id: string) => join(root, id)
export const fifoPath = (root: string, id: string) => join(root, id, 'exec.fifo')

/** Whether `<root>/<id>` is one of our containers (the CLI asks this to tell runc's verbs from Docker's). */
export function isOciContainer(root: string, id: string): boolean {
  return ID.test(id) && existsSync(join(root, id, RECORD))
}

/** Make the container's directory: fails if the id is taken (runc's message). */
export function reserve(root: string, id: string): void {
  checkId(id)
  ensurePrivateDir(root, ROOT)
  try {
    mkdirSync(containerDir(root, id), { mode: 0o700 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new MiniRunError(`container with id exists: ${id}`, { code: 'EEXIST' })
    throw err
  }
}

export function writeRecord(root: string, rec: OciRecord): void {
  const file = join(containerDir(root, rec.id), RECORD)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(rec) + '\n', { mode: 0o600 })
  renameSync(tmp, file)
}

/** The record of a container; throws "does not exist" (containerd looks for those words) when there is none. */
export function readRecord(root: string, id: string): OciRecord {
  checkId(id)
  let text: string
  try {
    if (!checkPrivateDir(root, ROOT)) throw Object.assign(new Error('no root'), { code: 'ENOENT' })
    text = readFileSync(join(containerDir(root, id), RECORD), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MiniRunError(`container ${id} does not exist`, { code: 'ENOTFOUND' })
    throw err
  }
  const rec = JSON.parse(text) as OciRecord
  const problem = recordProblem(rec, id)
  if (problem) throw new MiniRunError(`invalid state file ${join(containerDir(root, id), RECORD)}: ${problem}`, { code: 'EBADSTATE' })
  return rec
}

/** A record must not point delete at anything but its own container's cgroups. */
function recordProblem(r: OciRecord, id: string): string | undefined {
  if (typeof r !== 'object' || r === null || r.id !== id) return 'its id is not its directory\'s name'
  if (r.pid !== undefined && !(Number.isInteger(r.pid) && r.pid > 0)) return 'bad pid'
  if (r.pidStartTime !== undefined && !/^\d+$/.test(String(r.pidStartTime))) return 'bad pidStartTime'
  const underCgroupFs = (p: unknown) => typeof p === 'string' && p.startsWith('/sys/fs/cgroup/') && !p.split('/').includes('..')
  if (r.cgroup && !(underCgroupFs(r.cgroup.path) && r.cgroup.path.startsWith(r.cgroup.mount + '/'))) return 'bad cgroup'
  if (r.cgroupV1 && !(Array.isArray(r.cgroupV1) && r.cgroupV1.every((l) => underCgroupFs(l.path)))) return 'bad cgroupV1'
  return undefined
}

export function removeRecord(root: string, id: string): void {
  rmSync(containerDir(root, id), { recursive: true, force: true })
}

/** The ids under the root (list). */
export function listIds(root: string): string[] {
  if (!checkPrivateDir(root, ROOT)) return []
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, RECORD)))
    .map((e) => e.name)
    .sort()
}

/** The status, from the kernel (see the top of this file). */
export function statusOf(root: string, rec: OciRecord): OciStatus {
  if (rec.pid === undefined) return 'creating'
  if (!isRecordedProcess(readProcStat(rec.pid), rec.pidStartTime)) return 'stopped'
  if (existsSync(fifoPath(root, rec.id))) return 'created'
  if (rec.cgroup && isFrozen(rec.cgroup.path)) return 'paused'
  return 'running'
}

function isFrozen(leaf: string): boolean {
  try {
    return /^frozen 1$/m.test(readFileSync(join(leaf, 'cgroup.events'), 'utf8'))
  } catch {
    return false
  }
}

/** The state as the runtime spec defines it (runtime.md "State"), field for field. */
export function runtimeState(root: string, rec: OciRecord): { ociVersion: string; id: string; status: OciStatus; pid?: number; bundle: string; annotations?: Record<string, string> } {
  const status = statusOf(root, rec)
  return {
    ociVersion: OCI_VERSION,
    id: rec.id,
    status,
    ...(status === 'created' || status === 'running' || status === 'paused' ? { pid: rec.pid } : {}),
    bundle: rec.bundle,
    ...(rec.annotations ? { annotations: rec.annotations } : {}),
  }
}
