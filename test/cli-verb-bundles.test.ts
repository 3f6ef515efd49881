// Every verb but a foreground run and the listings runs from a bundle of its
// own (src/cli/verb-main.ts, built from src/cli/commands/verb-modules.ts by
// scripts/bundle.mjs): each must register the verb the whole CLI registers
// for it, and print, say and exit as the whole CLI does.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerCommands } from '../src/cli/commands/index.js'
import { VERB_MODULES } from '../src/cli/commands/verb-modules.js'

const PROJECT = new URL('..', import.meta.url).pathname
const LAUNCHER = join(PROJECT, 'dist', 'mini-run.cjs')
const WHOLE_CLI = [join(PROJECT, 'test', 'helpers', 'whole-cli.cjs'), join(PROJECT, 'dist', 'mini-run-cli.cjs')]
const LISTINGS = ['ps', 'images', 'inspect']
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-verb-bundles-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A command's tree as --help shows it: names, options and arguments, each subcommand's too. */
function shape(cmd: Command): unknown {
  return {
    name: cmd.name(),
    help: cmd.helpInformation(),
    commands: cmd.commands.map(shape),
  }
}

/** One line, with a store, state and Docker config of its own (two lines run at once). */
function run(entry: string[], args: string[], at: string, env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const roots = ['--root', join(at, 'store'), '--state', join(at, 'state')]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...roots, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_CONFIG: join(at, 'docker'), ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/**
 * Each line through the launcher, with the bundles it opened (a --require probe records them), and
 * through the whole CLI; two lines at a time (this machine's two cores).
 */
async function bothWays(lines: string[][]): Promise<Array<{ line: string[]; opened: string[]; launcher: unknown; whole: unknown }>> {
  const probe = join(dir, 'probe.cjs')
  writeFileSync(
    probe,
    `const fs = require('fs'); const open = fs.openSync;
fs.openSync = function (p, ...rest) { if (/mini-run-[\\w-]+\\.cjs$/.test(String(p))) fs.appendFileSync(process.env.BUNDLE_LOG, String(p).split('/').pop() + '\\n'); return open.call(this, p, ...rest) }`,
  )
  // the same paths for both (a message may name them), emptied between the two
  const one = async (line: string[], i: number) => {
    const at = join(dir, String(i))
    const log = join(dir, `${i}.opened`)
    writeFileSync(log, '')
    const launcher = await run(['--require', probe, LAUNCHER], line, at, { BUNDLE_LOG: log })
    rmSync(at, { recursive: true, force: true })
    const whole = await run(WHOLE_CLI, line, at)
    return { line, opened: readFileSync(log, 'utf8').split('\n').filter(Boolean), launcher, whole }
  }
  const results: Array<{ line: string[]; opened: string[]; launcher: unknown; whole: unknown }> = []
  for (let i = 0; i < lines.length; i += 2) results.push(...(await Promise.all(lines.slice(i, i + 2).map((line, j) => one(line, i + j)))))
  return results
}

// Lines whose actions run without a registry, a container or a network (a store that does not
// exist): each verb's bundle goes beyond its flags into the code it holds
const ACTIONS = [
  ['rm', 'x'], ['logs', 'x'], ['stop', 'x'], ['exec', 'x', 'true'], ['start', 'x'], ['wait', 'x'], ['port', 'x'],
  ['rename', 'x', 'y'], ['diff', 'x'], ['cp', 'x:/etc', '-'], ['volume', 'ls'], ['volume', 'rm', 'x'], ['network', 'ls'],
  ['container', 'ls', '-a'], ['image', 'ls'], ['tag', 'x', 'y'], ['rmi', 'x'], ['history', 'x'], ['load', '-i', '/no/such/file'],
  ['logout', 'registry.invalid'], ['system', 'df'], ['internal', 'cleanup', '0123456789ab'], ['build', '/no/such/dir'],
  ['lint', '-f', '/no/such/Dockerfile'], ['compose', '-f', '/no/such/compose.yaml', 'ps'], ['version', '--format', '{{.Client.Version}}'],
]

describe('the verb bundles', () => {
  it('register, from the table the build reads, what the whole CLI registers for each verb', async () => {
    for (const [verb, [module, name]] of Object.entries(VERB_MODULES)) {
      // as cli-program.ts makes the program (run's options pass through to the container's command)
      const whole = new Command('mini-run').enablePositionalOptions()
      registerCommands(whole, verb)
      const own = new Command('mini-run').enablePositionalOptions()
      const registered = (await import(/* @vite-ignore */ join(PROJECT, 'src', 'cli', 'commands', `${module}.ts`)))[name] as (program: Command) => void
      registered(own)
      expect({ verb, ...(shape(own) as object) }).toEqual({ verb, ...(shape(whole) as object) })
      expect({ verb, commands: own.commands.length > 0 }).toEqual({ verb, commands: true })
    }
  })

  // each with a code cache the build wrote (a user who cannot write to dist/ starts with it)
  it('are built, one per verb but the listings, each with a code cache', () => {
    const verbs = Object.keys(VERB_MODULES)
    expect(verbs.length).toBeGreaterThan(40)
    for (const verb of verbs) {
      const file = join(PROJECT, 'dist', `mini-run-verb-${verb}.cjs`)
      const own = !LISTINGS.includes(verb)
      expect({ verb, built: existsSync(file), cache: existsSync(`${file}.cache`) }).toEqual({ verb, built: own, cache: own })
    }
  })

  // a flag each verb's line does not have (the usage error, before any action), then the lines above
  it('print, say and exit as the whole CLI does', async () => {
    const verbs = Object.keys(VERB_MODULES).filter((v) => !LISTINGS.includes(v))
    for (const { line, opened, launcher, whole } of await bothWays([...verbs.map((verb) => [verb, '--no-such-flag']), ...ACTIONS])) {
      expect({ line, opened }).toEqual({ line, opened: [`mini-run-verb-${line[0]}.cjs`] })
      expect({ line, ...(launcher as object) }).toEqual({ line, ...(whole as object) })
    }
  }, 240_000)
})
