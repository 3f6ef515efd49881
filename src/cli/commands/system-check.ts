import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface CheckFlags {
  repair?: boolean
  cgroupParent: string[]
}

async function check(cmd: Command, flags: CheckFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { checkSystem }] = await Promise.all([import('../../image/store.js'), import('../../system/store-check.js')])
  const store = new ImageStore(root ? { root } : {})
  const report = await checkSystem({ store, stateRoot: stateRootOf(cmd), repair: flags.repair === true, cgroupParents: flags.cgroupParent })
  const out = process.stdout
  for (const c of report.collected) out.write(`collected: ${c} (left by a process that was killed)\n`)
  for (const p of report.problems) out.write(`${p.subject}: ${p.problem}${p.repaired ? ` (repaired: ${p.repaired})` : ''}\n`)
  const { blobs, layers, refs, containers } = report.checked
  const counts = `${blobs} blobs, ${layers} layers, ${refs} refs, ${containers} containers`
  const left = report.problems.filter((p) => !p.repaired).length
  if (report.problems.length === 0) out.write(`system check: no problems (${counts} checked)\n`)
  else out.write(`system check: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}${flags.repair ? `, ${report.problems.length - left} repaired` : ' (run system check --repair to fix them)'} (${counts} checked)\n`)
  if (left > 0) process.exitCode = 1
}

/**
 * `system check`, in a file of its own: `system df` and `system prune` live
 * elsewhere, and whichever registers first makes the `system` command.
 */
export function register(program: Command): void {
  const system = program.commands.find((c) => c.name() === 'system') ?? program.command('system').description('manage mini-run as a whole')
  system
    .command('check')
    .description('verify the store (blob digests, layer records, ref chains) and find what killed processes and lost states left')
    .option('--repair', 'remove what is corrupt or orphaned, so that a pull or load can store it again')
    .option('--cgroup-parent <path>', 'also look for orphaned cgroup leaves under this parent (repeatable)', collect, [])
    .action((flags: CheckFlags, cmd: Command) => check(cmd, flags))
}
