import type { Command } from 'commander'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { register as registerAttach } from './attach.js'
import { register as registerCommit } from './commit.js'
import { register as registerCp } from './cp.js'
import { register as registerDiff } from './diff.js'
import { register as registerExport } from './export.js'
import { register as registerCreate } from './create.js'
import { register as registerExec } from './exec.js'
import { addInspectFlags, inspectObjects } from './inspect.js'
import { register as registerKill } from './kill.js'
import { register as registerLogs } from './logs.js'
import { register as registerPause, registerUnpause } from './pause.js'
import { register as registerPs } from './ps.js'
import { register as registerRename } from './rename.js'
import { register as registerRestart } from './restart.js'
import { register as registerRm } from './rm.js'
import { register as registerRun } from './run.js'
import { register as registerStart } from './start.js'
import { register as registerStats } from './stats.js'
import { register as registerStop } from './stop.js'
import { register as registerTop } from './top.js'
import { register as registerUpdate } from './update.js'
import { register as registerWait } from './wait.js'

/** Docker's `container prune`: asks first unless -f, and says what it reclaimed. */
async function pruneContainers(flags: { force?: boolean; filter: string[] }, cmd: Command): Promise<void> {
  const stateRoot = stateRootOf(cmd)
  const storeRoot = globalOptions(cmd).root ?? defaultStoreRoot()
  // a wrong filter is refused before the question (Docker's daemon refuses it after: nothing is asked for in vain)
  const { parsePruneFilter, withConfigPruneFilters } = await import('../prune-filter-flags.js')
  const filter = parsePruneFilter(withConfigPruneFilters(flags.filter))
  const { listContainers } = await import('../../runtime/container/containers.js')
  // a state directory that cannot be trusted is refused before anything is asked
  listContainers(stateRoot)
  const { confirm } = await import('../confirm.js')
  if (!flags.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return
  const { pruneContainers: prune } = await import('../../system/container-resource.js')
  const { humanSize4 } = await import('../format/units.js')
  const { removed, reclaimedBytes } = await prune(stateRoot, storeRoot, filter)
  if (removed.length) process.stdout.write(`Deleted Containers:\n${removed.map((id) => `${id}\n`).join('')}\n`)
  process.stdout.write(`Total reclaimed space: ${humanSize4(reclaimedBytes)}\n`)
}

/** Docker's `container VERB`: the same verbs as at the top, and `ls` for `ps`. */
export function register(program: Command): void {
  const container = program.command('container').description('manage containers')
  for (const add of [registerAttach, registerCommit, registerCp, registerCreate, registerDiff, registerExec, registerExport, registerKill, registerLogs, registerPause, registerUnpause, registerPs, registerRename, registerRestart, registerRm, registerRun, registerStart, registerStats, registerStop, registerTop, registerUpdate, registerWait]) {
    add(container)
  }
  container.commands.find((c) => c.name() === 'ps')!.name('ls').aliases(['ps', 'list'])
  container.commands.find((c) => c.name() === 'rm')!.alias('remove')
  addInspectFlags(container.command('inspect').description('print containers as JSON').argument('<container...>')).action(
    (refs: string[], flags: { format?: string; size?: boolean }, cmd: Command) => inspectObjects(cmd, refs, flags, 'container'),
  )
  container
    .command('prune')
    .description('remove all stopped containers')
    .option('-f, --force', 'do not prompt for confirmation')
    .option('--filter <key=value>', 'only containers with: until=TIME (created before; a time or a duration before now), label=KEY[=VALUE], label!=KEY[=VALUE] (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .action(pruneContainers)
}
