/**
 * One health check: the configured command run in the container as `exec`
 * runs one (its namespaces, cgroup, user and capabilities: exec-container.ts),
 * its output kept (4 KiB, as Docker keeps), killed when it runs past its
 * timeout. A check that cannot run at all counts as failed, with the
 * reason as its output, as Docker records it.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { describeError } from '../../errors.js'
import type { ContainerInfo } from '../container/containers.js'
import { prepareExec } from '../container/exec-container.js'
import { realHost } from '../container/real-host.js'
import { runHostSteps } from '../process/run-host-steps.js'
import { superviseProcess } from '../process/supervise.js'
import { EXIT_SIGNAL_BASE, KilledError } from '../process/exit-status.js'
import { formatDuration } from '../../duration.js'
import type { HealthSchedule } from './health-config.js'
import { MAX_OUTPUT, type HealthLogEntry } from './health-state.js'

export async function runHealthCheck(stateRoot: string, c: ContainerInfo, schedule: Pick<HealthSchedule, 'command' | 'timeoutMs'>): Promise<HealthLogEntry> {
  const Start = new Date().toISOString()
  const done = (ExitCode: number, Output: string): HealthLogEntry => ({ Start, End: new Date().toISOString(), ExitCode, Output })
  // the output goes to a file of the container's state: a pipe would need a reader while it runs
  const out = openSync(join(stateRoot, c.id, 'health-output'), 'w+', 0o600)
  const stdin = openSync('/dev/null', 'r')
  try {
    let launched
    try {
      const plan = prepareExec(c, { command: schedule.command, stateRoot })
      launched = await runHostSteps(plan, realHost, { stdio: [stdin, out, out] })
    } catch (err) {
      return done(-1, describeError(err))
    }
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        realHost.kill(launched.pid, 'SIGKILL')
      } catch {
        // it ended meanwhile
      }
    }, schedule.timeoutMs)
    try {
      const code = await superviseProcess(launched, realHost, { forwardSignals: false })
      if (timedOut) return done(-1, `Health check exceeded timeout (${formatDuration(schedule.timeoutMs * 1e6)})`)
      return done(code, readOutput(out))
    } catch (err) {
      return done(...failedCheck(err))
    } finally {
      clearTimeout(timer)
      launched.resources.closeFds()
    }
  } finally {
    closeSync(out)
    closeSync(stdin)
  }
}

/**
 * A check that did not run to its own exit, as its code and output: the
 * command could not be executed (126, 127); killed before it could start,
 * 128+N, as a check killed later (health-runner.ts waits for its container
 * then); anything else -1, the reason its output.
 */
export function failedCheck(err: unknown): [number, string] {
  if (err instanceof KilledError) return [EXIT_SIGNAL_BASE + err.signal, describeError(err)]
  const code = (err as { exitCode?: unknown }).exitCode
  return [typeof code === 'number' ? code : -1, describeError(err)]
}

function readOutput(fd: number): string {
  const buf = Buffer.alloc(MAX_OUTPUT)
  const n = readSync(fd, buf, 0, MAX_OUTPUT, 0)
  return buf.subarray(0, n).toString('utf8')
}
