/**
 * docker buildx's builder-instance verbs (commands/create.go, use.go,
 * inspect.go, ls.go, rm.go, stop.go, version.go) and its --builder flag,
 * so that scripts written for buildx (GitHub's setup-buildx-action,
 * Makefiles) run. Every instance is a name for mini-run's one builder
 * (src/build/builders.ts): whichever is used, a build stores into the
 * store. build.ts's registerBuildx registers these beside `buildx build`.
 */
import { Option, type Command } from 'commander'
import { readFileSync } from 'node:fs'
import { MiniRunError, UsageError, describeError } from '../../errors.js'
import { defaultStoreRoot } from '../../paths.js'
import { FlagValueError } from '../exit-codes.js'
import { globalOptions } from '../global-options.js'

const collect = (value: string, previous: string[]) => [...previous, value]
const storeRoot = (cmd: Command) => globalOptions(cmd).root ?? defaultStoreRoot()

const BUILDER_HELP = 'the builder instance (default: $BUILDX_BUILDER, else the current one)'
const TIMEOUT_HELP = 'accepted for buildx: mini-run\'s builder is in its own process, it answers at once'

/** buildx's persistent --builder, here or before the verb (`buildx --builder X inspect`); else BUILDX_BUILDER; '' is the current one. */
function builderOf(cmd: Command): string {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const given = c.opts<{ builder?: string }>().builder
    if (given !== undefined) return given
  }
  return process.env.BUILDX_BUILDER ?? ''
}

/** The --builder that verbs not about one instance take and hide (cobrautil.HideInheritedFlags). */
const hiddenBuilder = () => new Option('--builder <name>').hideHelp()

/** cobra's DurationVar: a Go duration, or the flag's error (125, as Docker's flag errors). */
async function checkTimeout(value: string | undefined): Promise<void> {
  if (value === undefined) return
  const { parseGoDuration } = await import('../time-text.js')
  if (parseGoDuration(value) === undefined) throw new FlagValueError(`invalid argument "${value}" for "--timeout" flag: time: invalid duration ${JSON.stringify(value)}`)
}

/** `buildx build --builder NAME`: the instance must exist (buildx's `no builder "x" found`); the build is its activity. */
export function withBuilderFlag(build: Command): Command {
  return build.option('--builder <name>', BUILDER_HELP).hook('preAction', async (_hooked, action) => {
    const { recordBuild } = await import('../../build/builders.js')
    recordBuild(storeRoot(action), builderOf(action))
  })
}

interface CreateFlags {
  name?: string
  driver?: string
  node?: string
  platform: string[]
  driverOpt: string[]
  buildkitdFlags?: string
  buildkitdConfig?: string
  config?: string
  bootstrap?: boolean
  append?: boolean
  leave?: boolean
  use?: boolean
  timeout?: string
}

async function create(endpoint: string | undefined, flags: CreateFlags, cmd: Command): Promise<void> {
  // buildx's nodes are BuildKit daemons; mini-run's builder is one process
  if (flags.append || flags.leave) throw new UsageError(`--${flags.append ? 'append' : 'leave'}: a mini-run builder instance has one node, mini-run's builder`)
  await checkTimeout(flags.timeout)
  const [{ createBuilder, setBuilderStatus }, { parseDriverOpts, parseNodePlatforms, splitBuildkitdFlags }] = await Promise.all([
    import('../../build/builders.js'),
    import('../../build/builder-settings.js'),
  ])
  const config = flags.buildkitdConfig ?? flags.config
  let files: Record<string, string> | undefined
  if (config !== undefined) {
    try {
      files = { 'buildkitd.toml': readFileSync(config, 'utf8') }
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : describeError(err)
      throw new UsageError(`open ${config}: ${why}`, { cause: err })
    }
  }
  const root = storeRoot(cmd)
  const b = createBuilder(root, {
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.driver !== undefined && { driver: flags.driver }),
    ...(flags.node !== undefined && { node: flags.node }),
    ...(endpoint !== undefined && { endpoint }),
    ...(flags.platform.length > 0 && { platforms: parseNodePlatforms(flags.platform) }),
    ...(flags.driverOpt.length > 0 && { driverOpts: parseDriverOpts(flags.driverOpt) }),
    ...(flags.buildkitdFlags !== undefined && { flags: splitBuildkitdFlags(flags.buildkitdFlags) }),
    ...(files !== undefined && { files }),
    use: flags.use === true,
  })
  const unused = [
    ['--driver-opt', flags.driverOpt.length > 0],
    ['--buildkitd-flags', flags.buildkitdFlags !== undefined],
    ['--buildkitd-config', config !== undefined],
  ].filter(([, given]) => given).map(([flag]) => flag)
  if (unused.length) process.stderr.write(`WARNING: ${unused.join(', ')}: recorded for inspect, not used: mini-run's builder has no BuildKit daemon to pass them to\n`)
  if (flags.bootstrap) setBuilderStatus(root, b.name, 'running')
  process.stdout.write(`${b.name}\n`)
}

