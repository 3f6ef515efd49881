/**
 * The container a request names (its id, a prefix, or its name, as the CLI
 * resolves one), or Docker's 404; and whether it runs, as the API says.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { ApiError } from './cli-call.js'
import { eventLogPath } from '../events/event-log.js'
import type { Service } from './service.js'
import { findContainer, type ContainerInfo } from '../runtime/container/containers.js'

/** The container a path names, or Docker's 404. */
export function containerOf(svc: Service, ref: string): ContainerInfo {
  try {
    return findContainer(svc.stateRoot, ref)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ENOCONTAINER') throw new ApiError(404, `No such container: ${ref}`)
    if (code === 'EAMBIGUOUS') throw new ApiError(400, (err as Error).message)
    throw err
  }
}

/** Running, as Docker's State.Running says: a container its restart policy is restarting counts too. */
export const running = (c: ContainerInfo): boolean => c.status === 'running' || c.restarting === true

/** The events log's last 256 kB, newest line first (src/events/event-log.ts). */
function recentEvents(stateRoot: string): string[] {
  try {
    const fd = openSync(eventLogPath(stateRoot), 'r')
    try {
      const size = fstatSync(fd).size
      const length = Math.min(size, 256 * 1024)
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, size - length)
      return buffer.toString().split('\n').reverse()
    } finally {
      closeSync(fd)
    }
  } catch {
    return []
  }
}

interface EventLine {
  Action?: string
  timeNano?: number
  Actor?: { ID?: string; Attributes?: { exitCode?: string } }
}

/** The newest event of a container with this action, from the events log. */
function lastEvent(stateRoot: string, id: string, action: string): EventLine | undefined {
  for (const line of recentEvents(stateRoot)) {
    if (!line.includes(id) || !line.includes(`"${action}"`)) continue
    try {
      const e = JSON.parse(line) as EventLine
      if (e.Action === action && e.Actor?.ID === id) return e
    } catch {
      // the first line, cut by the read
    }
  }
  return undefined
}

/** The exit code of a container's last die event: a --rm container's, once it is gone. */
export function exitFromEvents(stateRoot: string, id: string): number | undefined {
  const code = lastEvent(stateRoot, id, 'die')?.Actor?.Attributes?.exitCode
  return code === undefined ? undefined : Number(code)
}

/** Whether it started since then (ms): a --rm container that ran and went between two looks. */
export function startedSince(stateRoot: string, id: string, sinceMs: number): boolean {
  const e = lastEvent(stateRoot, id, 'start')
  return e?.timeNano !== undefined && e.timeNano / 1e6 >= sinceMs - 2
}
