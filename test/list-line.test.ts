// The listing lines the launcher parses without commander (src/cli/list-line.ts)
// must reach the verb exactly as commander would hand them over: the same
// flags (defaults included), arguments and global options; and a line
// commander refuses must never be taken. Checked over generated lines against
// the real program (the verbs' own register functions, set up as cli-program.ts).
import { Command } from 'commander'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { register as registerImages } from '../src/cli/commands/images.js'
import { register as registerInspect } from '../src/cli/commands/inspect.js'
import { register as registerPs } from '../src/cli/commands/ps.js'
import { parseListLine } from '../src/cli/list-line.js'
import { addGlobalFlags } from '../src/cli/run-flag-specs.js'

const REGISTER = { ps: registerPs, images: registerImages, inspect: registerInspect }

/** What commander gives the verb's action, or 'refused'. */
async function commanderParse(argv: string[]): Promise<{ verb: string; globals: object; flags: object; args: string[] } | 'refused' | 'other'> {
  const program = new Command('mini-run')
  addGlobalFlags(program).enablePositionalOptions().exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
  program.option('-v, --version', 'print the version and exit')
  let seen: { verb: string; globals: object; flags: object; args: string[] } | undefined
  for (const [verb, register] of Object.entries(REGISTER)) {
    register(program)
    const sub = program.commands.find((c) => c.name() === verb)!
    sub.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    sub.action((...a: unknown[]) => {
      const cmd = a.at(-1) as Command
      const flags = a.at(-2) as object
      const positional = a.slice(0, -2).flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p])) as string[]
      seen = { verb, globals: { ...program.opts() }, flags: { ...flags }, args: positional }
      void cmd
    })
  }
  try {
    await program.parseAsync(argv)
  } catch {
    return 'refused'
  }
  return seen ?? 'other'
}

const token = fc.constantFrom(
  '-a', '--all', '-q', '--quiet', '-aq', '-qa', '-as', '-al', '-l', '--latest', '-s', '--size', '--no-trunc', '--digests',
  '--format', '--format={{.ID}}', '--format=', '-f', '{{.Names}}', 'json', 'table {{.ID}}', '--filter', 'name=a', '-n', '2',
  'c1', 'web', 'alpine:3', '--', '-', '-x', '--type', 'image', '--help', '-h', '--root', '--state=/s', '-fjson', '-f=x', '--log-level', 'debug',
  '', 'é', '--format=-x', '--no-trunc=x', '--all=', '-aqq', '-ah', '-v', '--version', 'help', '-1', '=',
)
const globalTokens = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom(['--root', '/r'], ['--root=/r2'], ['--state', 'st'], ['--state=/s']), { maxLength: 2 }), weight: 3 },
  {
    arbitrary: fc.array(fc.constantFrom(['--root', '/r'], ['--state=/s'], ['--root', '-x'], ['--log-level', 'info'], ['-v'], ['--help'], ['--root'], ['--root='], ['--root=-v'], ['--state', '']), { maxLength: 3 }),
    weight: 1,
  },
)
// mostly the subset's own tokens, so that many lines are taken and compared
const likely = fc.constantFrom('-a', '--all', '-q', '-aq', '-qa', '-as', '-l', '-s', '--no-trunc', '--digests', '--format', '--format=json', '-f', '{{.ID}}', 'c1', 'web')
const line = fc
  .tuple(
    globalTokens,
    fc.oneof({ arbitrary: fc.constantFrom('ps', 'images', 'inspect'), weight: 4 }, { arbitrary: fc.constantFrom('run', 'pss'), weight: 1 }),
    fc.oneof({ arbitrary: fc.array(likely, { maxLength: 5 }), weight: 3 }, { arbitrary: fc.array(token, { maxLength: 6 }), weight: 1 }),
  )
  .map(([globals, verb, rest]) => ['node', 'mini-run', ...globals.flat(), verb, ...rest])

describe('the listing lines parsed without commander', () => {
  it('give the verb what commander gives it, and refuse what commander refuses', async () => {
    let taken = 0
    await fc.assert(
      fc.asyncProperty(line, async (argv) => {
        const quick = parseListLine(argv)
        if (quick === undefined) return
        taken++
        const expected = await commanderParse(argv)
        expect(expected).toEqual({ verb: quick.verb, globals: quick.globals, flags: quick.flags, args: quick.args })
      }),
      { numRuns: 1500 },
    )
    // the generator reaches the subset often enough for the comparison to mean something
    expect(taken).toBeGreaterThan(150)
  })

  it('takes the lines scripts type, and leaves the rest to commander', () => {
    const argv = (...a: string[]) => ['node', 'mini-run', ...a]
    expect(parseListLine(argv('ps', '-a'))).toEqual({ verb: 'ps', globals: {}, flags: { filter: [], trunc: true, all: true }, args: [] })
    expect(parseListLine(argv('--root', '/r', '--state=/s', 'images', '-q', 'alpine'))).toEqual({
      verb: 'images', globals: { root: '/r', state: '/s' }, flags: { filter: [], trunc: true, quiet: true }, args: ['alpine'],
    })
    expect(parseListLine(argv('inspect', '-f', '{{.Id}}', 'a', 'b'))).toEqual({ verb: 'inspect', globals: {}, flags: { format: '{{.Id}}' }, args: ['a', 'b'] })
    for (const other of [['ps', '--filter', 'name=a'], ['ps', '-n', '2'], ['ps', '--help'], ['inspect'], ['--log-level', 'debug', 'ps'], ['ps', 'x'], ['images', 'a', 'b'], ['run', 'alpine']]) {
      expect(parseListLine(argv(...other))).toBeUndefined()
    }
  })
})
