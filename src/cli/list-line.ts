/**
 * The listing lines scripts run in loops (`ps -a`, `images -q`, `inspect
 * NAME`), parsed without commander: its load, a program with every global
 * flag and the verb's, and its parse were 1.5-2 ms of a listing that takes
 * 15 ms above Node's own start. The grammar is a strict subset of what
 * commander accepts for these verbs (cli-program.ts, commands/*.ts): global
 * --root and --state before the verb; the verb's boolean flags (bundled
 * short ones too), --no-trunc, --format (and inspect's -f) with a value that
 * does not start with "-"; the positionals the verb takes. Anything else
 * (--help, a filter, an unknown or misplaced flag, a missing value) is
 * undefined: commander parses the line, and says what is wrong in Docker's
 * words. test/list-line.test.ts checks, over generated lines, that this
 * gives the verb exactly the flags and arguments commander gives it.
 */
export type ListVerb = 'ps' | 'images' | 'inspect'
/** The listing bundle's verbs (list-main.ts); the build makes no bundle of their own for them (scripts/bundle.mjs). */
export const LIST_VERB_NAMES: readonly ListVerb[] = ['ps', 'images', 'inspect']

export interface ListLine {
  verb: ListVerb
  /** As commander's program.opts() would hold them: only those given. */
  globals: { root?: string; state?: string }
  /** As commander passes them to the action, defaults included. */
  flags: Record<string, unknown>
  args: string[]
}

interface VerbGrammar {
  booleans: Record<string, string>
  values: Record<string, string>
  defaults: () => Record<string, unknown>
  noTrunc: boolean
  /** How many positionals: at most (images: [repository]), or at least one (inspect). */
  positionals: 'none' | 'optional-one' | 'some'
}

const GRAMMAR: Record<ListVerb, VerbGrammar> = {
  ps: {
    booleans: { '-a': 'all', '--all': 'all', '-q': 'quiet', '--quiet': 'quiet', '-l': 'latest', '--latest': 'latest', '-s': 'size', '--size': 'size' },
    values: { '--format': 'format' },
    defaults: () => ({ filter: [], trunc: true }),
    noTrunc: true,
    positionals: 'none',
  },
  images: {
    booleans: { '-a': 'all', '--all': 'all', '-q': 'quiet', '--quiet': 'quiet', '--digests': 'digests' },
    values: { '--format': 'format' },
    defaults: () => ({ filter: [], trunc: true }),
    noTrunc: true,
    positionals: 'optional-one',
  },
  inspect: {
    booleans: { '-s': 'size', '--size': 'size' },
    values: { '-f': 'format', '--format': 'format' },
    defaults: () => ({}),
    noTrunc: false,
    positionals: 'some',
  },
}

const GLOBALS: Record<string, 'root' | 'state'> = { '--root': 'root', '--state': 'state' }

function isVerb(word: string | undefined): word is ListVerb {
  return (LIST_VERB_NAMES as readonly (string | undefined)[]).includes(word)
}

/** A value as commander takes it without a doubt: present, and not an option's look. */
const plainValue = (v: string | undefined): v is string => v !== undefined && !v.startsWith('-')

/** The line as commander would give it to the verb, or undefined when it is not of the subset above. */
export function parseListLine(argv: readonly string[]): ListLine | undefined {
  const globals: ListLine['globals'] = {}
  let i = 2
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [name, inline] = splitInline(argv[i]!)
    const key = GLOBALS[name]
    if (key === undefined) return undefined
    const value = inline ?? argv[++i]
    if (!plainValue(value) && inline === undefined) return undefined
    globals[key] = value!
  }
  const verb = argv[i]
  if (!isVerb(verb)) return undefined
  const g = GRAMMAR[verb]
  const flags = g.defaults()
  const args: string[] = []
  for (i++; i < argv.length; i++) {
    const token = argv[i]!
    if (!token.startsWith('-') || token === '-') {
      if (token === '-') return undefined
      args.push(token)
      continue
    }
    if (token === '--no-trunc' && g.noTrunc) {
      flags.trunc = false
      continue
    }
    const boolean = g.booleans[token]
    if (boolean !== undefined) {
      flags[boolean] = true
      continue
    }
    const [name, inline] = splitInline(token)
    const valueKey = g.values[name]
    if (valueKey !== undefined) {
      const value = inline ?? argv[++i]
      if (inline === undefined && !plainValue(value)) return undefined
      flags[valueKey] = value
      continue
    }
    // bundled short booleans: -aq
    if (/^-[a-zA-Z]{2,}$/.test(token)) {
      const names = [...token.slice(1)].map((c) => g.booleans[`-${c}`])
      if (names.some((n) => n === undefined)) return undefined
      for (const n of names) flags[n!] = true
      continue
    }
    return undefined
  }
  if (g.positionals === 'none' && args.length > 0) return undefined
  if (g.positionals === 'optional-one' && args.length > 1) return undefined
  if (g.positionals === 'some' && args.length === 0) return undefined
  return { verb, globals, flags, args }
}

/** `--name=value` as [--name, value]; a short option or one without "=" as [token, undefined]. */
function splitInline(token: string): [string, string | undefined] {
  const eq = token.indexOf('=')
  return token.startsWith('--') && eq > 2 ? [token.slice(0, eq), token.slice(eq + 1)] : [token, undefined]
}
