/**
 * The flags `run` and `create` share (Docker's container options) as
 * commander options, and what the CLI adds to their translation into
 * RunOptions (runtime/container/container-flags.ts, which compose uses
 * too): the verb's rules, image resolution with pull progress, and this
 * CLI as the command the monitor and the health runner run later.
 */
import { UsageError } from '../errors.js'
import type { Command } from 'commander'
import { addRunFlags as addRunFlagSpecs, HIDDEN_RUN_FLAG_ALIASES } from './run-flag-specs.js'
import type { GlobalOptions } from './global-options.js'
import * as pathDefaults from '../paths.js'
import { runOptionsFromFlags, type ContainerFlags } from '../runtime/container/container-flags.js'
import { parseRestartPolicy } from '../runtime/container/restart-policy.js'
import type { RunOptions } from '../runtime/container/run-options.js'

/** The container flags (container-flags.ts), and those only the CLI reads. */
export interface RunFlags extends ContainerFlags {
  explain?: string | boolean
  pull?: string
  platform?: string
  /** -q: no pull output */
  quiet?: boolean
  insecureRegistry: string[]
  cidfile?: string
  detachKeys?: string
  /** run -a: the streams named (run's own flag, not create's) */
  attach?: string[]
  /** commander's name for --no-healthcheck */
  healthcheck?: boolean
}

/** Every container flag of `run` and `create` as commander options, Docker's hidden spellings too. */
export function addRunFlags(cmd: Command): Command {
  addRunFlagSpecs(cmd)
  for (const [alias, of] of Object.entries(HIDDEN_RUN_FLAG_ALIASES)) {
    const target = cmd.options.find((o) => o.long === of)
    if (!target) throw new TypeError(`${alias} is an alias of ${of}, which is no flag`)
    const option = cmd.createOption(target.flags.replace(of, alias), target.description).hideHelp()
    if (target.parseArg) option.argParser(target.parseArg)
    // commander keeps a value under its option's attribute name: the alias's is its flag's, so
    // --dns-opt and --dns-option add to one list in the order given, as pflag's one variable does
    option.attributeName = () => target.attributeName()
    cmd.addOption(option)
  }
  return cmd
}

/** Docker's flags as the runtime's RunOptions (container-flags.ts), with this CLI's image resolution and pull progress. */
export function runOptionsOf(positional: string[], flags: RunFlags, global: GlobalOptions, verb: 'run' | 'create' = 'run'): RunOptions {
  if (flags.rootfs === undefined && positional.length === 0) throw new UsageError(`"${verb}" requires at least 1 argument: an image (or --rootfs DIR)`)
  // create: every start is detached, under a monitor; so is an attached run (attachedRun)
  const attached = verb === 'run' && attachedRun(flags)
  if (flags.pull && !['missing', 'always', 'never'].includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": use missing, always or never`)
  const image = flags.rootfs === undefined ? positional[0] : undefined
  const command = flags.rootfs === undefined ? positional.slice(1) : positional
  const detach = flags.detach || verb === 'create' || attached
  const options = runOptionsFromFlags(image, command, { ...flags, detach, noHealthcheck: flags.healthcheck === false }, {
    storeRoot: global.root,
    stateRoot: global.state,
    selfCommand: selfCommand(global),
    waitAttach: attached,
    // only a -t container has a console; without one, process.stdout stays
    // unmade (making it loads Node's streams, 2 ms)
    consoleSize: flags.tty && process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
    resolveImage: async (ref: string, storeRoot: string) => {
      const { resolveForRun } = await import('./resolve-image.js')
      return resolveForRun(ref, storeRoot, (flags.pull ?? 'missing') as 'missing' | 'always' | 'never', {
        ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
        ...(flags.quiet ? { quiet: true } : {}),
        insecureRegistries: flags.insecureRegistry,
      })
    },
  })
  return verb === 'create' ? { ...options, createOnly: true } : options
}

/**
 * `run -it` and `run --restart` in the foreground run under a monitor, and
 * the CLI attaches to it, as Docker's does: the detach keys can then leave
 * the container running, and a restart policy has someone to carry it out.
 * Every other foreground run stays the CLI's own child (no monitor, fewer
 * processes, the start-up path that is measured).
 */
export function attachedRun(flags: Pick<RunFlags, 'detach' | 'interactive' | 'tty' | 'restart'>): boolean {
  if (flags.detach) return false
  if (flags.interactive && flags.tty) return true
  return flags.restart !== undefined && parseRestartPolicy(flags.restart).name !== 'no'
}

/** The output streams a foreground run shows (run -a). */
export interface ShownStreams {
  stdout: boolean
  stderr: boolean
}

/**
 * run -a/--attach as Docker's (cli/command/container/opts.go): the streams
 * named, any case; none named is stdout and stderr. Stdin is -i's alone:
 * -i attaches it whatever -a says, and -a stdin without -i leaves the
 * container's stdin closed. Refused with -d before anything starts. Both
 * command lines call it (commands/run.ts, run-in-foreground.ts).
 */
export function shownStreams(flags: Pick<RunFlags, 'attach'> & { detach?: boolean }): ShownStreams {
  const named = (flags.attach ?? []).map((stream) => {
    const lower = stream.toLowerCase()
    if (lower !== 'stdin' && lower !== 'stdout' && lower !== 'stderr') {
      throw new UsageError(`invalid argument "${stream}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`)
    }
    return lower
  })
  if (named.length > 0 && flags.detach) throw new UsageError('conflicting options: cannot specify both --attach and --detach')
  return named.length === 0 ? { stdout: true, stderr: true } : { stdout: named.includes('stdout'), stderr: named.includes('stderr') }
}

/**
 * The argv that runs this very CLI again with this command's store and
 * state: the monitor's exit command and a health runner are made of it, run
 * after this process is gone; compose's context too. As the executable's #!
 * line runs it: "--" ends Node's own options, or Node 20 would read an
 * --env-file anywhere in argv (nodejs/node#54232).
 */
export function selfCommand(global: GlobalOptions): string[] {
  const self = [process.execPath, '--', process.argv[1]!, ...globalArgs(global)]
  // NODE_EXTRA_CA_CERTS out of Node's sight, as the #! line puts it: the
  // commands `stop` and `rm` wait for would parse it first (registry/extra-ca-certs.ts)
  const caCerts = process.env.NODE_EXTRA_CA_CERTS
  return caCerts ? ['/usr/bin/env', '-u', 'NODE_EXTRA_CA_CERTS', `MINI_RUN_EXTRA_CA_CERTS=${caCerts}`, ...self] : self
}

/** The global options again, for a command the monitor runs later (its store and state are this one's). */
export function globalArgs(global: GlobalOptions): string[] {
  const { defaultStateRoot, defaultStoreRoot } = pathDefaults
  return ['--root', global.root ?? defaultStoreRoot(), '--state', global.state ?? defaultStateRoot()]
}