// rm.go's question for --all-inactive
const RM_INACTIVE_WARNING = 'WARNING! This will remove all builders that are not in running state. Are you sure you want to continue?'

interface RmFlags {
  allInactive?: boolean
  force?: boolean
  timeout?: string
}

/** buildx's rm: each instance said on stderr, removed or not, then one error if any was not. */
async function remove(names: string[], flags: RmFlags, cmd: Command): Promise<void> {
  if (flags.allInactive && names.length > 0) throw new UsageError('cannot specify builder name when --all-inactive is set')
  await checkTimeout(flags.timeout)
  const { currentBuilderName, removeInactiveBuilders, removeBuilder } = await import('../../build/builders.js')
  const root = storeRoot(cmd)
  if (flags.allInactive) {
    const { confirm } = await import('../confirm.js')
    if (!flags.force && !(await confirm(`${RM_INACTIVE_WARNING} [y/N] `))) return
    for (const name of removeInactiveBuilders(root)) process.stderr.write(`${name} removed\n`)
    return
  }
  let failed = false
  for (const name of names.length > 0 ? names : [builderOf(cmd)]) {
    const shown = name === '' ? currentBuilderName(root) : name
    try {
      removeBuilder(root, name)
      process.stderr.write(`${shown} removed\n`)
    } catch (err) {
      if (!(err instanceof MiniRunError)) throw err
      process.stderr.write(`failed to remove ${shown}: ${describeError(err)}\n`)
      failed = true
    }
  }
  if (failed) throw new MiniRunError('failed to remove one or more builders')
}

/** `buildx ls`: the table (its default), `json` (a line a builder), or a template over builders and nodes. */
async function list(flags: { format: string; timeout?: string }, cmd: Command): Promise<void> {
  await checkTimeout(flags.timeout)
  const [{ currentBuilderName, listBuilders }, { builderJson, builderRows, BUILDER_HEADERS, BUILDERS_TABLE }, { formatList }, { writeStdout }] = await Promise.all([
    import('../../build/builders.js'),
    import('../format/builder-row.js'),
    import('../format/format-list.js'),
    import('../write-stdout.js'),
  ])
  const root = storeRoot(cmd)
  const builders = listBuilders(root)
  const current = currentBuilderName(root)
  const format = flags.format.trim()
  if (format === 'json') {
    writeStdout(builders.map((b) => `${builderJson(b, current)}\n`).join(''))
    return
  }
  writeStdout(formatList(format, builderRows(builders, current, format.startsWith('table')), { defaultTable: BUILDERS_TABLE, headers: BUILDER_HEADERS }))
}

async function inspect(name: string | undefined, flags: { bootstrap?: boolean; timeout?: string }, cmd: Command): Promise<void> {
  await checkTimeout(flags.timeout)
  const [{ findBuilder, setBuilderStatus }, { inspectText }] = await Promise.all([import('../../build/builders.js'), import('../format/builder-row.js')])
  const root = storeRoot(cmd)
  let b = findBuilder(root, name ?? builderOf(cmd))
  if (flags.bootstrap) b = setBuilderStatus(root, b.name, 'running')
  process.stdout.write(inspectText(b))
}

