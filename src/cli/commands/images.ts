import type { Command } from 'commander'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { UsageError } from '../../errors.js'
import { labelMatches } from '../../filter-flags.js'
import { parseLogTime } from '../time-text.js'
import type { ImageSummary } from '../../image/store-types.js'
import { goTime, humanSize } from '../format/units.js'
import { globalOptions } from '../global-options.js'
import { writeStdout } from '../write-stdout.js'

/** `images`' default columns (Docker's), and with --digests. */
export const IMAGES_TABLE = '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
export const IMAGES_DIGESTS_TABLE = '{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'

export interface ImagesFlags {
  quiet?: boolean
  trunc: boolean
  digests?: boolean
  filter?: string[]
  format?: string
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


/** Pad columns to their widest cell, three spaces apart, like Docker's tables. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd() + '\n').join('')
}

const collect = (value: string, previous: string[]) => [...previous, value]

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
}

/**
 * Docker's `images` filters (moby daemon/containerd/image_list.go, its
 * default image store's): dangling, reference (a glob on the name), before,
 * since, until (made before a time, or a duration before now), label (each
 * one present, with its value if given) and label! (each one absent, or of
 * another value).
 */
function imageFilter(flags: string[], images: ImageSummary[], labelsOf: (i: ImageSummary) => Record<string, string>): (i: ImageSummary) => boolean {
  const tests: ((i: ImageSummary) => boolean)[] = []
  const byRef = (ref: string) => images.find((i) => i.name === ref || `${i.familiarRepository}:${i.tag}` === ref || i.familiarRepository === ref || i.configDigest.replace(/^sha256:/, '').startsWith(ref.replace(/^sha256:/, '')))
  const tagged = new Set(images.filter((i) => i.tag !== undefined).map((i) => i.configDigest))
  const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`)
  const groups = new Map<string, string[]>()
  for (const f of flags) {
    const eq = f.indexOf('=')
    if (eq <= 0) throw new UsageError('bad format of filter (expected name=value)')
    const key = f.slice(0, eq)
    if (!['dangling', 'reference', 'before', 'since', 'until', 'label', 'label!'].includes(key)) throw new UsageError(`invalid filter '${key}'`)
    groups.set(key, [...(groups.get(key) ?? []), f.slice(eq + 1)])
  }
  for (const [key, values] of groups) {
    if (key === 'dangling') {
      const want = values.map((v) => {
        if (!['true', 'false', '1', '0'].includes(v)) throw new UsageError(`invalid filter 'dangling=${v}'`)
        return v === 'true' || v === '1'
      })
      tests.push((i) => want.some((w) => w === !tagged.has(i.configDigest)))
    } else if (key === 'reference') {
      tests.push((i) => values.some((v) => i.familiarRepository !== undefined && (glob(v).test(i.familiarRepository) || glob(v).test(`${i.familiarRepository}:${i.tag ?? ''}`))))
    } else if (key === 'before' || key === 'since') {
      const anchors = values.map((v) => {
        const a = byRef(v)
        if (!a) throw new UsageError(`No such image: ${v}`)
        return a
      })
      tests.push((i) => anchors.every((a) => (key === 'before' ? (i.created ?? '') < (a.created ?? '') : (i.created ?? '') > (a.created ?? ''))))
    } else if (key === 'until') {
      const cutoffs = values.map((v) => parseLogTime(v, 'until'))
      tests.push((i) => i.created !== undefined && cutoffs.every((c) => Date.parse(i.created!) < c))
    } else {
      // every label= must hold, and every label!= (setupLabelFilter's checks)
      const negate = key === 'label!'
      tests.push((i) => {
        const labels = labelsOf(i)
        return values.every((v) => labelMatches(v, labels) !== negate)
      })
    }
  }
  return (i) => tests.every((t) => t(i))
}

export async function listImages(cmd: Command, repository: string | undefined, flags: ImagesFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { parseReference }] = await Promise.all([import('../../image/store.js'), import('../../image/reference.js')])
  const store = new ImageStore(root ? { root } : {})
  const all = await store.list()
  const tagged = new Set(all.filter((i) => i.tag !== undefined).map((i) => i.configDigest))
  // an image that has a tag is listed by its tags only (its by-digest names add no <none> row)
  let images = all.filter((i) => i.tag !== undefined || !tagged.has(i.configDigest))
  if (repository !== undefined) {
    const wanted = parseReference(repository)
    const tagGiven = /:[^/]*$/.test(repository)
    images = images.filter((i) => i.repository === wanted.repository && (!tagGiven || i.tag === wanted.tag))
  }
  const labelsOf = (i: ImageSummary) => {
    try {
      return (JSON.parse(readFileSync(join(store.root, 'blobs', 'sha256', i.configDigest.replace(/^sha256:/, '')), 'utf8')) as { config?: { Labels?: Record<string, string> } }).config?.Labels ?? {}
    } catch {
      return {}
    }
  }
  images = images.filter(imageFilter(flags.filter ?? [], all, labelsOf))
  // newest first, as Docker's daemon sorts them (byCreated, reversed): `images -q | head -1` is the
  // image just built or pulled; an image's names stay together in the store's name order
  const createdMs = (i: ImageSummary) => (i.created === undefined ? 0 : Date.parse(i.created) || 0)
  images.sort((a, b) => createdMs(b) - createdMs(a))
  const id = (digest: string) => (flags.trunc ? digest.slice(7, 19) : digest)
  if (flags.quiet) {
    writeStdout([...new Set(images.map((i) => id(i.configDigest)))].map((l) => l + '\n').join(''))
    return
  }
  const rows = images.map((i) => ({
    Containers: 'N/A',
    CreatedAt: i.created ? goTime(i.created) : '',
    CreatedSince: timeAgo(i.created),
    // the registry's digest for the name (an index's, when pulled through one), as inspect's RepoDigests
    Digest: i.digest ?? (i.repository ? (i.repoDigest ?? i.manifestDigest) : '<none>'),
    ID: id(i.configDigest),
    Repository: i.familiarRepository ?? '<none>',
    SharedSize: 'N/A',
    Size: humanSize(i.size),
    Tag: i.tag ?? '<none>',
    UniqueSize: 'N/A',
    VirtualSize: humanSize(i.size),
  }))
  const defaultTable = flags.digests ? IMAGES_DIGESTS_TABLE : IMAGES_TABLE
  const { formatList } = await import('../format/format-list.js')
  writeStdout(formatList(flags.format, rows, { defaultTable, headers: IMAGE_HEADERS }))
}

/** The flags of `images` and `image ls`. */
export function addImagesFlags(cmd: Command): Command {
  return cmd
    .argument('[repository]', 'only images of this repository (and tag)')
    .option('-a, --all', 'show all images (there are no intermediate ones: the same as without)')
    .option('-q, --quiet', 'print image ids only')
    .option('--no-trunc', 'print full image ids')
    .option('--digests', 'show digests')
    .option('-f, --filter <key=value>', 'filter: dangling=true|false, reference=GLOB, before=, since=, label= (repeatable)', collect, [])
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.Repository}}:{{.Tag}} {{.ID}}...')
}

export function register(program: Command): void {
  addImagesFlags(program.command('images').description('list images in the store')).action((repository: string | undefined, flags: ImagesFlags, cmd: Command) =>
    listImages(cmd, repository, flags),
  )
}
