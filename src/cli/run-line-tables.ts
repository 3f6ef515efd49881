/**
 * The flag tables of the launcher's thin parser (run-line-parse.ts): the
 * global options and run's flags, read from the functions that give them
 * to commander (run-flag-specs.ts), as plain data. The build computes them
 * once and writes them into the launcher (scripts/bundle.mjs), which then
 * neither loads nor runs the flag definitions at each start.
 */
import { addGlobalFlags, addRunFlags, addRunVerbFlags, collect, HIDDEN_RUN_FLAG_ALIASES, type OptionSink } from './run-flag-specs.js'

export interface FlagSpec {
  short?: string
  long: string
  /** commander's attribute name: camelCase of the long name, without "no-". */
  key: string
  value: 'none' | 'required' | 'optional'
  negate: boolean
  /** Repeatable: each value is appended (run-flag-specs.ts's collect). */
  repeat: boolean
  defaultValue?: string | boolean | string[]
}

export interface FlagTables {
  global: FlagSpec[]
  run: FlagSpec[]
}

/** The options a sink is given, as commander would read their flags strings. */
class SpecRecorder implements OptionSink {
  readonly specs: FlagSpec[] = []

  option(flags: string, _description: string, parseOrDefault?: unknown, defaultValue?: unknown): this {
    // commander's splitOptionFlags and Option constructor, for the forms the tables use
    const m = /^(?:(-\w), )?(--[\w-]+)(?: ([<[].*))?$/.exec(flags)
    if (!m || /\w\.\.\.[>\]]$/.test(flags)) throw new TypeError(`run-line-tables: flags it cannot read: ${flags}`)
    if (typeof parseOrDefault === 'function' && parseOrDefault !== collect) throw new TypeError(`run-line-tables: ${flags} has a parser other than collect`)
    const long = m[2]!
    const negate = long.startsWith('--no-')
    const key = long.slice(negate ? 5 : 2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())
    const value = flags.includes('<') ? 'required' : flags.includes('[') ? 'optional' : 'none'
    const repeat = parseOrDefault === collect
    const spec: FlagSpec = { long, key, value, negate, repeat, ...(m[1] && { short: m[1] }) }
    const fallback = (repeat ? defaultValue : parseOrDefault) as FlagSpec['defaultValue']
    // a --no-x defaults x to true, unless a --x came before it (commander's addOption)
    const positiveFirst = negate && this.specs.some((s) => s.long === `--${long.slice(5)}`)
    if (fallback !== undefined || (negate && !positiveFirst)) spec.defaultValue = fallback ?? true
    this.specs.push(spec)
    return this
  }
}

export function flagTables(): FlagTables {
  return {
    global: addGlobalFlags(new SpecRecorder()).specs,
    run: withAliases(addRunFlags(addRunVerbFlags(new SpecRecorder())).specs),
  }
}

/** A hidden alias is its flag under another long name: the same key, no default of its own (the flag's is set once). */
function withAliases(specs: FlagSpec[]): FlagSpec[] {
  const aliases = Object.entries(HIDDEN_RUN_FLAG_ALIASES).map(([alias, of]) => {
    const target = specs.find((s) => s.long === of)
    if (!target) throw new TypeError(`run-line-tables: ${alias} is an alias of ${of}, which is no flag`)
    const { short: _short, defaultValue: _default, ...rest } = target
    return { ...rest, long: alias }
  })
  return [...specs, ...aliases]
}
