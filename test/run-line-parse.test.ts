// The launcher's thin parser for `run` (src/cli/run-line-parse.ts) against
// commander, which parses every line the thin one gives up on: whatever
// line the thin parser accepts, commander must accept too and give the
// same image, command, flags and global options (fast-check over lines made
// of run's own flags in every form commander takes, unknown flags, --help,
// -- and flag-like values). And the launcher must really take that path.
import { Command } from 'commander'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineRun } from '../src/cli/commands/run.js'
import { acceptBoolValues } from '../src/cli/bool-flag-values.js'
import { addGlobalFlags } from '../src/cli/run-flag-specs.js'
import { lineVerb, parseRunLine } from '../src/cli/run-line-parse.js'
import { lineVerbOf } from '../src/cli/cli-program.js'
import { flagTables } from '../src/cli/run-line-tables.js'
import { isVerb } from '../src/cli/verbs.js'

const RUNS = Number(process.env.MINI_RUN_FUZZ_RUNS ?? 3000)
const notTerminal = () => false
const tables = flagTables()

interface Parsed {
  globals: Record<string, unknown>
  positional: string[]
  flags: Record<string, unknown>
}

/**
 * What commander makes of a command line, set up as main.ts sets it up;
 * undefined if it refuses it. A first word that is no verb is rewritten
 * to `run --rm` first, as main.ts does for a caller without a terminal.
 */
function commanderParse(args: string[]): Parsed | undefined {
  const program = addGlobalFlags(new Command('mini-run'))
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
  const takesValue = new Set(['--root', '--state', '--log-level'])
  let i = 0
  while (i < args.length && args[i]!.startsWith('-')) i += takesValue.has(args[i]!) ? 2 : 1
  if (i < args.length && !isVerb(args[i]!)) args = [...args.slice(0, i), 'run', '--rm', ...args.slice(i)]
  program.option('-v, --version', 'print the version and exit')
  let got: Parsed | undefined
  defineRun(program).action((positional: string[], flags: Record<string, unknown>) => {
    got = { globals: program.opts(), positional, flags: { ...flags } }
  })
  // as cli-program.ts does: Docker's --rm=false
  acceptBoolValues(program)
  try {
    program.parse(['node', 'mini-run', ...args])
  } catch {
    return undefined
  }
  return got
}

function thinParse(args: string[]): Parsed | undefined {
  return parseRunLine(['node', '/usr/local/bin/mini-run', ...args], notTerminal, tables)
}

/** run's flags as commander holds them, in every form it takes. */
const runOptions = defineRun(new Command().enablePositionalOptions()).options
const value = fc.constantFrom('x', 'a=b', '-1', '', '--rm', 'busybox', '/a:/b:ro', 'never', '=y')
const flagToken: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom(...runOptions), value, fc.nat(3)).map(([o, v, form]): string[] => {
    const name = form % 2 === 0 || !o.short ? o.long! : o.short
    if (!o.required && !o.optional) return form === 2 ? [`${name}=${['true', 'false', '0', 'T', 'False', 'maybe'][v.length % 6]}`] : [name]
    if (form === 2) return [`${o.long}=${v}`]
    if (form === 3 && o.short) return [`${o.short}${v}`]
    return [name, v]
  }),
  // grouped short flags, booleans first
  fc.array(fc.constantFrom('i', 't', 'd', 'P', 'e', 'x'), { minLength: 2, maxLength: 3 }).map((cs) => [`-${cs.join('')}`]),
  fc.constantFrom(['--nope'], ['-Z'], ['--help'], ['--'], ['--rm=true'], ['--explain'], ['--explain=json'], ['--restart', 'no']),
)
const globalToken = fc.constantFrom(['--root', '/r'], ['--root=/r2'], ['--state', '/s'], ['--log-level', 'debug'], ['--debug'], ['-D'], ['-v'], ['--help'])
const commandWord = fc.constantFrom('sh', '-c', 'true', '--rm', '-e', 'x', '--', '-it')
const line = fc
  .tuple(
    fc.array(globalToken, { maxLength: 2 }),
    fc.constantFrom('run', 'run', 'run', 'busybox', 'ps', 'help'),
    fc.array(flagToken, { maxLength: 5 }),
    fc.constantFrom('busybox', 'localhost/mini-run/busybox:latest', '-'),
    fc.array(commandWord, { maxLength: 3 }),
  )
  .map(([globals, verb, flags, image, command]) => [...globals.flat(), verb, ...flags.flat(), image, ...command])

