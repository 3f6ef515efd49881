/**
 * Docker's CLI (spf13/pflag) takes a value for every boolean flag:
 * `--rm=false`, `--privileged=true`, `-d=false`, `commit --pause=false`,
 * spelled as Go's strconv.ParseBool reads it. Scripts written for Docker use
 * it, to turn a flag off that a variable or a wrapper turned on. Commander
 * knows only `--flag` and `--no-flag`: before a command parses its options,
 * each `--flag=VALUE` of one of its boolean flags becomes `--flag` (true),
 * `--no-flag` where the command has one (false), or nothing (false: the
 * flag's default). The thin parsers (run-line-parse.ts) read the same
 * spellings, or leave the line to commander.
 */
import type { Command, Option } from 'commander'
import { parseBoolValue } from '../go-bool.js'

export { parseBoolValue }

/** Let every command of the tree take `--flag=true|false` for its boolean flags. */
export function acceptBoolValues(cmd: Command): void {
  const parse = cmd.parseOptions.bind(cmd)
  cmd.parseOptions = (args: string[]) => parse(boolValuesAsFlags(cmd, args))
  for (const sub of cmd.commands) acceptBoolValues(sub)
}

const takesValue = (o: Option): boolean => o.required || o.optional
const names = (o: Option, arg: string): boolean => o.long === arg || o.short === arg
const maybeOption = (arg: string | undefined): boolean => arg !== undefined && arg.length > 1 && arg[0] === '-'

/** -ie VALUE: the flag at the end of a group of short ones whose value may be the next argument (commander's reading). */
function groupEnd(own: readonly Option[], arg: string): Option | undefined {
  if (arg[1] === '-') return undefined
  for (let at = 1; at < arg.length; at++) {
    const option = own.find((o) => o.short === `-${arg[at]}`)
    if (option === undefined) return undefined
    // a value in the same argument ends the group
    if (takesValue(option)) return at === arg.length - 1 ? option : undefined
  }
  return undefined
}

/** The boolean flags of a group of short ones (-it, -ie VALUE: i), before any that takes a value. */
function groupFlags(own: readonly Option[], arg: string): Option[] {
  if (arg[1] === '-') return []
  const flags: Option[] = []
  for (let at = 1; at < arg.length; at++) {
    const option = own.find((o) => o.short === `-${arg[at]}`)
    if (option === undefined) return []
    if (takesValue(option)) break
    flags.push(option)
  }
  return flags
}

/** A group of short flags without one of its booleans (-it less t: -i); '' where nothing is left. */
function withoutLetter(own: readonly Option[], group: string, letter: string): string {
  const end = 1 + groupFlags(own, group).length
  const flags = group.slice(1, end).split('').filter((c) => c !== letter).join('')
  const rest = group.slice(end)
  return flags === '' && rest === '' ? '' : `-${flags}${rest}`
}

/**
 * The command's arguments with its own `--flag=VALUE` booleans rewritten,
 * read as commander's parseOptions reads them: a flag's value is not a flag,
 * and the options end at `--` or where this command hands the rest on (its
 * first operand, with positional or pass-through options).
 */
export function boolValuesAsFlags(cmd: Command, input: readonly string[]): string[] {
  const args = [...input]
  const out: string[] = []
  // where each of the command's own flags was given in out (letter: inside a group of short flags, -it)
  const given: { at: number; option: Option; letter?: string }[] = []
  const own = cmd.options as readonly Option[]
  const stopAtOperand = (cmd as unknown as { _passThroughOptions?: boolean })._passThroughOptions === true ||
    ((cmd as unknown as { _enablePositionalOptions?: boolean })._enablePositionalOptions === true && cmd.commands.length > 0)
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--' || (!maybeOption(arg) && stopAtOperand)) {
      out.push(...args.slice(i))
      break
    }
    if (!maybeOption(arg)) {
      out.push(arg)
      continue
    }
    const exact = own.find((o) => names(o, arg))
    if (exact) {
      given.push({ at: out.length, option: exact })
      out.push(arg)
      if (exact.required || (exact.optional && i + 1 < args.length && !maybeOption(args[i + 1]))) out.push(args[++i]!)
      continue
    }
    const eq = arg.indexOf('=')
    // -it=false, as pflag reads it: -i, then -t=false (every letter a boolean flag)
    const letters = arg[1] !== '-' && eq > 2 ? arg.slice(1, eq) : ''
    if (letters !== '' && [...letters].every((c) => own.some((o) => o.short === `-${c}` && !takesValue(o)))) {
      args.splice(i, 1, `-${letters.slice(0, -1)}`, `-${letters.slice(-1)}${arg.slice(eq)}`)
      i--
      continue
    }
    const flag = eq > 1 ? own.find((o) => names(o, arg.slice(0, eq)) && !takesValue(o)) : undefined
    if (flag === undefined) {
      for (const letter of groupFlags(own, arg)) given.push({ at: out.length, option: letter, letter: letter.short!.slice(1) })
      out.push(arg)
      const last = groupEnd(own, arg)
      if (last && i + 1 < args.length && (last.required || !maybeOption(args[i + 1]))) out.push(args[++i]!)
      continue
    }
    const text = arg.slice(eq + 1)
    const on = parseBoolValue(text)
    const name = arg.slice(0, eq)
    if (on === undefined) cmd.error(`invalid argument "${text}" for "${name}" flag: strconv.ParseBool: parsing "${text}": invalid syntax`, { code: 'commander.invalidArgument', exitCode: 125 })
    // `--no-trunc` is a flag of its own in Docker's CLI: its false is its absence
    const negation = on || flag.negate ? undefined : own.find((o) => o.negate && o.attributeName() === flag.attributeName())
    if (on || negation?.long) {
      given.push({ at: out.length, option: flag })
      out.push(on ? name : negation!.long!)
    } else {
      // false is the flag not given: the last spelling wins, as in pflag
      for (const g of given) if (g.option === flag) out[g.at] = g.letter === undefined ? '' : withoutLetter(own, out[g.at]!, g.letter)
    }
  }
  return out.filter((arg, at) => arg !== '' || !given.some((g) => g.at === at))
}
