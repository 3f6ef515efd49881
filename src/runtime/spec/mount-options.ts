/**
 * OCI mount options ("nosuid", "ro", "rbind", "mode=755") to mount(2) flags
 * and the filesystem's data string, as runc's parseMountOptions does.
 */

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const

/** umount2(2) flag: detach now, finish when no longer busy. */
export const MNT_DETACH = 2

// option -> [flags to set, flags to clear]
const FLAG_OPTIONS: Record<string, [set: number, clear: number]> = {
  ro: [MS.RDONLY, 0],
  rw: [0, MS.RDONLY],
  nosuid: [MS.NOSUID, 0],
  suid: [0, MS.NOSUID],
  nodev: [MS.NODEV, 0],
  dev: [0, MS.NODEV],
  noexec: [MS.NOEXEC, 0],
  exec: [0, MS.NOEXEC],
  sync: [MS.SYNCHRONOUS, 0],
  async: [0, MS.SYNCHRONOUS],
  dirsync: [MS.DIRSYNC, 0],
  remount: [MS.REMOUNT, 0],
  mand: [MS.MANDLOCK, 0],
  nomand: [0, MS.MANDLOCK],
  atime: [0, MS.NOATIME],
  noatime: [MS.NOATIME, 0],
  diratime: [0, MS.NODIRATIME],
  nodiratime: [MS.NODIRATIME, 0],
  relatime: [MS.RELATIME, 0],
  norelatime: [0, MS.RELATIME],
  strictatime: [MS.STRICTATIME, 0],
  nostrictatime: [0, MS.STRICTATIME],
  lazytime: [MS.LAZYTIME, 0],
  nosymfollow: [MS.NOSYMFOLLOW, 0],
  bind: [MS.BIND, 0],
  rbind: [MS.BIND | MS.REC, 0],
}

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
}

export interface ParsedMountOptions {
  flags: number
  propagation: number
  data: string
}

/** A mount option that is a flag or a propagation (ro, nosuid, rprivate...), not filesystem data. */
export function isMountFlagOption(option: string): boolean {
  return FLAG_OPTIONS[option] !== undefined || PROPAGATION_OPTIONS[option] !== undefined
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0
  let propagation = 0
  const data: string[] = []
  for (const option of options) {
    const flag = FLAG_OPTIONS[option]
    if (flag) {
      flags = (flags | flag[0]) & ~flag[1]
      continue
    }
    const prop = PROPAGATION_OPTIONS[option]
    if (prop !== undefined) {
      propagation = prop
      continue
    }
    data.push(option)
  }
  return { flags, propagation, data: data.join(',') }
}

const FLAG_NAMES: [number, string][] = [
  [MS.RDONLY, 'ro'], [MS.NOSUID, 'nosuid'], [MS.NODEV, 'nodev'], [MS.NOEXEC, 'noexec'],
  [MS.REMOUNT, 'remount'], [MS.NOATIME, 'noatime'], [MS.BIND, 'bind'], [MS.MOVE, 'move'],
  [MS.REC, 'rec'], [MS.PRIVATE, 'private'], [MS.SLAVE, 'slave'], [MS.SHARED, 'shared'],
  [MS.UNBINDABLE, 'unbindable'], [MS.RELATIME, 'relatime'], [MS.STRICTATIME, 'strictatime'],
  [MS.NOSYMFOLLOW, 'nosymfollow'],
]

/**
 * "bind,rec" style names of a flags value, for --explain. Every mount step
 * gets them, so a run names some sixty values: a plain loop, where
 * filter/map with destructured pairs (an iterator and its answers per pair,
 * in code V8 has not optimised) made 22 kB of a run's young generation.
 */
export function mountFlagNames(flags: number): string {
  let names = ''
  for (let i = 0; i < FLAG_NAMES.length; i++) {
    const entry = FLAG_NAMES[i]!
    if (flags & entry[0]) names = names === '' ? entry[1] : `${names},${entry[1]}`
  }
  return names === '' ? '0' : names
}
