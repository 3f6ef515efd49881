import type { ContainerInfo } from '../runtime/container/containers.js'

/** "5 seconds", "3 minutes", "2 hours", as Docker prints them. */
export function humanDuration(since: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(since)) / 1000))
  if (s < 1) return 'Less than a second'
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`
  const m = Math.round(s / 60)
  if (m < 60) return m === 1 ? 'About a minute' : `${m} minutes`
  const h = Math.round(m / 60)
  if (h < 48) return h === 1 ? 'About an hour' : `${h} hours`
  return `${Math.round(h / 24)} days`
}

/** Docker's STATUS column: "Up 3 minutes", "Exited (0) 5 seconds ago", "Created". */
export function statusText(c: ContainerInfo): string {
  if (c.status === 'running') return `Up ${humanDuration(c.created)}${healthSuffix(c)}`
  if (c.status === 'created') return 'Created'
  const code = c.exitCode ?? 255
  return `Exited (${code})${c.finishedAt ? ` ${humanDuration(c.finishedAt)} ago` : ''}`
}

/** Docker's health in the STATUS column: " (healthy)", " (unhealthy)", " (health: starting)". */
function healthSuffix(c: ContainerInfo): string {
  if (!c.health) return ''
  return c.health.Status === 'starting' ? ' (health: starting)' : ` (${c.health.Status})`
}
