// run --sig-proxy, as Docker's: the signals the CLI receives reach the
// container by default, a pty's run too (docker/cli#1841); with
// --sig-proxy=false they do not, the CLI stays with the container, and the
// third SIGINT or SIGTERM ends the CLI alone (exit 1, Docker 28's words),
// the container running on. Both parsers (the launcher's and commander's),
// the foreground run and the monitor's (-it on a pty); attach and start -a
// pass none on to a container with a pty, as Docker's.
//
// Signals are sent to the CLI one at a time, each once the CLI has taken it
// (two of a kind pending at once would be one); what the container got is
// read from what it printed, after a marker it prints on SIGUSR2.
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const PTY_SCRIPT = fileURLToPath(new URL('./helpers/pty-script.py', import.meta.url))
const WHOLE_CLI = [fileURLToPath(new URL('./helpers/whole-cli.cjs', import.meta.url)), fileURLToPath(new URL('../dist/mini-run-cli.cjs', import.meta.url))]

/** Prints what it gets; SIGUSR2 prints the marker and ends it (after every trap pending then has run). */
const TRAPS = 'for s in USR1 TERM INT HUP; do trap "echo got-$s" $s; done; trap "echo marker; done=1" USR2; echo ready; while [ -z "$done" ]; do sleep 0.05; done'

/** A signal's bit in /proc/PID/status's ShdPnd. */
const pendingBit = (signal: NodeJS.Signals) => 1n << BigInt(({ SIGHUP: 1, SIGINT: 2, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 } as Record<string, number>)[signal]! - 1)

