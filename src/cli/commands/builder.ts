/**
 * Docker's `builder prune`: the build cache is no image (image prune and
 * rmi leave it, as with BuildKit), so this is how it goes. The library
 * decides what (src/system/build-cache-prune.ts); this asks and prints.
 */
import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'
import { globalOptions } from '../global-options.js'

async function pruneBuilder(cmd: Command, flags: { all?: boolean; force?: boolean }): Promise<void> {
  const all = flags.all === true
  const { confirm } = await import('../confirm.js')
  // Docker's two questions (cli/command/builder/prune.go)
  const warning = all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.'
  if (!flags.force && !(await confirm(`${warning} Are you sure you want to continue? [y/N] `))) return
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { pruneBuildCache }, { humanSize4 }] = await Promise.all([
    import('../../image/store.js'),
    import('../../system/build-cache-prune.js'),
    import('./system.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  const { removed, reclaimedBytes } = await pruneBuildCache({ store, stateRoot: stateRootOf(cmd) }, { all })
  if (removed.length > 0) process.stdout.write(`Deleted build cache objects:\n${removed.join('\n')}\n\n`)
  process.stdout.write(`Total reclaimed space: ${humanSize4(reclaimedBytes)}\n`)
}

export function register(program: Command): void {
  const builder = program.command('builder').description('manage the build cache')
  builder
    .command('prune')
    .description(
      'remove the dangling build cache: the steps whose results no image has, and the RUN --mount=type=cache directories (never what a running build uses)',
    )
    .option('-a, --all', 'remove every cached step, those of tagged images too (their next build runs them again)')
    .option('-f, --force', 'do not ask for confirmation')
    .action((flags: { all?: boolean; force?: boolean }, cmd: Command) => pruneBuilder(cmd, flags))
}
