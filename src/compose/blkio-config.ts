/**
 * A service's blkio_config (the Compose Specification's weight,
 * weight_device, device_read_bps, device_write_bps, device_read_iops,
 * device_write_iops) as run's block I/O flags, "PATH:VALUE" each
 * (runtime/cgroup/blkio-flags.ts checks them as run does). A rate is
 * bytes or a size (12mb), kept as a number, as compose-go reads it
 * (UnitBytes, for IOPS too).
 */
import { devicePart, ramInBytes } from '../runtime/cgroup/blkio-flags.js'
import type { At } from './compose-error.js'
import type { BlkioConfig } from './model.js'
import { int, isMap, str, type Raw } from './values.js'

const LISTS = { weight_device: 'weight', device_read_bps: 'rate', device_write_bps: 'rate', device_read_iops: 'rate', device_write_iops: 'rate' } as const

export function blkioOf(v: unknown, at: At): BlkioConfig | undefined {
  if (v === undefined || v === null) return undefined
  if (!isMap(v)) throw at.error('expected a mapping')
  for (const key of Object.keys(v)) if (key !== 'weight' && !(key in LISTS) && !key.startsWith('x-')) throw at.at(key).error('not supported by mini-run')
  const list = (key: keyof typeof LISTS, value: (x: unknown, at: At) => string): string[] => {
    const items = v[key]
    if (items === undefined || items === null) return []
    if (!Array.isArray(items)) throw at.at(key).error('expected a list')
    return items.map((item: unknown, i) => {
      const here = at.at(key, i)
      if (!isMap(item)) throw here.error('expected a mapping with path and ' + LISTS[key])
      const r = item as Raw
      if (r.path === undefined) throw here.at('path').error('missing')
      if (r[LISTS[key]] === undefined) throw here.at(LISTS[key]).error('missing')
      return `${str(r.path, here.at('path'))}:${value(r[LISTS[key]], here.at(LISTS[key]))}`
    })
  }
  const whole = (x: unknown, here: At) => String(int(x, here))
  const bytes = (x: unknown, here: At) => {
    const n = typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : ramInBytes(str(x, here))
    if (n === undefined) throw here.error(`invalid rate "${str(x, here)}": bytes a second, or with a unit (1mb, 512kb)`)
    return String(n)
  }
  return {
    ...(v.weight !== undefined ? { weight: whole(v.weight, at.at('weight')) } : {}),
    weightDevice: list('weight_device', whole),
    deviceReadBps: list('device_read_bps', bytes),
    deviceWriteBps: list('device_write_bps', bytes),
    // compose-go reads every rate as UnitBytes: an IOPS of 1k is 1024
    deviceReadIops: list('device_read_iops', bytes),
    deviceWriteIops: list('device_write_iops', bytes),
  }
}

/**
 * config's blkio_config, as compose-go prints it: its fields' order, rates
 * as its UnitBytes marshals them (quoted numbers), a weight of 0 and empty
 * lists left out.
 */
export function blkioDocument(b: BlkioConfig): Record<string, unknown> | undefined {
  const split = (text: string, key: 'weight' | 'rate') => {
    const { path, value } = devicePart(text)
    return { path, [key]: key === 'weight' ? Number(value) : value }
  }
  const out: Record<string, unknown> = {}
  if (b.weight !== undefined && b.weight !== '0') out.weight = Number(b.weight)
  const lists: [string, string[], 'weight' | 'rate'][] = [
    ['weight_device', b.weightDevice, 'weight'], ['device_read_bps', b.deviceReadBps, 'rate'], ['device_read_iops', b.deviceReadIops, 'rate'],
    ['device_write_bps', b.deviceWriteBps, 'rate'], ['device_write_iops', b.deviceWriteIops, 'rate'],
  ]
  for (const [key, list, field] of lists) if (list.length) out[key] = list.map((t) => split(t, field))
  return Object.keys(out).length ? out : undefined
}
