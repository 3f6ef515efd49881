/**
 * `buildx ls` and `buildx inspect` as buildx prints them (commands/ls.go,
 * commands/inspect.go, builder/node.go's MarshalJSON): ls's rows, a
 * builder's and then its nodes' (` \_ ` before a node's name and endpoint
 * in a table, `*` after the current builder's name), ls --format json's
 * line per builder, and inspect's text, aligned as its tabwriter aligns it.
 *
 * A node's BuildKit version is what its builder is: mini-run's, named as
 * such so that nobody takes it for a BuildKit release. A running node's
 * platforms are the --platform ones (marked `*`), then this machine's.
 */
import { hostPlatformText } from '../../build/builder-settings.js'
import type { BuilderInstance, BuilderNode } from '../../build/builders.js'
import { goEscapeHtml } from '../../go-json.js'
import { miniRunVersion } from '../../version.js'
import { alignTabs } from './tab-writer.js'
import { goTime } from './units.js'

/** buildx's lsDefaultTableFormat. */
export const BUILDERS_TABLE = '{{.Name}}\t{{.DriverEndpoint}}\t{{.Status}}\t{{.Buildkit}}\t{{.Platforms}}'

export const BUILDER_HEADERS: Record<string, string> = {
  Name: 'NAME/NODE',
  DriverEndpoint: 'DRIVER/ENDPOINT',
  LastActivity: 'LAST ACTIVITY',
  Status: 'STATUS',
  Buildkit: 'BUILDKIT',
  Platforms: 'PLATFORMS',
}

const INDENT = ' \\_ '

/** What the node's BuildKit would report: only a running node reports one. */
function buildkitVersion(b: BuilderInstance): string {
  return b.status === 'running' ? `mini-run ${miniRunVersion()}` : ''
}

/** The node's platforms, as its worker adds them to the fixed ones (Dedupe). */
function nodePlatforms(b: BuilderInstance, n: BuilderNode): string[] {
  const host = hostPlatformText()
  return b.status === 'running' && !n.platforms.includes(host) ? [...n.platforms, host] : n.platforms
}

/** platformutil.FormatInGroups(fixed, the node's): the fixed ones with `*`. */
function shownPlatforms(b: BuilderInstance, n: BuilderNode): string[] {
  return nodePlatforms(b, n).map((p) => (n.platforms.includes(p) ? `${p}*` : p))
}

/**
 * ls's rows for a template: each builder, then (but for json) each of its
 * nodes; `table` formats get the indent and the `*`, as lsContext's
 * methods give them when the format is a table.
 */
export function builderRows(builders: BuilderInstance[], current: string, table: boolean): Record<string, string>[] {
  const rows: Record<string, string>[] = []
  for (const b of builders) {
    const base = { LastActivity: '', Status: '', Buildkit: '', Platforms: '', Error: '' }
    rows.push({ ...base, Name: b.name === current && table ? `${b.name}*` : b.name, DriverEndpoint: b.driver, LastActivity: b.lastActivity ?? '' })
    for (const n of b.nodes) {
      const indent = table ? INDENT : ''
      rows.push({
        ...base,
        Name: indent + n.name,
        DriverEndpoint: indent + n.endpoint,
        Status: b.status,
        Buildkit: buildkitVersion(b),
        Platforms: shownPlatforms(b, n).join(', '),
      })
    }
  }
  return rows
}

/**
 * ls --format json's line for a builder: the builder's JSON with Current
 * added, its keys sorted (buildx round-trips it through a map), Go's
 * escapes, and the empty fields left out as `omitempty` leaves them.
 */
export function builderJson(b: BuilderInstance, current: string): string {
  const nodes = b.nodes.map((n) => {
    const platforms = nodePlatforms(b, n)
    const version = buildkitVersion(b)
    const files = Object.entries(n.files)
    return {
      ...(Object.keys(n.driverOpts).length > 0 && { DriverOpts: sortedKeys(n.driverOpts) }),
      Endpoint: n.endpoint,
      ...(files.length > 0 && { Files: Object.fromEntries(files.sort(([a], [c]) => (a < c ? -1 : 1)).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }),
      ...(n.flags.length > 0 && { Flags: n.flags }),
      Name: n.name,
      ...(platforms.length > 0 && { Platforms: platforms }),
      Status: b.status,
      ...(version !== '' && { Version: version }),
    }
  })
  const data = {
    Current: b.name === current,
    Driver: b.driver,
    Dynamic: false,
    // Go's zero time.Time, for a builder never used
    LastActivity: b.lastActivity ?? '0001-01-01T00:00:00Z',
    Name: b.name,
    Nodes: nodes,
  }
  return goEscapeHtml(JSON.stringify(data))
}

function sortedKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]))
}

/** `buildx inspect`'s text: tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', 0) over the lines runInspect writes. */
export function inspectText(b: BuilderInstance): string {
  const lines = [`Name:\t${b.name}`, `Driver:\t${b.driver}`]
  if (b.lastActivity !== undefined) lines.push(`Last Activity:\t${goTime(b.lastActivity)}`)
  lines.push('', 'Nodes:')
  b.nodes.forEach((n, i) => {
    if (i !== 0) lines.push('')
    lines.push(`Name:\t${n.name}`, `Endpoint:\t${n.endpoint}`)
    const opts = Object.keys(n.driverOpts).sort().map((k) => `${k}=${JSON.stringify(n.driverOpts[k])}`)
    if (opts.length) lines.push(`Driver Options:\t${opts.join(' ')}`)
    lines.push(`Status:\t${b.status}`)
    if (n.flags.length) lines.push(`BuildKit daemon flags:\t${n.flags.join(' ')}`)
    const version = buildkitVersion(b)
    if (version) lines.push(`BuildKit version:\t${version}`)
    const platforms = shownPlatforms(b, n)
    if (platforms.length) lines.push(`Platforms:\t${platforms.join(', ')}`)
    for (const [name, text] of Object.entries(n.files).sort(([a], [c]) => (a < c ? -1 : 1))) {
      lines.push(`File#${name}:`, ...text.split('\n').map((l) => `\t> ${l}`))
    }
  })
  return alignTabs(lines.join('\n'), { minWidth: 0, padding: 1 }) + '\n'
}
