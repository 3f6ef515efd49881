/**
 * `update`'s flag values as Docker's CLI parses them, before the verb runs:
 * pflag's Set of each flag's type (docker/cli opts.MemBytes and
 * MemSwapBytes: go-units RAMInBytes; opts.NanoCPUs: a big.Rat; Int64 flags:
 * strconv.ParseInt with base 0). A value they refuse is a flag error, exit
 * 125, in pflag's words: `invalid argument "abc" for "-m, --memory" flag:
 * invalid size: 'abc'`. What they accept is given on in plain decimal
 * (bytes, a CPU count, an integer) for the runtime's own checks, which are
 * the daemon's (the 6 MB minimum, swap below memory: exit 1).
 */
import { FlagValueError } from './exit-codes.js'

export interface UpdateFlagValues {
  memory?: string
  memorySwap?: string
  pidsLimit?: string
  cpus?: string
  cpuShares?: string
  cpuPeriod?: string
  cpuQuota?: string
  cpusetCpus?: string
  cpusetMems?: string
  memoryReservation?: string
  blkioWeight?: string
}

/** The values checked and normalized; throws FlagValueError at the first the CLI would refuse. */
export function parseUpdateFlagValues(f: UpdateFlagValues): UpdateFlagValues {
  const out: UpdateFlagValues = { ...f }
  if (f.memory !== undefined) out.memory = String(ramInBytes(f.memory, '-m, --memory'))
  if (f.memorySwap !== undefined) out.memorySwap = f.memorySwap === '-1' ? '-1' : String(ramInBytes(f.memorySwap, '--memory-swap'))
  if (f.pidsLimit !== undefined) out.pidsLimit = String(parseInt64(f.pidsLimit, '--pids-limit'))
  if (f.cpuShares !== undefined) out.cpuShares = String(parseInt64(f.cpuShares, '-c, --cpu-shares'))
  if (f.cpus !== undefined) out.cpus = String(Number(nanoCpus(f.cpus)) / 1e9)
  if (f.cpuPeriod !== undefined) out.cpuPeriod = String(parseInt64(f.cpuPeriod, '--cpu-period'))
  if (f.cpuQuota !== undefined) out.cpuQuota = String(parseInt64(f.cpuQuota, '--cpu-quota'))
  if (f.memoryReservation !== undefined) out.memoryReservation = String(ramInBytes(f.memoryReservation, '--memory-reservation'))
  if (f.blkioWeight !== undefined) out.blkioWeight = String(parseUint16(f.blkioWeight, '--blkio-weight'))
  return out
}

function refused(value: string, flag: string, why: string): FlagValueError {
  return new FlagValueError(`invalid argument "${value}" for "${flag}" flag: ${why}`)
}

const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }

/** go-units RAMInBytes: a number, an optional space, a binary unit (k, m, g, t, p), an optional i and b; any case. */
function ramInBytes(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(text)
  // "1.2.3" passes the pattern and fails strconv.ParseFloat
  if (!m || !/^\d+(\.\d+)?$/.test(m[1]!)) {
    throw refused(text, flag, m ? `strconv.ParseFloat: parsing "${m[1]}": invalid syntax` : `invalid size: '${text}'`)
  }
  return Math.trunc(Number(m[1]) * BINARY[(m[2] ?? '').toLowerCase()]!)
}

/** strconv.ParseInt(s, 0, 64): a sign, then decimal, or 0x, 0o (or 0), 0b with underscores between digits. */
function parseInt64(text: string, flag: string): bigint {
  const m = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])+|[1-9]\d*|0)$/.exec(text)
  if (!m) throw refused(text, flag, `strconv.ParseInt: parsing "${text}": invalid syntax`)
  const body = m[2]!.replace(/_/g, '')
  const digits = /^0\d/.test(body) ? `0o${body.slice(1)}` : body
  const value = BigInt(digits) * (m[1] === '-' ? -1n : 1n)
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n)) throw refused(text, flag, `strconv.ParseInt: parsing "${text}": value out of range`)
  return value
}

/** pflag's Uint16: strconv.ParseUint(s, 0, 16), decimal here. */
function parseUint16(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw refused(text, flag, `strconv.ParseUint: parsing "${text}": invalid syntax`)
  if (Number(text) > 65535) throw refused(text, flag, `strconv.ParseUint: parsing "${text}": value out of range`)
  return Number(text)
}

/** opts.ParseCPUs: big.Rat's SetString (a fraction a/b, or a decimal with an exponent), times 1e9, which must be whole. */
function nanoCpus(text: string): bigint {
  const flag = '--cpus'
  const fraction = /^([+-]?\d+)\/(\d+)$/.exec(text)
  if (fraction) {
    const [num, den] = [BigInt(fraction[1]!), BigInt(fraction[2]!)]
    if (den === 0n) throw refused(text, flag, `failed to parse ${text} as a rational number`)
    if ((num * 1_000_000_000n) % den !== 0n) throw refused(text, flag, 'value is too precise')
    return (num * 1_000_000_000n) / den
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw refused(text, flag, `failed to parse ${text} as a rational number`)
  const digits = BigInt(`${m[2]}${m[3] ?? ''}` || '0')
  // value = digits * 10^-(decimals - exponent); nano = value * 10^9
  // (an exponent past any int64 is cut short: Go's Int64 of such a value means nothing either)
  const shift = Math.min(9 - (m[3] ?? '').length + Number(m[4] ?? 0), 40)
  let nano: bigint
  if (shift >= 0) nano = digits * 10n ** BigInt(shift)
  else {
    const div = 10n ** BigInt(-shift)
    if (digits % div !== 0n) throw refused(text, flag, 'value is too precise')
    nano = digits / div
  }
  return m[1] === '-' ? -nano : nano
}