/** A mask of /proc/PID/status: ShdPnd (pending for the process), SigCgt (caught). */
function signalMask(pid: number, field: 'ShdPnd' | 'SigCgt'): bigint {
  try {
    return BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`)
  } catch {
    return 0n // it has exited
  }
}
const pending = (pid: number) => signalMask(pid, 'ShdPnd')

/**
 * An attaching CLI's session is up once it catches SIGUSR2: proxied or
 * ignored, it has a listener then (Node alone has none; a SIGUSR1 sent
 * before would open Node's inspector instead).
 */
const sessionUp = (pid: number) => (signalMask(pid, 'SigCgt') & pendingBit('SIGUSR2')) !== 0n

/** Send a signal and wait until the process has taken it. */
async function signalTaken(pid: number, signal: NodeJS.Signals): Promise<void> {
  process.kill(pid, signal)
  await until(`${signal} taken by ${pid}`, () => (pending(pid) & pendingBit(signal)) === 0n)
}

interface Cli {
  pid: number
  stdout: () => string
  /** Its stderr so far: read after its exit, it may not have come yet (the container holds the pipe open). */
  stderr: () => string
  /** The CLI's own exit. */
  exited: Promise<{ status: number | null; signal: NodeJS.Signals | null }>
  /** Its outputs closed: the container, which shares them, has exited too. */
  closed: Promise<void>
}

/** `mini-run ARGS` (the launcher), or through the whole CLI's bundle (commander's parser). */
function startCli(args: string[], via: 'launcher' | 'commander' = 'launcher'): Cli {
  const [cmd, argv] = via === 'launcher' ? ['mini-run', args] : [process.execPath, [...WHOLE_CLI, ...args]]
  const child = spawn(cmd as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: new Promise((resolve) => child.on('exit', (status, signal) => resolve({ status, signal }))),
    closed: new Promise((resolve) => child.on('close', () => resolve())),
  }
}

describe.skipIf(!isRoot)('run --sig-proxy (needs root)', () => {
  const cli = useCliEnv()
  const globals = () => ['--root', cli.env.storeRoot, '--state', cli.env.stateRoot]
  const status = (ref: string) => cli.env.run(['inspect', '-f', '{{.State.Status}}', ref]).stdout.trim()
  const onPty = (steps: { wait?: string; kill?: string }[], args: string[]) =>
    JSON.parse(execFileSync('python3', [PTY_SCRIPT, JSON.stringify(steps), 'mini-run', ...globals(), ...args], { encoding: 'utf8', env: cliEnv(), timeout: 60_000 })) as { output: string; status: number | null; steps: number }

  it('by default, passes SIGUSR1, SIGTERM, SIGINT and SIGHUP on to the container', async () => {
    const run = startCli(cli.env.runArgs([BUSYBOX, 'sh', '-c', TRAPS]))
    await until('ready', () => run.stdout().includes('ready'))
    for (const signal of ['SIGUSR1', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.kill(run.pid, signal)
      await until(`got-${signal.slice(3)}`, () => run.stdout().includes(`got-${signal.slice(3)}`))
    }
    process.kill(run.pid, 'SIGUSR2')
    expect(await run.exited).toEqual({ status: 0, signal: null })
    await run.closed
    expect(run.stderr()).toBe('')
    expect(run.stdout()).toBe('ready\ngot-USR1\ngot-TERM\ngot-INT\ngot-HUP\nmarker\n')
  })

  for (const via of ['launcher', 'commander'] as const) {
    it(`--sig-proxy=false keeps them; the third SIGINT/SIGTERM ends the CLI alone, the container runs on (${via}'s parser)`, async () => {
      const name = `kept-${via}`
      const run = startCli([...globals(), 'run', '--rm', '--sig-proxy=false', '--name', name, '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS], via)
      await until('ready', () => run.stdout().includes('ready'))
      for (const signal of ['SIGUSR1', 'SIGHUP', 'SIGTERM', 'SIGINT'] as const) await signalTaken(run.pid, signal)
      // two of three taken: it stays; the third ends it
      expect(status(name)).toBe('running')
      await signalTaken(run.pid, 'SIGTERM')
      expect(await run.exited).toEqual({ status: 1, signal: null })
      // written before the exit, but read from the pipe after it, maybe
      await until('its last line', () => run.stderr().endsWith('\n'))
      expect(run.stderr()).toBe('got 3 SIGTERM/SIGINTs, forcefully exiting\n')
      expect(status(name)).toBe('running')
      // the container got none of them: only the marker, sent to it directly
      cli.ok(['kill', '-s', 'USR2', name])
      await run.closed
      expect(run.stdout()).toBe('ready\nmarker\n')
      // --rm, with its runtime gone: the next command that looks removes it
      expect(cli.ok(['ps', '-a', '-q'])).toBe('')
    })
  }

  it('run -it passes them on (a kill of the CLI, ^C being a byte), or keeps them with --sig-proxy=false', () => {
    const proxied = onPty([{ wait: 'ready', kill: 'USR1' }, { wait: 'got-USR1', kill: 'TERM' }, { wait: 'got-TERM', kill: 'USR2' }], ['run', '-it', '--rm', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS])
    expect(proxied.steps).toBe(3)
    expect(proxied.status).toBe(0)
    expect(proxied.output).toBe('ready\r\ngot-USR1\r\ngot-TERM\r\nmarker\r\n')

    const kept = onPty([{ wait: 'ready', kill: 'USR1' }, { kill: 'INT' }, { kill: 'TERM' }, { kill: 'INT' }], ['run', '-it', '--sig-proxy=false', '--name', 'kept-it', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS])
    expect(kept.steps).toBe(4)
    expect(kept.status).toBe(1)
    expect(kept.output).toBe('ready\r\ngot 3 SIGTERM/SIGINTs, forcefully exiting\r\n')
    // the monitor holds it: it runs on, and its log shows it got none of them
    expect(status('kept-it')).toBe('running')
    cli.ok(['kill', '-s', 'USR2', 'kept-it'])
    expect(cli.ok(['wait', 'kept-it'])).toBe('0\n')
    expect(cli.ok(['logs', 'kept-it'])).toBe('ready\r\nmarker\r\n')
  })

  it('attach and start -a pass them on to a container without a pty, none to one with a pty; --sig-proxy=false keeps them', async () => {
    cli.ok(['run', '-d', '--name', 'plain', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS])
    cli.ok(['run', '-d', '-t', '--name', 'pty', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS])
    await until('both ready', () => cli.ok(['logs', 'plain']).includes('ready') && cli.ok(['logs', 'pty']).includes('ready'))
    // plain: passed on
    const attached = startCli([...globals(), 'attach', 'plain'])
    await until('attach plain', () => sessionUp(attached.pid))
    process.kill(attached.pid, 'SIGUSR1')
    await until('got-USR1', () => attached.stdout().includes('got-USR1'))
    // kept: neither the SIGUSR1 (ignored) nor the SIGTERM (which ends attach) reaches it
    for (const [ref, flags] of [['plain', ['--sig-proxy=false']], ['pty', ['--no-stdin']]] as const) {
      const session = startCli([...globals(), 'attach', ...flags, ref])
      await until(`attach ${ref}`, () => sessionUp(session.pid))
      await signalTaken(session.pid, 'SIGUSR1')
      await signalTaken(session.pid, 'SIGTERM')
      expect(await session.exited).toMatchObject({ status: null, signal: 'SIGTERM' })
      expect(status(ref)).toBe('running')
    }
    process.kill(attached.pid, 'SIGUSR2')
    expect(await attached.exited).toMatchObject({ status: 0 })
    cli.ok(['kill', '-s', 'USR2', 'pty'])
    expect(cli.ok(['wait', 'pty'])).toBe('0\n')
    expect(cli.ok(['logs', 'plain'])).toBe('ready\ngot-USR1\nmarker\n')
    expect(cli.ok(['logs', 'pty'])).toBe('ready\r\nmarker\r\n')

    // start -a: passed on; podman's --sig-proxy=false keeps them
    cli.ok(['create', '--name', 'started', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS])
    const start = startCli([...globals(), 'start', '-a', 'started'])
    await until('ready', () => start.stdout().includes('ready') && sessionUp(start.pid))
    process.kill(start.pid, 'SIGUSR1')
    await until('got-USR1', () => start.stdout().includes('got-USR1'))
    process.kill(start.pid, 'SIGUSR2')
    expect(await start.exited).toMatchObject({ status: 0 })
    expect(start.stdout()).toBe('ready\ngot-USR1\nmarker\n')
    const again = startCli([...globals(), 'start', '-a', '--sig-proxy=false', 'started'])
    await until('ready', () => again.stdout().includes('ready') && sessionUp(again.pid))
    await signalTaken(again.pid, 'SIGUSR1')
    cli.ok(['kill', '-s', 'USR2', 'started'])
    expect(await again.exited).toMatchObject({ status: 0 })
    expect(again.stdout()).toBe('ready\nmarker\n')
  })
})
