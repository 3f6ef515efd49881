// Docker's boolean flag values (src/cli/bool-flag-values.ts): `--rm=false`,
// `commit --pause=false`, `ps --all=true`, `-d=false`, as pflag reads them,
// through commander and through the launcher's thin parsers alike.
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { acceptBoolValues, boolValuesAsFlags, parseBoolValue } from '../src/cli/bool-flag-values.js'
import { stringToBool } from '../src/go-bool.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('boolean flag values (unit)', () => {
  it('reads what Go\'s strconv.ParseBool reads, and nothing else', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseBoolValue(t)).toBe(true)
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseBoolValue(f)).toBe(false)
    for (const x of ['', 'yes', 'no', 'tRUE', 'on', '2']) expect(parseBoolValue(x)).toBeUndefined()
  })

  it('reads COMPOSE_* variables as docker compose\'s StringToBool: trimmed, in any case, y too; anything else is false', () => {
    for (const t of ['1', 'true', ' tRuE ', 'T', 'y', 'Y']) expect(stringToBool(t)).toBe(true)
    for (const f of ['', '0', 'false', 'yes', 'n', 'on', 'x']) expect(stringToBool(f)).toBe(false)
  })

  const command = () => {
    const cmd = new Command('commit')
      .exitOverride()
      .configureOutput({ writeErr: () => undefined })
      .option('-p, --pause', 'pause')
      .option('--no-pause', 'do not pause')
      .option('-a, --all', 'all')
      .option('--no-trunc', 'no truncation')
      .option('-m, --message <text>', 'message')
      .argument('[rest...]')
    return cmd
  }

  it('rewrites a command\'s own boolean flags with values, and leaves values and operands alone', () => {
    const cmd = command()
    expect(boolValuesAsFlags(cmd, ['--pause=false', 'c'])).toEqual(['--no-pause', 'c'])
    expect(boolValuesAsFlags(cmd, ['--pause=true', '-p=0'])).toEqual(['--pause', '--no-pause'])
    // without a --no- form, false is the flag not given: the last spelling wins
    expect(boolValuesAsFlags(cmd, ['-a', '--all=false', 'c'])).toEqual(['c'])
    expect(boolValuesAsFlags(cmd, ['--all=false', '--all=1'])).toEqual(['--all'])
    expect(boolValuesAsFlags(cmd, ['--no-trunc=true'])).toEqual(['--no-trunc'])
    expect(boolValuesAsFlags(cmd, ['--no-trunc', '--no-trunc=false'])).toEqual([])
    // a flag's value is not a flag; a flag taking a value keeps `=`
    expect(boolValuesAsFlags(cmd, ['-m', '--all=false', '--message=--all=true'])).toEqual(['-m', '--all=false', '--message=--all=true'])
    // unknown flags and what follows `--` are commander's
    expect(boolValuesAsFlags(cmd, ['--nope=false', '--', '--all=true'])).toEqual(['--nope=false', '--', '--all=true'])
    // a group of boolean short flags with a value, as pflag reads it: the value is the last letter's
    expect(boolValuesAsFlags(cmd, ['-ap=false', 'c'])).toEqual(['-a', '--no-pause', 'c'])
    expect(boolValuesAsFlags(cmd, ['-pa=0'])).toEqual(['-p'])
    expect(boolValuesAsFlags(cmd, ['-pa=1'])).toEqual(['-p', '-a'])
    // not when a letter takes a value (-m's value is "a=false") or is unknown
    expect(boolValuesAsFlags(cmd, ['-ma=false'])).toEqual(['-ma=false'])
    expect(boolValuesAsFlags(cmd, ['-ax=false'])).toEqual(['-ax=false'])
  })

  it('stops where the command hands the rest on: a pass-through command\'s first operand', () => {
    const run = new Command('run').passThroughOptions().option('--rm', 'remove').argument('<image>').argument('[command...]')
    expect(boolValuesAsFlags(run, ['--rm=false', 'img', '--rm=true'])).toEqual(['img', '--rm=true'])
  })

  it('gives Docker\'s error for a value ParseBool refuses', () => {
    const cmd = command()
    expect(() => boolValuesAsFlags(cmd, ['--all=yes'])).toThrow('invalid argument "yes" for "--all" flag: strconv.ParseBool: parsing "yes": invalid syntax')
  })

  it('parses through a whole tree of commands', () => {
    const program = new Command('mini-run').enablePositionalOptions().exitOverride()
    let got: Record<string, unknown> | undefined
    program.addCommand(command().action((_rest: string[], flags: Record<string, unknown>) => void (got = flags)))
    acceptBoolValues(program)
    program.parse(['node', 'mini-run', 'commit', '--pause=false', '--all=true', 'c'])
    expect(got).toMatchObject({ pause: false, all: true })
  })
})

describe.skipIf(!isRoot)('boolean flag values on the command line (needs root: containers)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('run --rm=false keeps the container, --rm=true removes it, and a listing takes --all=false', () => {
    const kept = env.run(['run', '--rm=false', '--name', 'kept', '--network', 'none', BUSYBOX, 'echo', 'one'])
    expect(kept.stderr).toBe('')
    expect(kept.stdout).toBe('one\n')
    const gone = env.run(['run', '--rm=true', '--name', 'gone', '--network', 'none', BUSYBOX, 'echo', 'two'])
    expect(gone.stdout).toBe('two\n')
    expect(env.run(['ps', '--all=true', '--format', '{{.Names}}']).stdout).toBe('kept\n')
    expect(env.run(['ps', '-a=false', '--format', '{{.Names}}']).stdout).toBe('')
    expect(env.run(['rm', 'kept']).status).toBe(0)
    // -it=false: interactive, without a terminal (pflag: -i, then -t=false)
    const piped = env.run(['run', '--rm', '-it=false', '--network', 'none', BUSYBOX, 'sh', '-c', 'cat; [ -t 0 ] && echo tty || echo no tty'], { input: 'hi\n' })
    expect([piped.status, piped.stdout, piped.stderr]).toEqual([0, 'hi\nno tty\n', ''])
  })

  it('commit --pause=false is refused for a running container as --no-pause is, and a bad value exits 125', () => {
    const id = env.run(['run', '-d', '--name', 'busy', '--network', 'none', BUSYBOX, 'sleep', '1000']).stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    const viaValue = env.run(['commit', '--pause=false', 'busy', 'x:1'])
    const viaNegation = env.run(['commit', '--no-pause', 'busy', 'x:1'])
    expect(viaValue.status).not.toBe(0)
    expect(viaValue.stderr).not.toMatch(/unknown flag/)
    expect(viaValue).toEqual(viaNegation)
    const bad = env.run(['run', '--rm=maybe', BUSYBOX, 'true'])
    expect(bad.status).toBe(125)
    expect(bad.stderr).toBe('invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax\nSee \'mini-run run --help\'.\n')
    expect(env.run(['rm', '-f', 'busy']).status).toBe(0)
  })
})
