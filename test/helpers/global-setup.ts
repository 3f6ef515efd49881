// Integration tests run the built CLI, as a user would: build it first so a
// test never runs stale JavaScript, and put this build's `mini-run` first on
// the PATH the tests give it (test/helpers/cli.ts).
//
// Containers get a network by default (a bridge, NAT rules, a DNS server):
// the suite must never make those on the host's own network. .ci/run starts
// it in a network namespace of its own; started any other way as root, the
// setup moves this process (and so every test worker it forks from now on)
// into a new one first.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { BIN_DIR_ENV, makeBinDir } from './cli.js'

const CLONE_NEWNET = 0x40000000

/** The interfaces of this process's network namespace, from /proc/self/net/dev. */
export function interfaces(): string[] {
  return readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean)
}

async function isolateNetwork(): Promise<void> {
  if (process.getuid?.() !== 0 || interfaces().every((i) => i === 'lo')) return
  const native = await import('../../src/native/isolation-calls.js')
  // only the calling thread moves (mr_unshare): the workers are forked from it
  native.unshare(CLONE_NEWNET)
  execFileSync('ip', ['link', 'set', 'lo', 'up'])
  if (!interfaces().every((i) => i === 'lo')) throw new Error('global setup: could not enter a network namespace of its own')
}

export default async function setup(): Promise<() => void> {
  execFileSync('make', ['-s', '-C', 'native'], { stdio: 'inherit' })
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' })
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' })
  await isolateNetwork()
  const dir = makeBinDir()
  process.env[BIN_DIR_ENV] = dir
  // A line without --state (an image verb's, which logs an event there) uses a
  // state root of the run's own, never this machine's /run/mini-run
  // (paths.ts defaultStateRoot); a user's run (as-user.ts) gets a clean env.
  const state = mkdtempSync('/var/tmp/mini-run-test-state-')
  chmodSync(state, 0o700)
  process.env.MINI_RUN_STATE = state
  return () => {
    rmSync(dir, { recursive: true, force: true })
    rmSync(state, { recursive: true, force: true })
  }
}
