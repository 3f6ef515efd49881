/**
 * `pause` / `resume`: the cgroup v2 freezer (cgroup.freeze, Linux 5.2),
 * which every v2 cgroup has, on a hybrid host too. Freezing is not
 * instant: cgroup.events says "frozen 1" once every process is stopped.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../errors.js'
import { readRecord, statusOf, type OciRecord } from './oci-state.js'

export async function pauseContainer(root: string, id: string): Promise<void> {
  const rec = readRecord(root, id)
  if (statusOf(root, rec) !== 'running') throw new MiniRunError('container not running', { code: 'ENOTRUNNING' })
  await freeze(rec, true)
}

export async function resumeContainer(root: string, id: string): Promise<void> {
  const rec = readRecord(root, id)
  if (statusOf(root, rec) !== 'paused') throw new MiniRunError('container not paused', { code: 'ENOTPAUSED' })
  await freeze(rec, false)
}

async function freeze(rec: OciRecord, frozen: boolean): Promise<void> {
  if (!rec.cgroup) throw new MiniRunError(`container ${rec.id} has no cgroup v2 leaf to freeze`, { code: 'ENOCONTROLLER' })
  writeFileSync(join(rec.cgroup.path, 'cgroup.freeze'), frozen ? '1' : '0')
  const want = `frozen ${frozen ? 1 : 0}`
  for (const end = Date.now() + 10_000; ; await sleep(5)) {
    if (readFileSync(join(rec.cgroup.path, 'cgroup.events'), 'utf8').split('\n').includes(want)) return
    if (Date.now() > end) throw new MiniRunError(`container ${rec.id}: cgroup.events still not "${want}" after 10s`, { code: 'ETIMEDOUT' })
  }
}
