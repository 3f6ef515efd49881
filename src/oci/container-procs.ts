/**
 * The processes of an OCI container: its cgroup's (v2 leaf, else its v1
 * leaves), as runc's `ps` and `kill --all` see them, and its own process,
 * reached only through a pidfd checked against the recorded start time
 * (runtime/process/container-process.ts says why).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { closeSync } from 'node:fs'
import { isRecordedProcess, readProcStat } from '../proc-stat.js'
import { v1Procs } from '../runtime/cgroup/cgroup-v1.js'
import { openContainerProcess, signalProcess } from '../runtime/process/container-process.js'
import type { OciRecord } from './oci-state.js'

/** Every pid in the container's cgroup, sorted. */
export function containerPids(rec: OciRecord): number[] {
  const pids = new Set<number>()
  const files = rec.cgroup ? [join(rec.cgroup.path, 'cgroup.procs')] : []
  for (const file of files) {
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line) pids.add(Number(line))
    } catch {
      // the leaf is gone
    }
  }
  if (!rec.cgroup) for (const leaf of rec.cgroupV1 ?? []) for (const pid of v1Procs(leaf.path)) pids.add(pid)
  return [...pids].sort((a, b) => a - b)
}

/** Signal the container's own process; false when it has exited. */
export function signalInit(rec: OciRecord, signal: number): boolean {
  if (rec.pid === undefined) return false
  const pidfd = openContainerProcess({ pid: rec.pid, pidStartTime: rec.pidStartTime })
  if (pidfd === undefined) return false
  try {
    return signalProcess(pidfd, signal)
  } finally {
    closeSync(pidfd)
  }
}

const SIGKILL = 9

/** Signal every process of the container: SIGKILL through cgroup.kill (forks during the kill included), others one by one. */
export function signalAll(rec: OciRecord, signal: number): void {
  if (signal === SIGKILL && rec.cgroup && existsSync(join(rec.cgroup.path, 'cgroup.kill'))) {
    writeFileSync(join(rec.cgroup.path, 'cgroup.kill'), '1')
    return
  }
  signalInit(rec, signal)
  for (const pid of containerPids(rec)) {
    try {
      process.kill(pid, signal)
    } catch {
      // exited meanwhile
    }
  }
}

/** Wait until the container's process has exited (a zombie counts: its parent reaps it); false on timeout. */
export async function waitExited(rec: OciRecord, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) {
    if (rec.pid === undefined || !isRecordedProcess(readProcStat(rec.pid), rec.pidStartTime)) return true
  }
  return false
}
