import { dockerStatus } from '../runtime/container/filter-containers.js'
import type { ContainerInfo } from '../runtime/container/containers.js'

/** go-units HumanDuration, which Docker uses for CREATED and STATUS: "5 seconds", "About a minute", "3 hours". */
export function humanDurationMs(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  const minutes = Math.floor(seconds / 60)
  const hours = Math.floor(ms / 3_600_000 + 0.5)
  if (seconds < 1) return 'Less than a second'
  if (seconds === 1) return '1 second'
  if (seconds < 60) return `${seconds} seconds`
  if (minutes === 1) return 'About a minute'
  if (minutes < 60) return `${minutes} minutes`
  if (hours === 1) return 'About an hour'
  if (hours < 48) return `${hours} hours`
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`
}

/** The time since an ISO date, as Docker prints it. */
export function humanDuration(since: string, now = Date.now()): string {
  return humanDurationMs(Math.max(0, now - Date.parse(since)))
}

/** Docker's STATUS column: "Up 3 minutes", "Up 2 seconds (Paused)", "Up 5 seconds (healthy)", "Exited (0) 5 seconds ago", "Restarting (1) 1 second ago", "Created", "Removal In Progress". */
export function statusText(c: ContainerInfo, now = Date.now()): string {
  const status = dockerStatus(c)
  if (status === 'created') return 'Created'
  if (status === 'removing') return 'Removal In Progress'
  if (c.status === 'running') return `Up ${humanDuration(c.startedAt ?? c.created, now)}${status === 'paused' ? ' (Paused)' : healthSuffix(c)}`
  const code = c.exitCode ?? 255
  const ago = c.finishedAt ? ` ${humanDuration(c.finishedAt, now)} ago` : ''
  return `${status === 'restarting' ? 'Restarting' : 'Exited'} (${code})${ago}`
}

/** Docker's health in the STATUS column: " (healthy)", " (unhealthy)", " (health: starting)". */
function healthSuffix(c: ContainerInfo): string {
  if (!c.health) return ''
  return c.health.Status === 'starting' ? ' (health: starting)' : ` (${c.health.Status})`
}
