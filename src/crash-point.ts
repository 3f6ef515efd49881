/**
 * Fault injection: MINI_RUN_CRASH_AT=<point> makes mini-run kill itself
 * with SIGKILL when it reaches that point, as a crash or a kill -9 would.
 * Tests use it to check that every half-done operation is cleaned up by
 * the next command (`rm -f`, the store's tmp/ sweep). Points are named
 * "<operation>:<where>", e.g. "start:before-clone".
 */
export function crashPoint(name: string): void {
  if (process.env.MINI_RUN_CRASH_AT === name) process.kill(process.pid, 'SIGKILL')
}
