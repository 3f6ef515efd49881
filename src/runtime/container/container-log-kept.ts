/**
 * Whether a container's output was kept for `logs`. Only a monitor keeps
 * one (`run -d`, `create` and `start`): a foreground `run` hands the
 * container its own stdout and stderr, and `--log-driver none` sends the
 * output to /dev/null. Docker keeps a log for a foreground run too, and
 * refuses a driver that keeps nothing ("configured logging driver does not
 * support reading", exit 1); mini-run refuses both, saying which it is,
 * rather than print an empty log that looks like a silent container.
 */
import { existsSync } from 'node:fs'
import { MiniRunError } from '../../errors.js'
import { logFile } from './containers.js'
import type { ContainerState } from './state.js'

/** The container keeps no log; exit 1, as Docker's CLI exits on the daemon's refusal. */
export class NoLogError extends MiniRunError {
  override name = 'NoLogError'
  readonly exitCode = 1
  constructor(message: string) {
    super(`${message} (configured logging driver does not support reading)`, { code: 'ENOLOG' })
  }
}

/** The path of its log (container.log; rotated files beside it), or NoLogError saying why it has none. */
export function keptLog(stateRoot: string, c: Pick<ContainerState, 'id' | 'name' | 'logConfig'>): string {
  const path = logFile(stateRoot, c.id)
  if (c.logConfig?.type === 'none') throw new NoLogError(`container ${c.name} has --log-driver none: its output is not kept`)
  // no logConfig: a foreground run's, unless a later `start` ran it under a monitor, which logged
  // (a rotation leaves container.log missing for a moment, .1 there)
  if (!c.logConfig && !existsSync(path) && !existsSync(`${path}.1`)) {
    throw new NoLogError(`container ${c.name} ran in the foreground: its output went to the caller and was not kept`)
  }
  return path
}
