/**
 * `delete [--force] ID`: runtime.md "delete". A stopped container's cgroups
 * and directory go, then its poststop hooks run. A created one is killed
 * first (runc does so without --force: nothing of it ever ran); a running
 * or paused one only with --force. A --force delete of a container that
 * does not exist succeeds, as runc's does (containerd relies on it).
 */
import { dirname } from 'node:path'
import { MiniRunError } from '../errors.js'
import { destroyLeaf } from '../runtime/cgroup/cgroup.js'
import { destroyV1Leaf } from '../runtime/cgroup/cgroup-v1.js'
import { runHooks } from '../runtime/process/run-hooks.js'
import { signalAll, waitExited } from './container-procs.js'
import { readRecord, removeRecord, runtimeState, statusOf, type OciRecord } from './oci-state.js'

export async function deleteContainer(root: string, id: string, force = false): Promise<{ warnings: string[] }> {
  let rec: OciRecord
  try {
    rec = readRecord(root, id)
  } catch (err) {
    if (force && (err as MiniRunError).code === 'ENOTFOUND') return { warnings: [] }
    throw err
  }
  const status = statusOf(root, rec)
  if ((status === 'running' || status === 'paused') && !force) {
    throw new MiniRunError(`cannot delete container ${id} that is not stopped: ${status}`, { code: 'ERUNNING' })
  }
  if (status !== 'stopped') {
    signalAll(rec, 9)
    if (!(await waitExited(rec, 10_000))) throw new MiniRunError(`container ${id} did not exit within 10s of SIGKILL`, { code: 'ETIMEDOUT' })
  }
  await destroyCgroups(rec)
  const state = { ...runtimeState(root, rec), status: 'stopped' as const }
  removeRecord(root, id)
  const warnings: string[] = []
  const hooks = rec.spec.hooks?.poststop
  if (hooks?.length) await runHooks('poststop', hooks, state).catch((err: Error) => warnings.push(err.message))
  return { warnings }
}

/** Its leaves, not their parents: a parent such as podman's libpod_parent is the caller's. */
async function destroyCgroups(rec: OciRecord): Promise<void> {
  if (rec.cgroup) await destroyLeaf({ path: rec.cgroup.path, parent: dirname(rec.cgroup.path) }, dirname(rec.cgroup.path))
  for (const leaf of rec.cgroupV1 ?? []) await destroyV1Leaf(leaf.path)
}
