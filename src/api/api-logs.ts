/**
 * A container's log onto an API stream, read in-process as `mini-run logs`
 * reads it (container-logs.ts): the file is opened when the request comes,
 * so a client that reads its logs after removing the container (docker-py's
 * `containers.run(remove=True)` does) still gets them, as from Docker's
 * json-file.
 */
import type { Writable } from 'node:stream'
import { ApiError } from './cli-call.js'
import { frame } from './api-stream.js'
import type { Service } from './service.js'
import { inspectState, monitorAlive, type ContainerInfo } from '../runtime/container/containers.js'
import { keptLog } from '../runtime/container/container-log-kept.js'
import { readLogs } from '../runtime/container/container-logs.js'
import { readState } from '../runtime/container/state.js'
import { logBound } from '../cli/log-time.js'

export interface LogStreamOptions {
  stdout: boolean
  stderr: boolean
  follow: boolean
  timestamps?: boolean
  tail?: string | null
  since?: string | null
  until?: string | null
}

/** The log's path, or the API's error for a container that keeps none. */
export function logPathOf(svc: Service, c: ContainerInfo): string {
  try {
    return keptLog(svc.stateRoot, c)
  } catch (err) {
    throw new ApiError(501, (err as Error).message)
  }
}

/** tail, since and until as readLogs takes them; a bad one is a 400 (checked before an answer's head goes out). */
export function logBounds(o: Pick<LogStreamOptions, 'tail' | 'since' | 'until'>): { tail?: number; since?: string; until?: string } {
  const n = o.tail && o.tail !== 'all' ? Number(o.tail) : undefined
  if (n !== undefined && !Number.isInteger(n)) throw new ApiError(400, `invalid tail "${o.tail}"`)
  const bound = (v: string | null | undefined, name: string) => {
    if (!v || v === '0') return undefined
    try {
      return logBound(v, name)
    } catch (err) {
      throw new ApiError(400, (err as Error).message)
    }
  }
  const since = bound(o.since, 'since')
  const until = bound(o.until, 'until')
  return { ...(n !== undefined && n >= 0 ? { tail: n } : {}), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) }
}

/** Write the log onto out, framed unless the container has a terminal; resolves at its end (with follow, the container's exit). */
export async function streamLog(svc: Service, c: ContainerInfo, out: Writable, o: LogStreamOptions): Promise<void> {
  const path = logPathOf(svc, c)
  const raw = c.spec?.process.terminal === true
  await readLogs(path, {
    ...logBounds(o),
    timestamps: o.timestamps === true,
    follow: o.follow,
    running: () => {
      if (out.destroyed) return false
      try {
        const state = readState(svc.stateRoot, c.id)
        return inspectState(svc.stateRoot, state).status === 'running' || monitorAlive(state)
      } catch {
        return false
      }
    },
    write: (stream, text) => {
      if (out.destroyed || (stream === 'stdout' ? !o.stdout : !o.stderr)) return
      const payload = Buffer.from(text)
      if (out.write(raw ? payload : frame(stream === 'stdout' ? 1 : 2, payload))) return
      return new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done)
          out.off('close', done)
          resolve()
        }
        out.once('drain', done)
        out.once('close', done)
      })
    },
  })
}
