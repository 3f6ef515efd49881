import type { Command } from 'commander'
import { defaultStoreRoot } from '../../paths.js'
import { FlagValueError } from '../exit-codes.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { writeStdout } from '../write-stdout.js'

const collect = (value: string, previous: string[]) => [...previous, value]

export interface PsFlags {
  all?: boolean
  quiet?: boolean
  filter: string[]
  format?: string
  trunc: boolean
  last?: string
  latest?: boolean
  size?: boolean
}

export function register(program: Command): void {
  program
    .command('ps')
    .description('list containers (running ones, or all with -a)')
    .option('-a, --all', 'show all containers, not only running ones')
    .option('-q, --quiet', 'only display container ids')
    .option('-f, --filter <key=value>', 'filter: id, name, status, label, ancestor, exited, before, since, volume, network, health, publish, expose, is-task, isolation (repeatable)', collect, [])
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.ID}} {{.Names}} {{.Status}} {{json .}}...')
    .option('--no-trunc', 'do not truncate ids and commands')
    .option('-n, --last <n>', 'show the n last created containers (all states)')
    .option('-l, --latest', 'show the latest created container (all states)')
    .option('-s, --size', 'show the size of the writable layer (and the image, "virtual")')
    .action((flags: PsFlags, cmd: Command) => listContainersLine(flags, cmd))
}

/** `ps` with its flags parsed: by commander, or by the launcher's listing line (list-line.ts). */
export async function listContainersLine(flags: PsFlags, cmd: Command): Promise<void> {
  const { listContainers } = await import('../../runtime/container/containers.js')
  const { filterContainers, parseFilters } = await import('../../runtime/container/filter-containers.js')
  const last = flags.latest ? 1 : flags.last === undefined ? undefined : Number(flags.last)
  if (last !== undefined && !Number.isInteger(last)) throw new FlagValueError(`invalid argument "${flags.last}" for "-n, --last" flag: not a number`)
  const filters = parseFilters(flags.filter)
  const everyone = listContainers(stateRootOf(cmd))
  // running includes paused and restarting; a status or exit code asked for, or -n, looks at all
  const all = flags.all || (last !== undefined && last > 0) || filters.has('status') || filters.has('exited')
  let shown = filterContainers(everyone.filter((c) => all || c.status === 'running' || c.restarting), filters, everyone)
  if (last !== undefined && last > 0) shown = shown.slice(0, last)
  if (flags.quiet) {
    if (flags.format) process.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n')
    for (const c of shown) writeStdout(`${flags.trunc ? c.id.slice(0, 12) : c.id}\n`)
    return
  }
  const { containerRow, CONTAINER_HEADERS, PS_TABLE } = await import('../format/container-row.js')
  const { formatList } = await import('../format/format-list.js')
  const wantSize = flags.size === true || (flags.format ?? '').includes('.Size')
  const storeRoot = globalOptions(cmd).root ?? defaultStoreRoot()
  const { containerSize } = await import('../../runtime/container/container-size.js')
  const { shownImages } = await import('../../runtime/container/shown-image.js')
  const shownImage = shownImages(await storeRefsDir(storeRoot))
  const now = Date.now()
  const rows = await Promise.all(
    shown.map(async (c) => {
      const image = await shownImage(c, flags.trunc)
      return containerRow(c, { trunc: flags.trunc, now, ...(image !== undefined && { image }), ...(wantSize ? { size: containerSize(c, storeRoot) } : {}) })
    }),
  )
  const defaultTable = flags.size ? `${PS_TABLE}\t{{.Size}}` : PS_TABLE
  writeStdout(formatList(flags.format, rows, { defaultTable, headers: CONTAINER_HEADERS }))
}

/** The store's refs/, or undefined when there is no store it may read (ps then shows the names as they are). */
async function storeRefsDir(root: string): Promise<string | undefined> {
  const { ImageStore } = await import('../../image/store.js')
  try {
    return new ImageStore({ root }).refsDir
  } catch {
    return undefined
  }
}
