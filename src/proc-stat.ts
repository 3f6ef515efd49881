/**
 * Which process holds a pid now: /proc/<pid>/stat (proc(5)).
 *
 * A pid is a number the kernel hands out again once its process has been
 * reaped (pid_max is 32768 on many hosts, so it happens within minutes on a
 * busy one). The start time, field 22 (clock ticks since boot), tells the
 * process recorded at a container's start from a later one on its pid. One
 * read of the file describes one process. Read only, no native code: `ps`
 * calls this for every container.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'

export interface ProcStat {
  /** Field 2, the command name (15 bytes at most, may hold spaces and parens). */
  comm: string
  /** Field 3: R, S, D, T... Z is a zombie: exited, only its status is left. */
  state: string
  /** Field 4: the parent's pid. */
  ppid: number
  /** Field 22, as written (a decimal count of clock ticks since boot). */
  startTime: string
}

export function parseProcStat(text: string): ProcStat | undefined {
  // the name may hold ") ": the fields after it start at the last paren
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  // state is the first field after the name, starttime the 20th: found by
  // their blanks, not a split into all fifty (a run reads its container's)
  let at = close + 2
  for (let field = 0; field < 19 && at > 0; field++) at = text.indexOf(' ', at) + 1
  const afterState = text.indexOf(' ', close + 2)
  const state = text.slice(close + 2, afterState)
  const ppid = Number(text.slice(afterState + 1, text.indexOf(' ', afterState + 1)))
  const end = text.indexOf(' ', at)
  const startTime = at > 0 ? text.slice(at, end < 0 ? text.trimEnd().length : end) : ''
  if (!state || !/^\d+$/.test(startTime)) return undefined
  return { comm: text.slice(open + 1, close), state, ppid, startTime }
}

export function readProcStat(pid: number): ProcStat | undefined {
  // a look before the read: the ENOENT error of a process that is gone costs
  // 20-35 us to make and throw, the look 7 (ps asks for several per container)
  if (!existsSync(`/proc/${pid}`)) return undefined
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

/** The process that started at startTime, and it has not exited. */
export function isRecordedProcess(stat: ProcStat | undefined, startTime: string | undefined): boolean {
  if (!stat || startTime === undefined) return false
  return stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X'
}

/** Whether a process started later than another (by their recorded start times). */
export function startedAfter(a: string, b: string): boolean {
  return BigInt(a) > BigInt(b)
}

/** Field 22 of /proc/<pid>/stat, or undefined if there is no such process. */
export function processStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.startTime
}

/**
 * A process's children: /proc/PID/task/PID/children (its main thread's,
 * which are the ones it made unless other threads fork), or, on a kernel
 * without CONFIG_PROC_CHILDREN, every process whose parent it is.
 */
export function childPids(pid: number, listed = existsSync(`/proc/${pid}/task/${pid}/children`)): number[] {
  if (listed) {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
    } catch {
      return []
    }
  }
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((n) => readProcStat(n)?.ppid === pid)
}
