/**
 * The codes mini-run exits with for its own failures, by verb, as Docker's
 * CLI exits (the container's codes: runtime/process/exit-status.ts).
 *
 * Docker's CLI exits 125 for a flag it cannot parse, whatever the verb
 * (cli.FlagErrorFunc's StatusError); `run` and `create` exit 125 for their
 * own errors too (the daemon's, 126/127 for a command that cannot run);
 * every other verb exits 1 for an error, as cobra's own errors do (a
 * missing argument, an unknown command). `docker compose`, a plugin,
 * exits 1 for everything, its flag errors included (compose's
 * SetFlagErrorFunc). An error that knows its code (ExecError: 126, 127;
 * a build's RUN: the command's) keeps it.
 */
import { UsageError } from '../errors.js'

/** mini-run's own failure in `run`/`create`, or a flag that cannot be parsed. */
export const EXIT_RUNTIME_ERROR = 125

/** Any other verb's failure. */
export const EXIT_COMMAND_ERROR = 1

/** Killed by SIGPIPE, as the shell reports it (128 + 13): the reader of stdout went away. */
export const EXIT_SIGPIPE = 141

/** The verbs whose errors are Docker's 125: `run`, `create`, under `container` too. */
const RUNTIME_ERROR_VERBS: ReadonlySet<string> = new Set(['run', 'create', 'container run', 'container create'])

/**
 * A flag's value that Docker's flag library refuses before the verb runs
 * (a word for an int flag: `ps -n x`, `stop -t x`), but commander takes as
 * a string for the verb to check: 125, as commander's own flag errors.
 */
export class FlagValueError extends UsageError {
  override name = 'FlagValueError'
}

/** The exit code of an error of a verb (its words after `mini-run`: `['container', 'run']`). */
export function errorExitCode(err: unknown, verb: readonly string[]): number {
  const code = (err as { exitCode?: unknown } | null)?.exitCode
  if (typeof code === 'number') return code
  if (err instanceof FlagValueError && verb[0] !== 'compose') return EXIT_RUNTIME_ERROR
  return verbErrorExitCode(verb)
}

/**
 * The exit code of a verb's error that names none. `verb`: the command's
 * words after `mini-run` (`['container', 'run']`); empty when the line
 * named no verb.
 */
export function verbErrorExitCode(verb: readonly string[]): number {
  return RUNTIME_ERROR_VERBS.has(verb.join(' ')) ? EXIT_RUNTIME_ERROR : EXIT_COMMAND_ERROR
}

/**
 * The exit code of commander's usage error (CommanderError#code): a flag it
 * could not parse is 125, except under compose; an argument too few or too
 * many, or an unknown command, is cobra's plain error: 1.
 */
export function usageErrorExitCode(code: string, verb: readonly string[]): number {
  return FLAG_ERRORS.has(code) && verb[0] !== 'compose' ? EXIT_RUNTIME_ERROR : EXIT_COMMAND_ERROR
}

const FLAG_ERRORS: ReadonlySet<string> = new Set([
  'commander.unknownOption',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.conflictingOption',
  // a flag's value its parser refused (no positional argument of mini-run's has a parser)
  'commander.invalidArgument',
])
