/**
 * One watch per project and state root, as Docker Compose's pid file
 * ($XDG_RUNTIME_DIR/<project>.pid) allows one: two would sync, restart and
 * rebuild every change twice, racing each other. The lock is a file made
 * with O_EXCL under the state root, `compose-watch/<project>.pid`, holding
 * the watch's pid and start time: one left by a watch that no longer runs
 * (killed, or the machine rebooted; the start time tells a reused pid
 * apart) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { isRecordedProcess, processStartTime, readProcStat } from '../proc-stat.js'

/** Take the project's watch lock; returns its release. */
export function lockWatch(stateRoot: string, project: string): () => void {
  const dir = join(stateRoot, 'compose-watch')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `${project}.pid`)
  const mine = `${process.pid} ${processStartTime(process.pid) ?? ''}\n`
  for (let tries = 0; ; tries++) {
    let fd: number
    try {
      fd = openSync(path, 'wx', 0o644)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 2) throw err
      const [pid, startTime] = readLock(path)
      if (pid !== undefined && isRecordedProcess(readProcStat(pid), startTime)) {
        throw new MiniRunError(`cannot take exclusive lock for project "${project}": process with PID ${pid} is still running`, { code: 'EWATCHLOCK' })
      }
      // left by a watch that has ended: taken over
      try {
        unlinkSync(path)
      } catch {
        // another watch took it over first: the next try says so
      }
      continue
    }
    try {
      writeSync(fd, mine)
    } finally {
      closeSync(fd)
    }
    const release = () => {
      process.off('exit', release)
      // only our own: a lock another watch took over after ours was judged stale stays
      try {
        if (readFileSync(path, 'utf8') === mine) unlinkSync(path)
      } catch {
        // gone already
      }
    }
    // a second Ctrl-C's process.exit too
    process.once('exit', release)
    return release
  }
}

function readLock(path: string): [number | undefined, string | undefined] {
  try {
    const [pid, startTime] = readFileSync(path, 'utf8').trim().split(' ')
    return [/^\d+$/.test(pid ?? '') ? Number(pid) : undefined, startTime || undefined]
  } catch {
    return [undefined, undefined]
  }
}
