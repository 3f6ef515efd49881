/**
 * Docker's `builder prune`: the build cache is no image (image prune and
 * rmi leave it, as with BuildKit), so this is how it goes. The library
 * decides what (src/system/build-cache-prune.ts); this asks and prints.
 */
import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'
import { globalOptions } from '../global-options.js'

interface BuilderPruneFlags {
  all?: boolean
  force?: boolean
  filter?: string[]
  keepStorage?: string
}

async function pruneBuilder(cmd: Command, flags: BuilderPruneFlags): Promise<void> {
  const all = flags.all === true
  const [{ parseDuration }, { parseSize }, { UsageError }] = await Promise.all([
    import('../../duration.js'),
    import('../../runtime/cgroup/cgroup-limits.js'),
    import('../../errors.js'),
  ])
  let unusedForMs: number | undefined
  for (const f of flags.filter ?? []) {
    const eq = f.indexOf('=')
    const key = eq === -1 ? f : f.slice(0, eq)
    // BuildKit's other keys (id, parents, description, type, inuse, shared, private) name what mini-run's cache has no record of
    if (key !== 'until' || eq === -1) throw new UsageError(`invalid filter ${JSON.stringify(f)}: builder prune takes until=DURATION (e.g. until=24h)`)
    unusedForMs = parseDuration(f.slice(eq + 1)) / 1e6
  }
  const keepBytes = flags.keepStorage !== undefined ? parseSize(flags.keepStorage, '--keep-storage') : undefined
  const { confirm } = await import('../confirm.js')
  // Docker's two questions (cli/command/builder/prune.go)
  const warning = all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.'
  if (!flags.force && !(await confirm(`${warning} Are you sure you want to continue? [y/N] `))) return
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { pruneBuildCache }, { humanSize4 }] = await Promise.all([
    import('../../image/store.js'),
    import('../../system/build-cache-prune.js'),
    import('../format/units.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  const { removed, reclaimedBytes } = await pruneBuildCache(
    { store, stateRoot: stateRootOf(cmd) },
    { all, ...(unusedForMs !== undefined && { unusedForMs }), ...(keepBytes !== undefined && { keepBytes }) },
  )
  if (removed.length > 0) process.stdout.write(`Deleted build cache objects:\n${removed.join('\n')}\n\n`)
  process.stdout.write(`Total reclaimed space: ${humanSize4(reclaimedBytes)}\n`)
}

const collect = (value: string, previous: string[]) => [...previous, value]

export function register(program: Command): void {
  const builder = program.command('builder').description('manage the build cache')
  builder
    .command('prune')
    .description(
      'remove the dangling build cache: the steps whose results no image has, and the RUN --mount=type=cache directories (never what a running build uses)',
    )
    .option('-a, --all', 'remove every cached step, those of tagged images too (their next build runs them again)')
    .option('--filter <until=DURATION>', 'only what was last used longer ago than DURATION (e.g. until=24h)', collect, [])
    .option('--keep-storage <size>', 'least recently used first, stop once the cache holds at most this much (e.g. 10g)')
    .option('-f, --force', 'do not ask for confirmation')
    .action((flags: BuilderPruneFlags, cmd: Command) => pruneBuilder(cmd, flags))
}
