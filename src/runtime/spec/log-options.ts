/**
 * Docker's --log-opt KEY=VALUE for the json-file driver: how large the log
 * of a detached container may grow before mini-run-monitor rotates it, and
 * how many files it keeps (pure).
 *
 * Without a cap, a container that prints without end fills the disk, and a
 * log larger than V8's longest string (2^29 - 24 characters) cannot be read
 * back by a reader that loads it whole: the container hides its own logs.
 * Docker's json-file driver has no cap by default; its `local` driver keeps
 * 5 files of 20m, and that is mini-run's default.
 */
import { UsageError } from '../../errors.js'

export interface LogConfig {
  /** Bytes container.log may hold before it is rotated (> 0). */
  maxSize: number
  /** Files kept, container.log included (>= 1; 1: truncated instead of rotated). */
  maxFile: number
  /** The options as given, defaults filled in: inspect's HostConfig.LogConfig.Config. */
  options: { 'max-size': string; 'max-file': string }
}

export const DEFAULT_LOG_OPTIONS = { 'max-size': '20m', 'max-file': '5' } as const

/** Keys of Docker's json-file driver that mini-run does not implement. */
const UNSUPPORTED = ['compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']

/**
 * go-units' FromHumanSize, which json-file uses for max-size: decimal
 * units (1k = 1000), case-insensitive, an optional "i" and "b" after the
 * unit, a fraction allowed, the result truncated to whole bytes.
 */
const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }

export function parseLogSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(text)
  if (!m) return undefined
  const bytes = Math.trunc(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}

/** --log-opt flags, in order (a later key wins, as in Docker's map). */
export function parseLogOptions(flags: string[]): LogConfig {
  const options: LogConfig['options'] = { ...DEFAULT_LOG_OPTIONS }
  for (const flag of flags) {
    const eq = flag.indexOf('=')
    const key = eq < 0 ? flag : flag.slice(0, eq)
    const value = eq < 0 ? '' : flag.slice(eq + 1)
    if (key === 'max-size' || key === 'max-file') options[key] = value
    else if (UNSUPPORTED.includes(key)) throw new UsageError(`--log-opt ${key}: not supported by mini-run (max-size, max-file)`)
    else throw new UsageError(`unknown log opt '${key}' for json-file log driver`)
  }
  const maxSize = parseLogSize(options['max-size'])
  if (maxSize === undefined || maxSize <= 0) {
    throw new UsageError(`invalid --log-opt max-size=${options['max-size']}: a positive size such as 10k, 1m or 20m`)
  }
  const maxFile = /^\d+$/.test(options['max-file']) ? Number(options['max-file']) : NaN
  if (!(maxFile >= 1 && maxFile <= 0x7fffffff)) {
    throw new UsageError(`invalid --log-opt max-file=${options['max-file']}: a whole number of files, at least 1`)
  }
  return { maxSize, maxFile, options }
}
