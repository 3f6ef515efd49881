/**
 * Docker's block I/O flags (--blkio-weight, --blkio-weight-device,
 * --device-read-bps, --device-write-bps, --device-read-iops,
 * --device-write-iops) as the OCI spec's linux.resources.blockIO: the
 * values checked with docker/cli's words (opts/weightdevice.go,
 * opts/throttledevice.go) and the daemon's, each device path turned into
 * its major:minor as the daemon does (a stat of the node) when the run is
 * on this host. cgroup-limits.ts writes them: io.weight and io.max on
 * cgroup v2, blkio.* on a v1 blkio hierarchy.
 */
import { statSync } from 'node:fs'
import { UsageError } from '../../errors.js'

/** linux.resources.blockIO of the OCI spec (config-linux.md "Block IO"), as cgroup-limits.ts writes it. */
export interface SpecBlockIO {
  /** 10..1000 */
  weight?: number
  weightDevice?: { major: number; minor: number; weight?: number }[]
  throttleReadBpsDevice?: ThrottleDevice[]
  throttleWriteBpsDevice?: ThrottleDevice[]
  throttleReadIOPSDevice?: ThrottleDevice[]
  throttleWriteIOPSDevice?: ThrottleDevice[]
}

export interface ThrottleDevice {
  major: number
  minor: number
  rate: number
}

export interface BlkioFlags {
  blkioWeight?: string
  blkioWeightDevice?: readonly string[]
  deviceReadBps?: readonly string[]
  deviceWriteBps?: readonly string[]
  deviceReadIops?: readonly string[]
  deviceWriteIops?: readonly string[]
}

const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }

/** go-units RAMInBytes: 10, 10k, 1.5mb, 2MiB, "1 g" (powers of 1024). */
export function ramInBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(text)
  // "1.2.3" matches go-units' pattern, and its ParseFloat refuses it
  if (!m || !Number.isFinite(Number(m[1]))) return undefined
  return Math.floor(Number(m[1]) * BINARY[(m[2] ?? '').toLowerCase()]!)
}

/**
 * A device path and the value after it. docker/cli cuts at the first colon;
 * the last one here, so that a path with colons in it (/dev/disk/by-path/
 * pci-0000:00:1f.2-ata-1, which a compose file may name) is one path: the
 * value never has one.
 */
export function devicePart(text: string): { path: string; value: string } {
  const at = text.lastIndexOf(':')
  if (at <= 0) throw new UsageError(`bad format: ${text}`)
  const path = text.slice(0, at)
  if (!path.startsWith('/dev/')) throw new UsageError(`bad format for device path: ${text}`)
  return { path, value: text.slice(at + 1) }
}

/** 10..1000, or 0 for none (docker/cli's weight, the daemon's range). */
function weightOf(text: string, bad: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(bad)
  const n = Number(text)
  if (n > 0 && (n < 10 || n > 1000)) throw new UsageError(bad)
  return n
}

/** A block device's major and minor numbers: the node's, as the daemon stats it; on this host only. */
export function blockDeviceNumbers(path: string): { major: number; minor: number } {
  let st
  try {
    st = statSync(path, { bigint: true })
  } catch (err) {
    // the daemon's words: its os.PathError
    throw new UsageError(`stat ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`)
  }
  if (!st.isBlockDevice()) throw new UsageError(`${path} is not a block device`)
  // glibc's gnu_dev_major and gnu_dev_minor
  const rdev = st.rdev
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn))
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn))
  return { major, minor }
}

/**
 * The flags' blockIO, undefined when none is given. onHost false: the
 * values alone (a compose file checked at load), each device 0:0.
 */
export function blockIOFromFlags(f: BlkioFlags, onHost = true): SpecBlockIO | undefined {
  const io: SpecBlockIO = {}
  const device = (path: string) => (onHost ? blockDeviceNumbers(path) : { major: 0, minor: 0 })
  if (f.blkioWeight !== undefined) {
    const weight = weightOf(f.blkioWeight, 'Range of blkio weight is from 10 to 1000')
    if (weight > 0) io.weight = weight
  }
  const weights = (f.blkioWeightDevice ?? []).map((text) => {
    const { path, value } = devicePart(text)
    const weight = weightOf(value, `invalid weight for device: ${text}`)
    return { ...device(path), ...(weight > 0 ? { weight } : {}) }
  })
  if (weights.length) io.weightDevice = weights
  const throttle = (list: readonly string[] | undefined, parse: (value: string, text: string) => number): ThrottleDevice[] | undefined => {
    const out = (list ?? []).map((text) => {
      const { path, value } = devicePart(text)
      return { ...device(path), rate: parse(value, text) }
    })
    return out.length ? out : undefined
  }
  const bps = (value: string, text: string) => {
    const n = ramInBytes(value)
    if (n === undefined) throw new UsageError(`invalid rate for device: ${text}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`)
    return n
  }
  const iops = (value: string, text: string) => {
    if (!/^\d+$/.test(value)) throw new UsageError(`invalid rate for device: ${text}. The correct format is <device-path>:<number>. Number must be a positive integer`)
    return Number(value)
  }
  const lists = {
    throttleReadBpsDevice: throttle(f.deviceReadBps, bps),
    throttleWriteBpsDevice: throttle(f.deviceWriteBps, bps),
    throttleReadIOPSDevice: throttle(f.deviceReadIops, iops),
    throttleWriteIOPSDevice: throttle(f.deviceWriteIops, iops),
  }
  for (const [key, list] of Object.entries(lists)) if (list) io[key as keyof typeof lists] = list
  return Object.keys(io).length ? io : undefined
}

/** The spec's lists and the flags they come from, in the same order. */
const GIVEN_LISTS = [
  ['weightDevice', 'blkioWeightDevice'], ['throttleReadBpsDevice', 'deviceReadBps'], ['throttleWriteBpsDevice', 'deviceWriteBps'],
  ['throttleReadIOPSDevice', 'deviceReadIops'], ['throttleWriteIOPSDevice', 'deviceWriteIops'],
] as const

/**
 * The block devices of a recorded spec found again by their paths (the
 * flags as given), as Docker's daemon stats them at every start: a
 * device's numbers can change across reboots or a re-attach, and a device
 * gone fails the start in the daemon's words.
 */
export function blockIOAgain(io: SpecBlockIO | undefined, given: Partial<Record<(typeof GIVEN_LISTS)[number][1], readonly string[]>> | undefined): SpecBlockIO | undefined {
  if (!io || !given) return io
  const out: SpecBlockIO = { ...io }
  for (const [key, flag] of GIVEN_LISTS) {
    const list = io[key]
    const paths = given[flag]
    if (!list || !paths || paths.length !== list.length) continue
    ;(out as Record<string, unknown>)[key] = list.map((d, i) => ({ ...d, ...blockDeviceNumbers(devicePart(paths[i]!).path) }))
  }
  return out
}