/** The buildx group's own verbs and flags; `build` is build.ts's. */
export function registerBuilderVerbs(buildx: Command): void {
  buildx
    .option('--builder <name>', BUILDER_HELP)
    .argument('[command]')
    .usage('[options] [command]')
    .helpCommand(true)
    // buildx's root RunE: its help on stdout and exit 0, which a script's `docker buildx >/dev/null` takes for "buildx is there"
    .action((command: string | undefined, _flags: unknown, cmd: Command) => {
      if (command !== undefined) cmd.error(`error: unknown command '${command}'`, { code: 'commander.unknownCommand' })
      cmd.outputHelp()
    })

  buildx
    .command('create')
    .description('create a builder instance: a name for mini-run\'s builder, which runs in the mini-run process (no BuildKit daemon)')
    .argument('[context|endpoint]', 'mini-run has one: default')
    .option('--name <name>', 'its name (default: a random one, as buildx gives)')
    .option('--driver <driver>', 'docker-container (the default); docker, kubernetes, remote and cloud are refused')
    .option('--node <name>', 'the node to create (default: NAME0), or to change on an instance that exists')
    .option('--platform <os/arch>', 'fixed platforms of the node: only this machine\'s, RUN executes natively (repeatable, comma lists)', collect, [])
    .option('--driver-opt <k=v>', 'a driver option: recorded, not used (repeatable)', collect, [])
    .option('--buildkitd-flags <flags>', 'BuildKit daemon flags: recorded, not used')
    .option('--buildkitd-config <file>', 'a BuildKit daemon config file: recorded, not used')
    .addOption(new Option('--config <file>').hideHelp())
    .option('--bootstrap', 'boot it now: its status is running')
    .option('--append', 'refused: an instance has one node, mini-run\'s builder')
    .option('--leave', 'refused: an instance has one node, mini-run\'s builder')
    .option('--use', 'make it the current builder instance')
    .option('--timeout <duration>', TIMEOUT_HELP)
    .addOption(hiddenBuilder())
    .action(create)

  buildx
    .command('use')
    .description('set the current builder instance (default: Docker\'s default builder, mini-run\'s)')
    .argument('[name]')
    .option('--default', 'accepted for buildx: mini-run has one context, so the current instance is its default')
    .option('--global', 'accepted for buildx: mini-run has one context, so the current instance is global')
    .option('--builder <name>', BUILDER_HELP)
    .action(async (name: string | undefined, _flags: unknown, cmd: Command) => {
      const { useBuilder } = await import('../../build/builders.js')
      useBuilder(storeRoot(cmd), name ?? builderOf(cmd))
    })

  buildx
    .command('inspect')
    .description('print a builder instance (default: the current one) as buildx does')
    .argument('[name]')
    .option('--bootstrap', 'boot it first: its status is running')
    .option('--timeout <duration>', TIMEOUT_HELP)
    .option('--builder <name>', BUILDER_HELP)
    .action(inspect)

  buildx
    .command('ls')
    .description('list builder instances and their nodes (the current one marked *)')
    .option('--format <format>', 'table, table TEMPLATE, json, or a Go template: {{.Name}} {{.DriverEndpoint}} {{.Status}} {{.Buildkit}} {{.Platforms}} {{.LastActivity}}', 'table')
    .option('--no-trunc', 'accepted for buildx: a node has one platform, there is nothing to shorten')
    .option('--timeout <duration>', TIMEOUT_HELP)
    .addOption(hiddenBuilder())
    .action(list)

  buildx
    .command('rm')
    .description('remove builder instances (default: the current one); default cannot be, and the build cache, shared by all, stays')
    .argument('[name...]')
    .option('--all-inactive', 'remove every instance that is not running')
    .option('-f, --force', 'do not ask for confirmation')
    .option('--keep-state', 'accepted for buildx: the build cache is the store\'s and always stays')
    .option('--keep-daemon', 'accepted for buildx: there is no daemon')
    .option('--timeout <duration>', TIMEOUT_HELP)
    .option('--builder <name>', BUILDER_HELP)
    .action(remove)

  buildx
    .command('stop')
    .description('stop a builder instance (default: the current one): its status is stopped until it is used again')
    .argument('[name]')
    .option('--builder <name>', BUILDER_HELP)
    .action(async (name: string | undefined, _flags: unknown, cmd: Command) => {
      const { setBuilderStatus } = await import('../../build/builders.js')
      setBuilderStatus(storeRoot(cmd), name ?? builderOf(cmd), 'stopped')
    })

  buildx
    .command('version')
    .description('print the version: mini-run\'s, whose builder answers for buildx')
    .addOption(hiddenBuilder())
    .action(async () => {
      const { miniRunVersion } = await import('../../version.js')
      const version = miniRunVersion()
      process.stdout.write(`mini-run buildx ${version === 'unknown' ? version : `v${version}`}\n`)
    })
}
