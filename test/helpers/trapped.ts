// Wait for a container's shell to have set its trap before the test signals it.
import { readFileSync } from 'node:fs'
import { until } from './until.js'

/**
 * Wait until process `pid` (a host pid: inspect's State.Pid) catches signal number `sig`: the
 * bit in SigCgt of /proc/PID/status (proc(5)). A signal sent to a container's PID 1 before its
 * shell ran `trap` finds no handler, and the kernel drops it for a namespace's init
 * (pid_namespaces(7)): a stop would come to its SIGKILL instead of the trap's exit.
 */
export function trapped(pid: number, sig: number, ms = 20_000): Promise<void> {
  return until(`process ${pid}'s trap for signal ${sig}`, () => {
    const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0'
    return ((BigInt(`0x${mask}`) >> BigInt(sig - 1)) & 1n) === 1n
  }, ms, 10)
}
