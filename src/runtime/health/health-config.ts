/**
 * Docker's health check configuration: the image's HEALTHCHECK, `run
 * --health-*` and compose's `healthcheck:`, all one shape (the image
 * config's `Healthcheck`, times in nanoseconds), merged field by field as
 * Docker's daemon does (daemon/commit.go merge): a flag replaces only what
 * it names.
 */
import { UsageError } from '../../errors.js'

export interface HealthConfig {
  /** ["CMD", arg...], ["CMD-SHELL", "command"], or ["NONE"] (disabled); [] inherits the image's. */
  Test: string[]
  /** Nanoseconds, as Docker stores them; 0 or absent: the default. */
  Interval?: number
  Timeout?: number
  StartPeriod?: number
  StartInterval?: number
  Retries?: number
}

/** Docker's defaults (daemon/health.go). */
export const HEALTH_DEFAULTS = {
  interval: 30e9,
  timeout: 30e9,
  startPeriod: 0,
  startInterval: 5e9,
  retries: 3,
} as const

/** What a check runs, with every default filled in (milliseconds). */
export interface HealthSchedule {
  command: string[]
  intervalMs: number
  timeoutMs: number
  startPeriodMs: number
  startIntervalMs: number
  retries: number
}

/**
 * The container's check: the image's, with the run's fields over it.
 * Undefined when there is none, or it is disabled (NONE, --no-healthcheck):
 * then nothing runs and nothing is recorded.
 */
export function effectiveHealthcheck(image: HealthConfig | null | undefined, run: Partial<HealthConfig> | undefined): HealthConfig | undefined {
  const merged: HealthConfig = { ...(image ?? { Test: [] }) }
  for (const [key, value] of Object.entries(run ?? {}) as [keyof HealthConfig, HealthConfig[keyof HealthConfig]][]) {
    if (value === undefined) continue
    if (key === 'Test' ? (value as string[]).length > 0 : value !== 0) (merged as unknown as Record<string, unknown>)[key] = value
  }
  if (merged.Test.length === 0 || merged.Test[0] === 'NONE') return undefined
  checkHealthConfig(merged)
  return merged
}

export function checkHealthConfig(h: HealthConfig): void {
  const kind = h.Test[0]
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') throw new UsageError(`invalid health check test ${JSON.stringify(h.Test)}: it starts with CMD, CMD-SHELL or NONE`)
  if (h.Test.length < 2 || (kind === 'CMD-SHELL' && h.Test[1] === '')) throw new UsageError(`invalid health check test ${JSON.stringify(h.Test)}: no command`)
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const v = h[key]
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new UsageError(`invalid health check ${key}: ${v}`)
    // Docker: "Interval in Healthcheck cannot be less than 1ms"
    if (v !== undefined && v !== 0 && v < 1e6 && key !== 'StartPeriod') throw new UsageError(`health check ${key.toLowerCase()} cannot be less than 1ms`)
  }
  if (h.Retries !== undefined && !(Number.isInteger(h.Retries) && h.Retries >= 0)) throw new UsageError(`invalid health check retries: ${h.Retries}`)
}

/** The command a check runs: CMD's arguments, or CMD-SHELL's line under /bin/sh -c (as Docker on Linux). */
export function healthCommand(test: readonly string[]): string[] {
  return test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test.slice(1)
}

export function healthSchedule(h: HealthConfig): HealthSchedule {
  const or = (v: number | undefined, d: number) => (v ? v : d) / 1e6
  return {
    command: healthCommand(h.Test),
    intervalMs: or(h.Interval, HEALTH_DEFAULTS.interval),
    timeoutMs: or(h.Timeout, HEALTH_DEFAULTS.timeout),
    startPeriodMs: or(h.StartPeriod, HEALTH_DEFAULTS.startPeriod),
    startIntervalMs: or(h.StartInterval, HEALTH_DEFAULTS.startInterval),
    retries: h.Retries ? h.Retries : HEALTH_DEFAULTS.retries,
  }
}