describe('the launcher\'s thin parser for run', () => {
  it('parses only lines commander parses, and as commander does (fast-check)', () => {
    let accepted = 0
    fc.assert(
      fc.property(line, (args) => {
        const thin = thinParse(args)
        if (thin === undefined) return
        accepted++
        const full = commanderParse(args)
        expect(full).toBeDefined()
        expect(thin.positional).toEqual(full!.positional)
        expect(thin.flags).toEqual(full!.flags)
        expect(thin.globals).toEqual(full!.globals)
      }),
      { numRuns: RUNS },
    )
    // the comparison above ran on a good share of the lines
    expect(accepted).toBeGreaterThan(RUNS / 10)
  })

  // The launcher runs a verb's own bundle (verb-main.ts) for the verb it finds here; that bundle
  // registers only that verb, so commander's program must find the same one in the line
  it("finds a line's verb where commander's program finds it (fast-check)", () => {
    const globals = fc.array(
      fc.constantFrom(['--root', '/r'], ['--root=/r2'], ['--state', '/s'], ['--state=/s'], ['--log-level', 'debug'], ['--log-level=info'], ['--debug'], ['-D'], ['-DD'], ['--'], ['-'], ['--nope'], ['-Z'], ['--root'], ['-v'], ['--help'], ['-Dv']),
      { maxLength: 3 },
    )
    const word = fc.constantFrom('rm', 'exec', 'volume', 'container', 'system', 'busybox', 'help', 'ps', '-', 'run', '--root', 'debug')
    let found = 0
    fc.assert(
      fc.property(globals, word, fc.array(fc.constantFrom('x', '-f', '--root', '/r', 'rm'), { maxLength: 2 }), (g, w, rest) => {
        const argv = ['node', 'mini-run', ...g.flat(), w, ...rest]
        const verb = lineVerb(argv, tables)
        if (verb === undefined || verb === 'help' || !isVerb(verb)) return
        found++
        expect(lineVerbOf(argv), argv.join(' ')).toBe(verb)
      }),
      { numRuns: RUNS },
    )
    expect(found).toBeGreaterThan(RUNS / 10)
  })

  it('takes the lines users type', () => {
    for (const args of [
      ['run', '--rm', 'busybox', 'true'],
      ['run', '--rm', '-e', 'A=1', '-eB=2', '--env=C=3', '-v', '/a:/b', '-i', '--name', 'web', 'busybox', 'sh', '-c', 'echo $A'],
      ['--root', '/x', '--state=/y', 'run', '--memory-swap', '-1', '--network', 'none', 'busybox'],
      ['run', '--no-healthcheck', '--pull', 'never', '-w', '/tmp', '-u', '1000:1000', 'busybox', 'id'],
      ['run', '-t', '--', 'busybox', '--rm'],
      ['run', '--rm', '-a', 'stderr', '--attach=STDOUT', '-astdin', 'busybox', 'sh'],
      ['busybox', 'echo', 'hi'],
      ['--log-level', 'debug', 'run', '--rootfs', '/srv/root', '/bin/true'],
      // Docker's -D/--debug
      ['--debug', 'run', 'busybox'],
      ['-D', '--root', '/x', 'busybox', 'true'],
      // Docker's boolean values (bool-flag-values.ts): the last spelling wins
      ['run', '--rm=false', '--init=true', '-i', '--interactive=0', 'busybox', 'true'],
      ['run', '--rm', '--rm=false', '--no-healthcheck=true', 'busybox'],
      ['run', '--no-healthcheck', '--no-healthcheck=F', '--read-only=True', 'busybox'],
      // a false turns off a flag given in a group, as in pflag (found by the property below)
      ['run', '-it', '--tty=false', 'busybox', 'true'],
      ['run', '-tie', 'A=1', '--tty=0', '--interactive=false', 'busybox'],
      // Docker's hidden --dns-opt adds to --dns-option's list, in order; --disable-content-trust[=false] is accepted
      ['run', '--dns-opt', 'ndots:2', '--dns-option=a', '--dns-opt=b', '--disable-content-trust', 'busybox'],
      ['run', '--disable-content-trust=false', 'busybox'],
      // the old --net and --net-alias: --network's and --network-alias's lists, in order
      ['run', '--net=host', 'busybox'],
      ['run', '--net', 'a', '--network', 'b', '--net-alias', 'x', '--network-alias=y', 'busybox'],
      // --sig-proxy and its negation: no default (undefined: on), false by either spelling
      ['run', '--sig-proxy=false', 'busybox'],
      ['run', '--no-sig-proxy', '--sig-proxy=true', 'busybox'],
      ['run', '--sig-proxy', '--sig-proxy=0', 'busybox'],
      // commander takes it too; run's action says what is missing
      ['run'],
    ]) {
      const thin = thinParse(args)
      expect(thin, args.join(' ')).toBeDefined()
      expect(thin).toEqual(commanderParse(args))
    }
  })

  it('reads --dns-opt into --dns-option\'s list; the launcher\'s built tables are these', () => {
    expect(thinParse(['run', '--dns-opt', 'ndots:2', '--dns-option=a', '--dns-opt=b', 'busybox'])?.flags.dnsOption).toEqual(['ndots:2', 'a', 'b'])
    expect(commanderParse(['run', '--dns-opt', 'ndots:2', '--dns-option=a', '--dns-opt=b', 'busybox'])?.flags.dnsOption).toEqual(['ndots:2', 'a', 'b'])
    for (const parse of [thinParse, commanderParse]) {
      const flags = parse(['run', '--net', 'a', '--network=b', '--net=c', '--net-alias', 'x', '--network-alias=y', 'busybox'])?.flags
      expect([flags?.network, flags?.networkAlias]).toEqual([['a', 'b', 'c'], ['x', 'y']])
    }
    // hidden from --help, as Docker's
    for (const hidden of ['--dns-opt ', '--net ', '--net-alias ']) expect(defineRun(new Command().enablePositionalOptions()).helpInformation()).not.toContain(hidden)
    // scripts/bundle.mjs writes the tables into the launcher at build time: a build from older flags would differ
    const built = /JSON\.parse\('(\{"global".*?)'\)/.exec(readFileSync('dist/mini-run.cjs', 'utf8'))?.[1]
    expect(built && JSON.parse(built)).toEqual(JSON.parse(JSON.stringify(tables)))
  })

  it('reads --sig-proxy as commander does: unset by default, false with --sig-proxy=false or --no-sig-proxy', () => {
    for (const [args, value] of [[[], undefined], [['--sig-proxy=false'], false], [['--no-sig-proxy'], false], [['--sig-proxy=false', '--sig-proxy'], true]] as const) {
      const line = ['run', ...args, 'busybox']
      expect(thinParse(line)?.flags.sigProxy, line.join(' ')).toBe(value)
      expect(commanderParse(line)?.flags.sigProxy, line.join(' ')).toBe(value)
    }
    expect(commanderParse(['run', '--sig-proxy', '--no-sig-proxy', '--no-sig-proxy=false', 'busybox'])?.flags.sigProxy).toBe(true)
  })

  it('leaves the rest to commander', () => {
    for (const args of [
      ['run', '-d', 'busybox'],
      ['run', '-it', 'busybox', 'sh'],
      ['run', '--restart', 'always', 'busybox'],
      ['run', '--explain', 'busybox'],
      ['run', '--help'],
      ['run', '--no-such-flag', 'busybox'],
      ['run', '--name'],
      ['run', '--rm=maybe', 'busybox'],
      ['run', '-d=false', 'busybox'],
      // what --no-x=false leaves depends on the order of every --x and --no-x before it: commander's
      ['run', '--sig-proxy', '--no-sig-proxy', '--no-sig-proxy=false', 'busybox'],
      ['-v'],
      ['ps', '-a'],
      ['help', 'run'],
    ]) {
      expect(thinParse(args), args.join(' ')).toBeUndefined()
    }
    // runc's names are runc's command line; the shorthand with a terminal gets -it
    expect(parseRunLine(['node', '/usr/bin/mini-run-oci', 'run', 'busybox'], notTerminal, tables)).toBeUndefined()
    expect(parseRunLine(['node', 'mini-run', 'busybox', 'sh'], () => true, tables)).toBeUndefined()
  })
})

