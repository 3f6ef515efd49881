import { Option, type Command } from 'commander'
import { UsageError } from '../../errors.js'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { writeStdout } from '../write-stdout.js'
import { eachContainer as eachName } from '../each-ref.js'

const collect = (value: string, previous: string[]) => [...previous, value]

function storeRootOf(cmd: Command): string {
  return globalOptions(cmd).root ?? defaultStoreRoot()
}

/** --label KEY=VALUE (or KEY, an empty value), as Docker takes them. */
function parseLabels(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const label of labels) {
    const eq = label.indexOf('=')
    const key = eq < 0 ? label : label.slice(0, eq)
    if (!key) throw new UsageError(`invalid --label "${label}": give KEY=VALUE`)
    out[key] = eq < 0 ? '' : label.slice(eq + 1)
  }
  return out
}

// docker/cli cli/command/volume/prune.go
const PRUNE_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.'
const PRUNE_ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.'

/** Docker's `volume prune`: asks first unless -f; reports the volumes removed and the bytes they held. */
async function pruneVolumes(flags: { all?: boolean; filter: string[]; force?: boolean }, cmd: Command): Promise<void> {
  const { parseVolumeFilters, pruneSelection } = await import('../../runtime/container/volume-filter.js')
  const filters = parseVolumeFilters((await import('../prune-filter-flags.js')).withConfigPruneFilters(flags.filter), { prune: true })
  if (flags.all && filters.has('all')) throw new UsageError('conflicting options: cannot specify both --all and --filter all=1')
  const selection = pruneSelection(filters)
  const all = flags.all === true || selection.all
  const { confirm } = await import('../confirm.js')
  if (!flags.force && !(await confirm(`${flags.all ? PRUNE_ALL_WARNING : PRUNE_WARNING}\nAre you sure you want to continue? [y/N] `))) return
  const [{ pruneVolumesMeasured }, { humanSize4 }] = await Promise.all([import('../../system/volume-resource.js'), import('../format/units.js')])
  const { removed, reclaimedBytes } = await pruneVolumesMeasured(storeRootOf(cmd), stateRootOf(cmd), { ...selection, all })
  if (removed.length) writeStdout(`Deleted Volumes:\n${removed.map((n) => `${n}\n`).join('')}\n`)
  writeStdout(`Total reclaimed space: ${humanSize4(reclaimedBytes)}\n`)
}

export function register(program: Command): void {
  const volume = program.command('volume').description('manage volumes')
  volume
    .command('create')
    .description('create a volume (a random name when none is given); an existing one is no error')
    .argument('[name]')
    .option('--label <key=value>', 'a label (repeatable)', collect, [])
    .option('-d, --driver <name>', 'the volume driver: local, the only one', 'local')
    .option('-o, --opt <key=value>', 'a local driver option: type=, device=, o= as mount(8) takes them (tmpfs, or type=none o=bind device=/host/path; repeatable)', collect, [])
    // docker/cli volume/create.go: the name as a flag too, hidden from --help
    .addOption(new Option('--name <name>', 'the volume name').hideHelp())
    .action(async (given: string | undefined, flags: { label: string[]; driver: string; opt: string[]; name?: string }, cmd: Command) => {
      if (given !== undefined && flags.name !== undefined) throw new UsageError('conflicting options: cannot specify a volume-name through both --name and as a positional arg')
      const name = given ?? flags.name
      const [{ createVolume }, { checkLocalOptions, checkVolumeDriver, parseOptionList }] = await Promise.all([
        import('../../runtime/container/volume-store.js'),
        import('../../runtime/spec/local-volume.js'),
      ])
      const labels = parseLabels(flags.label)
      // Docker's words: "create NAME: ..." (the daemon's, which names the volume)
      const context = `create ${name ?? ''}`.trimEnd()
      checkVolumeDriver(flags.driver, context)
      const options = parseOptionList(flags.opt, '-o, --opt')
      checkLocalOptions(options, context)
      const v = createVolume(storeRootOf(cmd), { ...(name !== undefined ? { name } : {}), ...(flags.label.length ? { labels } : {}), options })
      process.stdout.write(`${v.name}\n`)
      const { volumeEvent } = await import('../../events/resource-events.js')
      volumeEvent(stateRootOf(cmd), 'create', v.name)
    })
  volume
    .command('ls')
    .alias('list')
    .description('list volumes')
    .option('-q, --quiet', 'only display volume names')
    .option('-f, --filter <key=value>', 'filter: dangling=true|false, name=REGEXP, driver=, label=KEY[=VALUE] (repeatable)', collect, [])
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.Name}} {{.Mountpoint}}...')
    .action(async (flags: { quiet?: boolean; filter: string[]; format?: string }, cmd: Command) => {
      const [{ listVolumes, volumesInUse }, { filterVolumes, needsUsers, parseVolumeFilters }, { volumeRow, VOLUME_HEADERS, VOLUMES_QUIET, VOLUMES_TABLE }, { formatList }] =
        await Promise.all([
          import('../../runtime/container/volume-store.js'),
          import('../../runtime/container/volume-filter.js'),
          import('../format/volume-row.js'),
          import('../format/format-list.js'),
        ])
      const filters = parseVolumeFilters(flags.filter)
      const storeRoot = storeRootOf(cmd)
      const volumes = filterVolumes(listVolumes(storeRoot), filters, needsUsers(filters) ? volumesInUse(storeRoot) : undefined)
      // -q is the names, unless a format of its own is given (docker/cli NewVolumeFormat)
      const quiet = flags.quiet === true && (flags.format === undefined || flags.format === '' || flags.format === 'table')
      const format = quiet ? VOLUMES_QUIET : flags.format
      writeStdout(formatList(format, volumes.map(volumeRow), { defaultTable: VOLUMES_TABLE, headers: VOLUME_HEADERS }))
    })
  volume
    .command('inspect')
    .description('print volumes as JSON')
    .argument('<name...>')
    .option('-f, --format <template>', 'format the output with a Go template: {{.Mountpoint}}, {{json .Labels}}...')
    .action(async (names: string[], flags: { format?: string }, cmd: Command) => {
      const [{ inspectVolume }, { volumeJson }, { inspectEach }] = await Promise.all([
        import('../../runtime/container/volume-store.js'),
        import('../volume-json.js'),
        import('../inspect-each.js'),
      ])
      await inspectEach(names, (name) => volumeJson(inspectVolume(storeRootOf(cmd), name)), flags.format)
    })
  volume
    .command('rm')
    .alias('remove')
    .description('remove volumes that no container uses')
    .argument('<name...>')
    .option('-f, --force', 'a missing volume is no error')
    .action(async (names: string[], flags: { force?: boolean }, cmd: Command) => {
      const { removeVolume } = await import('../../runtime/container/volume-store.js')
      const { volumeEvent } = await import('../../events/resource-events.js')
      await eachName(names, async (name) => {
        if (removeVolume(storeRootOf(cmd), name, { force: flags.force === true })) {
          process.stdout.write(`${name}\n`)
          volumeEvent(stateRootOf(cmd), 'destroy', name)
        }
      })
    })
  volume
    .command('prune')
    .description('remove anonymous volumes that no container uses (every unused one with -a)')
    .option('-a, --all', 'named volumes too')
    .option('--filter <key=value>', 'only volumes with: label=KEY[=VALUE], label!=KEY[=VALUE]; all=true as -a (repeatable)', collect, [])
    .option('-f, --force', 'do not prompt for confirmation')
    .action(pruneVolumes)
}
