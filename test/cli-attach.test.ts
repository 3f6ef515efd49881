// attach, start -a -i and run -it through the monitor's attach socket, and
// the detach keys (Ctrl-P Ctrl-Q, --detach-keys), typed on a real pty; the
// same keys on exec -it's and compose exec's terminal leave the command running.
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const PTY_SCRIPT = fileURLToPath(new URL('./helpers/pty-script.py', import.meta.url))
const CTRL_P_Q = '\u0010\u0011'

interface PtyResult {
  output: string
  status: number | null
  steps: number
}

describe.skipIf(!isRoot)('attach and detach keys (needs root)', () => {
  let env: TestEnv
  const globals = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const onPty = (steps: { wait?: string; send?: string; sleep?: number }[], args: string[]): PtyResult =>
    JSON.parse(execFileSync('python3', [PTY_SCRIPT, JSON.stringify(steps), 'mini-run', ...globals(), ...args], { encoding: 'utf8', env: cliEnv(), timeout: 60_000 })) as PtyResult
  const status = (ref: string) => env.run(['inspect', '-f', '{{.State.Status}}', ref]).stdout.trim()
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('attach relays a detached -it container\'s terminal; Ctrl-P Ctrl-Q detaches and leaves it running', () => {
    expect(env.run(['run', '-d', '-it', '--name', 'a1', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh']).status).toBe(0)
    const r = onPty([{ send: 'echo hi-$((40+2))\r' }, { wait: 'hi-42\r\n', send: CTRL_P_Q }], ['attach', 'a1'])
    expect(r.steps).toBe(2)
    // Docker's attach: the escape is reported, exit 1
    expect(r.status).toBe(1)
    expect(r.output).toContain('read escape sequence')
    expect(status('a1')).toBe('running')
    // attached again, the same shell; its exit code is attach's
    const again = onPty([{ send: 'exit 7\r' }], ['attach', 'a1'])
    expect(again.status).toBe(7)
    expect(status('a1')).toBe('exited')
  })

  it('run -it detaches with Ctrl-P Ctrl-Q (exit 0, the container runs on) and --detach-keys sets other keys', () => {
    const r = onPty([{ wait: '# ', send: 'echo in-$((2+3))\r' }, { wait: 'in-5\r\n', send: CTRL_P_Q }], ['run', '-it', '--name', 'a2', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh'])
    expect(r.steps).toBe(2)
    expect(r.status).toBe(0)
    expect(status('a2')).toBe('running')
    // ctrl-p alone is a key like any other with other detach keys: it reaches the shell
    const custom = onPty([{ send: 'echo x-$((3*3))\r' }, { wait: 'x-9\r\n', send: '\u0001x' }], ['attach', '--detach-keys', 'ctrl-a,x', 'a2'])
    expect(custom.status).toBe(1)
    expect(status('a2')).toBe('running')
  })

  it('exec -it detaches with Ctrl-P Ctrl-Q ("read escape sequence", exit 1, as Docker\'s): the command runs on, its terminal held and read until it ends', async () => {
    expect(env.run(['run', '-d', '--name', 'x1', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '1000']).status).toBe(0)
    // mini-run-exec-drain holds a detached shell's pty (pgrep sees the whole host: counted before and after)
    const drains = () => Number(spawnSync('pgrep', ['-c', '-f', '^mini-run-exec-drain$'], { encoding: 'utf8' }).stdout.trim())
    const before = drains()
    const r = onPty([{ wait: '# ', send: 'echo $$ > /shell.pid; echo e-$((4+4))\r' }, { wait: 'e-8\r\n', send: CTRL_P_Q }], ['exec', '-it', 'x1', 'sh'])
    expect(r.steps).toBe(2)
    expect(r.status).toBe(1)
    expect(r.output).toContain('read escape sequence')
    const alive = () => env.run(['exec', 'x1', 'sh', '-c', 'kill -0 $(cat /shell.pid) && echo alive']).stdout
    expect(alive()).toBe('alive\n')
    expect(drains()).toBe(before + 1)
    // --detach-keys: other keys; ctrl-p alone then reaches the command (cat echoes it back)
    const custom = onPty([{ send: '\u0010w\r' }, { wait: '\u0010w\r\n', send: '\u0001x' }], ['exec', '-it', '--detach-keys', 'ctrl-a,x', 'x1', 'cat'])
    expect([custom.steps, custom.status, custom.output.includes('read escape sequence')]).toEqual([2, 1, true])
    // typed ahead, before the command runs: detached once it runs; a command that cannot start says so, as without
    // them (ctrl-a,x: typed before mini-run's raw mode, ctrl-q would be the terminal's flow control, IXON's START)
    const ahead = ['exec', '-it', '--detach-keys', 'ctrl-a,x', 'x1']
    expect(onPty([{ send: '\u0001x' }], [...ahead, 'sleep', '300'])).toMatchObject({ status: 1, output: expect.stringContaining('read escape sequence') })
    const missing = onPty([{ send: '\u0001x' }], [...ahead, 'no-such-command'])
    expect(missing.status).toBe(127)
    expect(missing.output).not.toContain('read escape sequence')
    // the commands end (the kernel hangs their terminals up once the last reader goes), and so do their drains
    expect(env.run(['rm', '-f', 'x1']).status).toBe(0)
    const end = Date.now() + 10_000
    while (Date.now() < end && drains() > before) await new Promise((res) => setTimeout(res, 50))
    expect(drains()).toBe(before)
  })

  it('compose exec on a terminal detaches the same way, as docker compose\'s (Docker\'s CLI) does', async () => {
    const file = join(env.dir, 'compose.yaml')
    writeFileSync(file, `services:\n  s:\n    image: ${BUSYBOX}\n    command: sleep 1000\n    network_mode: none\n    cgroup_parent: ${env.cgroupParent}\n`)
    const compose = ['compose', '-f', file, '-p', 'cp']
    expect(env.run([...compose, 'up', '-d']).status).toBe(0)
    const r = onPty([{ wait: '# ', send: 'echo $$ > /shell.pid; echo c-$((5+5))\r' }, { wait: 'c-10\r\n', send: CTRL_P_Q }], [...compose, 'exec', 's', 'sh'])
    expect([r.steps, r.status]).toEqual([2, 1])
    expect(r.output).toContain('read escape sequence')
    expect(env.run([...compose, 'exec', '-T', 's', 'sh', '-c', 'kill -0 $(cat /shell.pid) && echo alive']).stdout).toBe('alive\n')
    expect(env.run([...compose, 'down', '-t', '0']).status).toBe(0)
    const end = Date.now() + 10_000
    while (Date.now() < end && spawnSync('pgrep', ['-f', `^mini-run-exec-drain$`]).status === 0) await new Promise((res) => setTimeout(res, 50))
    expect(spawnSync('pgrep', ['-f', '^mini-run-exec-drain$']).status).toBe(1)
  })

  it('a key that breaks the sequence goes through with what was held', () => {
    // cat on a terminal: ^P is no special character of the line discipline, so it comes back as typed
    expect(env.run(['run', '-d', '-it', '--name', 'a3', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'cat']).status).toBe(0)
    const r = onPty([{ send: '\u0010' }, { sleep: 0.2, send: 'z\r' }, { wait: '\u0010z\r\n', send: CTRL_P_Q }], ['attach', 'a3'])
    expect(r.steps).toBe(3)
    expect(r.status).toBe(1)
    expect(status('a3')).toBe('running')
  })

  it('start -a -i relays piped stdin to a created -i container and its end of file, and exits with its code', () => {
    expect(env.run(['create', '-i', '--name', 'c1', BUSYBOX, 'sh', '-c', 'cat; exit 3']).status).toBe(0)
    const r = env.run(['start', '-a', '-i', 'c1'], { input: 'piped line\n' })
    expect(r.stdout).toBe('piped line\n')
    expect(r.status).toBe(3)
  })

  it('run -it refuses input that is no terminal, and bad detach keys, before starting anything (Docker\'s words)', () => {
    const piped = env.run(['run', '-it', '--rm', BUSYBOX, 'true'], { input: 'x' })
    expect(piped.status).toBe(1)
    expect(piped.stderr).toBe('mini-run: the input device is not a TTY: -t needs a terminal as stdin (leave -t out to pipe input)\n')
    const keys = onPty([], ['run', '-it', '--rm', '--detach-keys', 'ctrl-9', BUSYBOX, 'true'])
    expect(keys.status).toBe(125)
    expect(keys.output).toContain("invalid detach keys (ctrl-9): unknown character: '9'")
  })

  it('attach to a container that does not run is refused with Docker\'s words', () => {
    expect(env.run(['create', '--name', 'c2', BUSYBOX, 'true']).status).toBe(0)
    const r = env.run(['attach', 'c2'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: You cannot attach to a stopped container, start it first\n')
  })
})