describe('the launcher', () => {
  // made in beforeAll: a run whose -t filter skips these tests runs no afterAll here to remove it
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-run-line-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** Which bundles dist/mini-run.cjs opens for a command line (a --require probe records them). */
  function bundlesOpened(args: string[]): string[] {
    const log = join(dir, 'opened')
    const probe = join(dir, 'probe.cjs')
    writeFileSync(log, '')
    writeFileSync(
      probe,
      `const fs = require('fs'); const open = fs.openSync;
fs.openSync = function (p, ...rest) { if (/mini-run-(cli|run|list|verb-[a-z]+)\\.cjs$/.test(String(p))) fs.appendFileSync(${JSON.stringify(log)}, String(p).split('/').pop() + '\\n'); return open.call(this, p, ...rest) }`,
    )
    try {
      execFileSync(process.execPath, ['--require', probe, 'dist/mini-run.cjs', ...args], { stdio: 'ignore' })
    } catch {
      // the exit code is not what this is about
    }
    return readFileSync(log, 'utf8').split('\n').filter(Boolean)
  }

  it("runs a foreground run from the run bundle, a listing from the listings', another verb from its own, and the rest from the whole CLI", () => {
    // the store does not exist: the run fails, after the launcher chose
    const store = ['--root', join(dir, 'store'), '--state', join(dir, 'state')]
    expect(bundlesOpened([...store, 'run', '--rm', '--pull', 'never', 'busybox', 'true'])).toEqual(['mini-run-run.cjs'])
    expect(bundlesOpened([...store, 'run', '-d', '--pull', 'never', 'busybox', 'true'])).toEqual(['mini-run-verb-run.cjs'])
    expect(bundlesOpened([...store, 'ps'])).toEqual(['mini-run-list.cjs'])
    expect(bundlesOpened([...store, 'inspect', 'x'])).toEqual(['mini-run-list.cjs'])
    expect(bundlesOpened([...store, 'rm', 'x'])).toEqual(['mini-run-verb-rm.cjs'])
    expect(bundlesOpened([...store, 'container', 'ls'])).toEqual(['mini-run-verb-container.cjs'])
    expect(bundlesOpened([...store, '--log-level', 'debug', 'volume', 'ls'])).toEqual(['mini-run-verb-volume.cjs'])
    // help, a line of no verb, and runc's: a runc-only global flag, then a runc-only flag of a shared verb,
    // which the verb's bundle hands on (oci/detect.ts)
    expect(bundlesOpened(['--help'])).toEqual(['mini-run-cli.cjs'])
    expect(bundlesOpened(['help', 'rm'])).toEqual(['mini-run-cli.cjs'])
    expect(bundlesOpened(['--log', join(dir, 'log'), '--root', join(dir, 'oci'), 'kill', 'x'])).toEqual(['mini-run-cli.cjs'])
    expect(bundlesOpened(['--root', join(dir, 'oci'), 'create', '--bundle', join(dir, 'none'), 'x'])).toEqual(['mini-run-verb-create.cjs', 'mini-run-cli.cjs'])
  })

  it('gives the listings\' output, errors and exit codes as the whole CLI does', () => {
    const store = ['--root', join(dir, 'store'), '--state', join(dir, 'state')]
    const viaBoth = (args: string[]) =>
      // the whole CLI's bundle runs only under a caller (test/helpers/whole-cli.cjs)
      [['dist/mini-run.cjs'], ['test/helpers/whole-cli.cjs', 'dist/mini-run-cli.cjs']].map((entry) => {
        const r = spawnSync(process.execPath, [...entry, ...store, ...args], { encoding: 'utf8' })
        return { status: r.status, stdout: r.stdout, stderr: r.stderr }
      })
    for (const args of [['ps', '-a'], ['images'], ['inspect', 'nothing-by-this-name'], ['ps', '--nope'], ['images', '--help'], ['run', '--rm', '--pull', 'never', 'no-such-image', 'true']]) {
      const [launcher, whole] = viaBoth(args)
      expect(launcher, args.join(' ')).toEqual(whole)
    }
  })
})
