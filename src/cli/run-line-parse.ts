/**
 * The launcher's thin parser for the command line a user types most:
 * `mini-run [--root D] [--state D] run [flags] IMAGE [COMMAND...]` (or the
 * shorthand `mini-run IMAGE ...`) of a container that stays the CLI's child.
 * It reads the same flags as commander (run-flag-specs.ts, as tables:
 * run-line-tables.ts) and parses
 * the way commander does (its Command#parseOptions: `--flag value`,
 * `--flag=value`, `-fvalue`, `-it`, options only before the image with
 * passThroughOptions, `--` ending them), so that the launcher can start
 * such a run from a bundle without commander and without the other verbs:
 * 3 ms of every start (README "Start-up").
 *
 * It gives up (undefined) on anything else, and commander's CLI handles the
 * line as before: another verb, --help, a flag it does not know or that
 * misses its value, -d, -it, --restart, --explain, runc's command line.
 * test/run-line-parse.test.ts checks that whatever it does parse, commander
 * parses the same.
 */
import { basename } from 'node:path'
import { parseBoolValue } from './bool-flag-values.js'
import type { FlagSpec, FlagTables } from './run-line-tables.js'
import { isDockerOnlyVerb, isVerb } from './verbs.js'

export interface RunLine {
  globals: { root?: string; state?: string; logLevel?: string; debug?: boolean }
  /** The image and its command (or, with --rootfs, the command). */
  positional: string[]
  /** As commander's opts() would give them, defaults included. */
  flags: Record<string, unknown>
}

/** What the caller's fd is, without node:tty (which loads the net and stream modules). */
export type IsTerminal = (fd: number) => boolean

/**
 * argv as process.argv (node, script, args...): the run it means, or
 * undefined for commander's CLI. isTerminal tells the shorthand whether to
 * add -it (then it is commander's).
 */
export function parseRunLine(argv: readonly string[], isTerminal: IsTerminal, tables: FlagTables): RunLine | undefined {
  const globals = parseGlobals(argv, tables)
  if (!globals || globals.rest.length === 0) return undefined
  const [word, ...after] = globals.rest
  let runArgs: string[]
  if (word === 'run') runArgs = after
  else if (isVerb(word!) || isDockerOnlyVerb(word!) || word!.startsWith('-')) return undefined
  // `mini-run IMAGE ...`: `run --rm`, with -it on a terminal (main.ts)
  else if (isTerminal(0) && isTerminal(1)) return undefined
  else runArgs = ['--rm', ...globals.rest]
  const run = parseOptions(tables.run, runArgs, true)
  if (!run) return undefined
  const f = run.values
  if (f.detach || f.explain !== undefined || f.restart !== undefined || (f.interactive && f.tty)) return undefined
  return { globals: globals.values, positional: run.rest, flags: f }
}

/** The verb (or image) of mini-run's own command line after its global options. */
export function lineVerb(argv: readonly string[], tables: FlagTables): string | undefined {
  return parseGlobals(argv, tables)?.rest[0]
}

/**
 * Whether mini-run was invoked by one of runc's names, which are always
 * runc's command line (oci/detect.ts): the script's own name through its
 * #! line (a symlink named so), or the name native/launcher.c was invoked
 * by, which it gives Node as argv[0].
 */
export function invokedAsRunc(argv: readonly string[], argv0: string = process.argv0): boolean {
  return RUNC_NAMES.has(basename(argv[1] ?? '')) || RUNC_NAMES.has(basename(argv0))
}
const RUNC_NAMES: ReadonlySet<string> = new Set(['mini-run-oci', 'runc'])

/** The global options and what follows them; undefined for runc's command line or a global commander would refuse. */
function parseGlobals(argv: readonly string[], tables: FlagTables): { values: Record<string, unknown>; rest: string[] } | undefined {
  if (invokedAsRunc(argv)) return undefined
  return parseOptions(tables.global, argv.slice(2), false)
}

/**
 * Command#parseOptions for one command: its options up to the first word
 * that is none (with passThrough; without, the verb); undefined where
 * commander would report an error or do more than parse.
 */
function parseOptions(table: FlagSpec[], input: readonly string[], passThrough: boolean): { values: Record<string, unknown>; rest: string[] } | undefined {
  const values: Record<string, unknown> = {}
  for (const s of table) if (s.defaultValue !== undefined) values[s.key] = Array.isArray(s.defaultValue) ? [...s.defaultValue] : s.defaultValue
  const find = (arg: string) => table.find((s) => s.long === arg || s.short === arg)
  const args = [...input]
  const set = (spec: FlagSpec, value: string | undefined): void => {
    if (spec.repeat && value !== undefined) values[spec.key] = [...(values[spec.key] as string[]), value]
    else values[spec.key] = value ?? (spec.negate ? false : true)
  }
  while (args.length > 0) {
    const arg = args.shift()!
    if (arg === '--') return passThrough ? { values, rest: args } : undefined
    if (arg.length > 1 && arg.startsWith('-')) {
      const spec = find(arg)
      if (spec) {
        // an optional value takes the next word unless it looks like a flag: left to commander
        if (spec.value === 'optional') return undefined
        if (spec.value === 'required') {
          const value = args.shift()
          if (value === undefined) return undefined
          set(spec, value)
        } else set(spec, undefined)
        continue
      }
      if (arg[1] !== '-' && arg.length > 2) {
        // -it, -eFOO=bar
        const first = find(`-${arg[1]}`)
        if (first) {
          if (first.value === 'optional') return undefined
          if (first.value === 'required') set(first, arg.slice(2))
          else {
            set(first, undefined)
            args.unshift(`-${arg.slice(2)}`)
          }
          continue
        }
      }
      const eq = arg.indexOf('=')
      if (arg.startsWith('--') && eq > 2) {
        const withValue = find(arg.slice(0, eq))
        if (withValue && withValue.value === 'required') {
          set(withValue, arg.slice(eq + 1))
          continue
        }
        // Docker's --rm=false (bool-flag-values.ts): a value commander refuses is its to report
        const on = withValue?.value === 'none' ? parseBoolValue(arg.slice(eq + 1)) : undefined
        if (withValue && on !== undefined) {
          const negation = on || withValue.negate ? undefined : table.find((s) => s.negate && s.key === withValue.key)
          if (on || negation) set(negation ?? withValue, undefined)
          // --no-x=false beside a --x: commander undoes the --no-x given before, and what it leaves
          // depends on the order of all of them (bool-flag-values.ts): its to read
          else if (table.some((s) => s.key === withValue.key && s !== withValue)) return undefined
          else {
            const fallback = table.find((s) => s.key === withValue.key && s.defaultValue !== undefined)?.defaultValue
            if (fallback === undefined) delete values[withValue.key]
            else values[withValue.key] = fallback
          }
          continue
        }
      }
      // an unknown flag (or --help): commander's to report
      return undefined
    }
    return { values, rest: [arg, ...args] }
  }
  return { values, rest: [] }
}
