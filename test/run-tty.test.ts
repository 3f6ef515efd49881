// -t: the container gets a fresh pty from its own devpts instance as its
// controlling terminal.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const PTY_RUN = fileURLToPath(new URL('./helpers/pty-run.py', import.meta.url))

describe.skipIf(!isRoot)('run -t (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('gives the command /dev/pts/0 as its terminal, and it is the controlling one', () => {
    const r = env.run(env.runArgs(['-t', BUSYBOX, 'sh', '-c', 'tty; test -t 0 && test -t 1 && echo both-tty; cut -d" " -f7 /proc/self/stat; echo $TERM']))
    expect(r.status).toBe(0)
    // a tty turns \n into \r\n; tty_nr (proc(5)) is the controlling terminal: major 136 (pts), minor 0
    expect(r.stdout.replace(/\r/g, '').split('\n').slice(0, 4)).toEqual(['/dev/pts/0', 'both-tty', String((136 << 8) | 0), 'xterm'])
  })

  it('without -t, stdio is inherited and is no terminal', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c', 'tty; echo $?']))
    expect(r.stdout).toBe('not a tty\n1\n')
  })

  it('follows the caller\'s window size (SIGWINCH) and restores the caller\'s terminal mode on exit', () => {
    const script = 'stty size; echo ready; read -s -n1 key; echo "key=$key"; trap "stty size; exit 0" WINCH; echo armed; while sleep 0.05; do :; done'
    const out = execFileSync('python3', [PTY_RUN, 'mini-run', ...env.runArgs(['-it', BUSYBOX, 'sh', '-c', script])], { encoding: 'utf8', env: cliEnv() })
    const result = JSON.parse(out) as { output: string; status: number; modeRestored: boolean; rawBefore: boolean }
    // a key typed before read -s turned the echo off (a loaded machine) is echoed by the line discipline
    // before the key= line, as it would be at a terminal: "qkey=q"
    const lines = result.output.replace(/\r/g, '').split('\n').filter((l) => /^\d+ \d+$|^q?key=/.test(l)).map((l) => l.replace(/^q(?=key=)/, ''))
    // the caller's size at start, the key typed through the relay, the new size on SIGWINCH
    expect(lines).toEqual(['30 100', 'key=q', '50 132'])
    expect(result.status).toBe(0)
    expect(result.rawBefore).toBe(false)
    expect(result.modeRestored).toBe(true)
    // raw on the caller's side: the container's pty alone turns \n into \r\n
    expect(result.output).toContain('key=q\r\n')
    expect(result.output).not.toContain('\r\r\n')
  })

  it('relays a large output whole, to its last line (terminal-drain.test.ts has the deterministic case)', () => {
    const r = env.run(env.runArgs(['-t', BUSYBOX, 'seq', '1', '20000']))
    const lines = r.stdout.replace(/\r/g, '').split('\n').filter(Boolean)
    expect(lines.length).toBe(20000)
    expect(lines.at(-1)).toBe('20000')
  })

  it('exits with the command\'s status through the terminal', () => {
    expect(env.run(env.runArgs(['-t', BUSYBOX, 'sh', '-c', 'exit 3'])).status).toBe(3)
  })
})
