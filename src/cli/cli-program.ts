/**
 * mini-run's own command line, given the verbs it may run: commander set up
 * as Docker's CLI behaves (global options before the verb, `mini-run IMAGE`
 * for `run --rm`, usage errors in Docker's words, exit codes). main.ts runs
 * it with every verb; the launcher's listing bundle (list-main.ts) with the
 * few it holds.
 */
import { Command, CommanderError } from 'commander'
import { acceptBoolValues } from './bool-flag-values.js'
import { EXIT_COMMAND_ERROR, usageErrorExitCode } from './exit-codes.js'
import { globalLogLevel } from './global-options.js'
import { dockerUsageError } from './main-errors.js'
import { reportError } from './report-error.js'
import { addGlobalFlags } from './run-flag-specs.js'
import { endQuietlyWhenReaderGone, exitCodeOrReaderGone } from './stdout-reader-gone.js'
import { isDockerOnlyVerb, isVerb } from './verbs.js'

/** Registers the verb a line names (every verb when it names none it knows). */
export type RegisterVerbs = (program: Command, only?: string) => void

export async function cliMain(argv: string[], registerCommands: RegisterVerbs): Promise<number> {
  endQuietlyWhenReaderGone()
  const program = new Command('mini-run')
    .description('a small container runtime: a container is a restricted process')
  addGlobalFlags(program)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  // the verb that runs (`container run`), whose errors exit as its own (exit-codes.ts)
  let action: Command | undefined
  program.hook('preAction', async (cmd, actionCommand) => {
    action = actionCommand
    const level = globalLogLevel(cmd.opts())
    if (level) (await import('../log.js')).setLogLevel(level)
  })
  const verb = verbOf(program, argv)
  // -v/--version before any verb, as Docker's `docker --version`
  const globals = argv.slice(2, verb?.index ?? argv.length)
  if (globals.includes('--version') || globals.includes('-v')) {
    const { miniRunVersion } = await import('../version.js')
    process.stdout.write(`mini-run version ${miniRunVersion()}\n`)
    return 0
  }
  if (verb && isDockerOnlyVerb(verb.word)) {
    // Docker's CLI exits 1 for a command it does not have (`docker foo`): so does mini-run
    process.stderr.write(`mini-run: "${verb.word}" is a Docker command that mini-run does not have (an image of that name runs with: mini-run run ${verb.word})\n`)
    return EXIT_COMMAND_ERROR
  }
  // `mini-run alpine sh`: a first word that is no verb is an image, and
  // the line means `run --rm`, interactive with a terminal when there is one
  if (verb && !isVerb(verb.word)) {
    const terminal = process.stdin.isTTY && process.stdout.isTTY ? ['-i', '-t'] : []
    argv = [...argv.slice(0, verb.index), 'run', '--rm', ...terminal, ...argv.slice(verb.index)]
  }
  program.option('-v, --version', 'print the version and exit')
  const verbWord = registeredVerb(verb)
  registerCommands(program, verbWord)
  dockerErrors(program)
  acceptBoolValues(program)
  try {
    await program.parseAsync(argv)
    return exitCodeOrReaderGone(typeof process.exitCode === 'number' ? process.exitCode : 0)
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; a flag commander could not parse 125, as Docker's.
      // A group named alone (`mini-run network`: commander's help, as an error) shows its help on stderr
      // and exits 0, as docker/cli's ShowHelp and docker compose's root do; `help nosuch` (the same
      // code from commander's help command) stays an error, as Docker's `unknown help topic`
      const groupAlone = err.code === 'commander.help' && !argv.slice(2).includes('help')
      helpOnly = err.exitCode === 0 || groupAlone
      return helpOnly ? 0 : usageErrorExitCode(err.code, verbWord === undefined ? [] : [verbWord])
    }
    return reportError(err, action ? commandWords(action) : verbWord === undefined ? [] : [verbWord])
  }
}

let helpOnly = false

/**
 * Whether the line ended in help or a version that commander printed, which
 * exits 0 without the verb's action: such a run marks no code cache as one
 * of the verb's whole runs (launcher.cts).
 */
export function shownHelpOnly(): boolean {
  return helpOnly
}

/** The verb cliMain registers for a line's first word: the word if it is a verb, else run (`mini-run IMAGE`). */
function registeredVerb(verb: { word: string } | undefined): string | undefined {
  return verb && isVerb(verb.word) ? verb.word : verb ? 'run' : undefined
}

/** The verb cliMain would register for argv (a verb's own bundle runs only its own: verb-main.ts). */
export function lineVerbOf(argv: string[]): string | undefined {
  return registeredVerb(verbOf(addGlobalFlags(new Command('mini-run')), argv))
}

/** "mini-run container ls" */
function commandPath(cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

/** ['container', 'ls']: the command's words after `mini-run` */
function commandWords(cmd: Command): string[] {
  return commandPath(cmd).split(' ').slice(1)
}

function dockerErrors(cmd: Command): void {
  cmd.configureOutput({
    writeErr: (s) => process.stderr.write(s),
    outputError: (message, write) => write(dockerUsageError(message, commandPath(cmd))),
  })
  for (const sub of cmd.commands) dockerErrors(sub)
}

/** The first word after the global options (which take values, as the program defines them), and where it is. */
function verbOf(program: Command, argv: string[]): { word: string; index: number } | undefined {
  const takesValue = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]))
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('-')) return { word: arg, index: i }
    if (takesValue.has(arg)) i++ // --root DIR
  }
  return undefined
}

