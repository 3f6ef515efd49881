import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'

interface ImagesFlags {
  quiet?: boolean
  trunc: boolean
}

/** "3 days ago": go-units HumanDuration, which Docker uses for CREATED. */
export function timeAgo(iso: string | undefined, now = Date.now()): string {
  const ms = iso ? now - Date.parse(iso) : NaN
  if (Number.isNaN(ms)) return 'N/A'
  const seconds = Math.floor(ms / 1000)
  const minutes = Math.floor(seconds / 60)
  const hours = Math.round(ms / 3_600_000)
  let text: string
  if (seconds < 1) text = 'Less than a second'
  else if (seconds === 1) text = '1 second'
  else if (seconds < 60) text = `${seconds} seconds`
  else if (minutes === 1) text = 'About a minute'
  else if (minutes < 60) text = `${minutes} minutes`
  else if (hours === 1) text = 'About an hour'
  else if (hours < 48) text = `${hours} hours`
  else if (hours < 24 * 7 * 2) text = `${Math.floor(hours / 24)} days`
  else if (hours < 24 * 30 * 2) text = `${Math.floor(hours / 24 / 7)} weeks`
  else if (hours < 24 * 365 * 2) text = `${Math.floor(hours / 24 / 30)} months`
  else text = `${Math.floor(Math.floor(ms / 3_600_000) / 24 / 365)} years`
  return `${text} ago`
}

/** "4.26MB": go-units HumanSizeWithPrecision(size, 3), Docker's SIZE column (decimal units). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`
}

/** Pad columns to their widest cell, three spaces apart, like Docker's tables. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd() + '\n').join('')
}

export async function listImages(cmd: Command, repository: string | undefined, flags: ImagesFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { parseReference }] = await Promise.all([import('../../image/store.js'), import('../../image/reference.js')])
  const store = new ImageStore(root ? { root } : {})
  let images = await store.list()
  if (repository !== undefined) {
    const wanted = parseReference(repository)
    const tagGiven = /:[^/]*$/.test(repository)
    images = images.filter((i) => i.repository === wanted.repository && (!tagGiven || i.tag === wanted.tag))
  }
  const id = (digest: string) => (flags.trunc ? digest.slice(7, 19) : digest)
  if (flags.quiet) {
    process.stdout.write([...new Set(images.map((i) => id(i.configDigest)))].map((l) => l + '\n').join(''))
    return
  }
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']]
  for (const i of images) {
    rows.push([i.familiarRepository ?? '<none>', i.tag ?? '<none>', id(i.configDigest), timeAgo(i.created), humanSize(i.size)])
  }
  process.stdout.write(formatTable(rows))
}

export function register(program: Command): void {
  program
    .command('images')
    .description('list images in the store')
    .argument('[repository]', 'only images of this repository (and tag)')
    .option('-q, --quiet', 'print image ids only')
    .option('--no-trunc', 'print full image ids')
    .action((repository: string | undefined, flags: ImagesFlags, cmd: Command) => listImages(cmd, repository, flags))
}
