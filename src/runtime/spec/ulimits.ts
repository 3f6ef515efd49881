/**
 * Docker's --ulimit NAME=SOFT[:HARD] as OCI process.rlimits, and the
 * setrlimit(2) resource numbers they name (pure).
 *
 * Raising a hard limit above the runtime's own needs CAP_SYS_RESOURCE in
 * the initial user namespace (setrlimit(2)); without it the setrlimit step
 * fails with EPERM and the run stops with one line naming the limit, as
 * Docker's does. Lowering always works.
 */
import { UsageError } from '../../errors.js'

/** RLIMIT_* of asm-generic/resource.h (x86-64 and arm64 use these). */
export const RLIMIT_NUMBERS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
}

/** RLIM_INFINITY: in an OCI config.json 18446744073709551615, which a JS number rounds to 2^64. */
export const UNLIMITED = 2 ** 64

export interface Rlimit {
  type: string
  soft: number
  hard: number
}

function value(text: string, flag: string): number {
  if (text === '-1' || text === 'unlimited') return UNLIMITED
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`invalid --ulimit ${flag}: "${text}" is not a number (or -1 for unlimited)`)
  }
  return Number(text)
}

/** --ulimit nofile=1024:2048, nproc=512, core=-1 ... */
export function parseUlimit(flag: string): Rlimit {
  const eq = flag.indexOf('=')
  const name = eq < 0 ? '' : flag.slice(0, eq)
  const type = `RLIMIT_${name.toUpperCase()}`
  if (!name || RLIMIT_NUMBERS[type] === undefined) {
    const names = Object.keys(RLIMIT_NUMBERS).map((n) => n.slice(7).toLowerCase()).join(', ')
    throw new UsageError(`invalid --ulimit ${flag}: expected NAME=SOFT[:HARD], NAME one of ${names}`)
  }
  const [softText = '', hardText, extra] = flag.slice(eq + 1).split(':')
  if (extra !== undefined) throw new UsageError(`invalid --ulimit ${flag}: expected NAME=SOFT[:HARD]`)
  const soft = value(softText, flag)
  const hard = hardText === undefined ? soft : value(hardText, flag)
  if (soft > hard) throw new UsageError(`invalid --ulimit ${flag}: the soft limit is above the hard limit`)
  return { type, soft, hard }
}

/** Several --ulimit flags; a later one for the same resource replaces the earlier, as in Docker. */
export function parseUlimits(flags: readonly string[]): Rlimit[] {
  const byType = new Map<string, Rlimit>()
  for (const f of flags) {
    const r = parseUlimit(f)
    byType.set(r.type, r)
  }
  return [...byType.values()]
}

/** A limit as setrlimit(2) takes it: RLIM_INFINITY is ~0. */
export function rlimitValue(v: number): bigint {
  return v >= 2 ** 63 ? (1n << 64n) - 1n : BigInt(v)
}
