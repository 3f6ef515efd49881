import type { Command } from 'commander'
import { createInterface } from 'node:readline'
import type { ResourceUsage } from '../../system/resources.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { humanSize4 } from '../format/units.js'
import { formatTable } from './images.js'

async function context(cmd: Command) {
  const { root } = globalOptions(cmd)
  const { ImageStore } = await import('../../image/store.js')
  return { store: new ImageStore(root ? { root } : {}), stateRoot: stateRootOf(cmd) }
}

function reclaimable(row: ResourceUsage): string {
  const text = humanSize4(row.reclaimable)
  // Docker gives the build cache no percentage
  if (row.size <= 0 || row.type === 'Build Cache') return text
  return `${text} (${Math.floor((row.reclaimable * 100) / row.size)}%)`
}

/** Docker's disk usage formatting context (docker/cli formatter/disk_usage.go): the summary rows' fields, all strings. */
const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' }
const DF_TABLE = '{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}'

async function diskUsage(cmd: Command, flags: { format?: string; verbose?: boolean }): Promise<void> {
  if (flags.verbose) {
    const [{ systemDiskUsageDetails }, { formatDiskUsageDetails }] = await Promise.all([import('../../system/disk-usage-verbose.js'), import('./system-df-verbose.js')])
    process.stdout.write(formatDiskUsageDetails(await systemDiskUsageDetails(await context(cmd)), flags.format))
    return
  }
  const { systemDiskUsage } = await import('../../system/disk-usage.js')
  const rows = await systemDiskUsage(await context(cmd))
  if (flags.format !== undefined) {
    const { formatList } = await import('../format/format-list.js')
    // keys sorted, as Docker marshals them for {{json .}}
    const items = rows.map((r) => ({ Active: String(r.active), Reclaimable: reclaimable(r), Size: humanSize4(r.size), TotalCount: String(r.total), Type: r.type }))
    process.stdout.write(formatList(flags.format, items, { defaultTable: DF_TABLE, headers: DF_HEADERS }))
    return
  }
  const table = [['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']]
  for (const r of rows) table.push([r.type, String(r.total), String(r.active), humanSize4(r.size), reclaimable(r)])
  process.stdout.write(formatTable(table))
}

interface PruneFlags {
  all?: boolean
  volumes?: boolean
  force?: boolean
  filter: string[]
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false })
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''))
      process.stdout.write(question)
      rl.once('line', resolve)
    })
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

async function prune(cmd: Command, flags: PruneFlags): Promise<void> {
  const { systemPrune, systemPruneWarnings } = await import('../../system/prune.js')
  // until with --volumes refused before the question, as docker/cli's dryRun refuses it (and, earlier than Docker's daemon, any other wrong filter)
  const { parsePruneFilter, withConfigPruneFilters } = await import('../prune-filter-flags.js')
  const filter = parsePruneFilter(withConfigPruneFilters(flags.filter))
  if (filter?.until !== undefined && flags.volumes) throw new (await import('../../errors.js')).UsageError('ERROR: The "until" filter is not supported with "--volumes"')
  const opts = { all: flags.all === true, volumes: flags.volumes === true, ...(filter && { filter }) }
  if (!flags.force) {
    const warnings = await systemPruneWarnings(opts)
    // docker/cli's confirmationTemplate
    const filtered = filter ? `  Items to be pruned will be filtered with:\n${filter.given.map((f) => `  - ${f}\n`).join('')}\n` : ''
    process.stdout.write(`WARNING! This will remove:\n${warnings.map((w) => `  - ${w}\n`).join('')}\n${filtered}`)
    if (!(await confirm('Are you sure you want to continue? [y/N] '))) return
  }
  const result = await systemPrune(await context(cmd), opts)
  for (const r of result.results) {
    if (r.removed.length > 0) process.stdout.write(`${r.heading}:\n${r.removed.join('\n')}\n\n`)
  }
  process.stdout.write(`Total reclaimed space: ${humanSize4(result.reclaimedBytes)}\n`)
}

export function register(program: Command): void {
  const system = program.command('system').description('manage mini-run as a whole')
  system
    .command('df')
    .description('show how much disk images, containers, volumes and the build cache use')
    .option('-v, --verbose', "each image, container, volume and build cache record, in Docker's four tables")
    .option('--format <format>', "'table' (default), 'table TEMPLATE', 'json', or a Go template over .Type, .TotalCount, .Active, .Size, .Reclaimable (with -v: over .Images, .Containers, .Volumes, .BuildCache)")
    .action((flags: { format?: string; verbose?: boolean }, cmd: Command) => diskUsage(cmd, flags))
  system
    .command('prune')
    .description('remove stopped containers, untagged images, unused networks and the build cache')
    .option('-a, --all', 'remove every image no container uses, not only untagged ones')
    .option('--volumes', 'remove anonymous volumes no container uses too (named ones: volume prune -a)')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--filter <key=value>', 'only what was created before until=TIME (a time or a duration before now; the build cache: last used before), with label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action((flags: PruneFlags, cmd: Command) => prune(cmd, flags))
}
