// spawnProgram (process-calls.ts, native/spawn-program.c): how the runtime
// starts mini-run-monitor for `run -d` and `start`, in place of
// child_process.spawn(path, args, { detached: true, stdio: ['ignore',
// 'ignore', 'ignore', ...fds] }). The program must get what that gave it:
// the fds at 3, 4, 5..., /dev/null as 0, 1 and 2, a session of its own,
// every signal at its default (but glibc's own two) and none blocked, the
// caller's environment;
// and its exit must be reaped with nothing holding Node's loop.
import { closeSync, existsSync, mkdtempSync, readFileSync, readSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as processCalls from '../src/native/process-calls.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-spawn-program-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** All a pipe's read end holds until its last writer is gone. */
function readToEnd(fd: number): string {
  const chunks: Buffer[] = []
  const buf = Buffer.alloc(4096)
  for (let n; (n = readSync(fd, buf)) > 0; ) chunks.push(Buffer.from(buf.subarray(0, n)))
  closeSync(fd)
  return Buffer.concat(chunks).toString()
}

/** Until /proc has no entry for pid (reaped), or timeoutMs. */
async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(20)) if (!existsSync(`/proc/${pid}`)) return true
  return false
}

describe('spawnProgram', () => {
  it('starts the program with the fds at 3, 4, 5..., /dev/null as 0-2, a session of its own, signals at their defaults, our environment', async () => {
    const pipes = [processCalls.pipe(), processCalls.pipe(), processCalls.pipe()]
    const out = join(dir, 'seen')
    process.env.MINI_RUN_SPAWN_PROGRAM_TEST = 'passed on'
    const script = [
      'echo three >&5; echo one >&3; echo two >&4',
      // the shell's own fds and status ($$), read before its output goes to the file;
      // the session's id is the 6th field of stat, after the command's (parenthesised) name
      `std=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); sig=$(grep -E '^Sig(Ign|Blk):' /proc/$$/status)`,
      "sid=$(sed 's/^.*) //' /proc/$$/stat | cut -d' ' -f4)",
      `printf '%s\\n' "$std" "$sig" "$sid" "$$" "$MINI_RUN_SPAWN_PROGRAM_TEST" > ${out}`,
    ].join('\n')
    let pid: number
    try {
      // passed in another order than their numbers, the last end first
      pid = processCalls.spawnProgram('/bin/sh', ['-c', script], [pipes[1]![1], pipes[2]![1], pipes[0]![1]])
    } finally {
      delete process.env.MINI_RUN_SPAWN_PROGRAM_TEST
      for (const [, write] of pipes) closeSync(write)
    }
    // read once it has exited (every write end closed): a read that cannot block the worker's thread
    expect(await gone(pid)).toBe(true)
    expect(pipes.map(([read]) => readToEnd(read))).toEqual(['three\n', 'one\n', 'two\n'])
    const [stdin, stdout, stderr, blk, ign, sid, shell, env] = readFileSync(out, 'utf8').trimEnd().split('\n')
    expect({ stdin, stdout, stderr }).toEqual({ stdin: '/dev/null', stdout: '/dev/null', stderr: '/dev/null' })
    // Node ignores SIGPIPE: not the program. glibc's posix_spawn leaves its own two internal signals
    // (32, 33) ignored, which the monitor puts back at its start (native/default-signals.h)
    expect(blk).toBe('SigBlk:\t0000000000000000')
    expect(BigInt(`0x${ign!.split('\t')[1]}`) & ~0x180000000n).toBe(0n)
    expect({ sid, env }).toEqual({ sid: shell, env: 'passed on' })
  })

  it('reaps the program when it exits, with nothing holding the loop, however many there are', async () => {
    const listeners = process.listenerCount('SIGCHLD')
    const holds = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const [read, write] = processCalls.pipe()
    // each waits for the pipe's end: all run at once
    const pids = [0, 1, 2].map(() => processCalls.spawnProgram('/bin/sh', ['-c', 'read x <&3'], [read]))
    closeSync(read)
    expect(process.listenerCount('SIGCHLD')).toBe(listeners + 1)
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(holds)
    expect(process.getActiveResourcesInfo()).not.toContain('SignalWrap')
    await sleep(100)
    expect(pids.map((pid) => existsSync(`/proc/${pid}`))).toEqual([true, true, true])
    closeSync(write)
    expect(await Promise.all(pids.map((pid) => gone(pid)))).toEqual([true, true, true])
    expect(process.listenerCount('SIGCHLD')).toBe(listeners)
  })

  it('says why a program cannot start, and leaves no listener or fd behind', () => {
    const listeners = process.listenerCount('SIGCHLD')
    const fds = () => new Set(require('node:fs').readdirSync('/proc/self/fd') as string[])
    const before = fds()
    expect(() => processCalls.spawnProgram(join(dir, 'no-such-program'), [], [1])).toThrow(/ENOENT|no such file/i)
    expect(() => processCalls.spawnProgram('/bin/sh', ['a\0b'], [])).toThrow(/NUL/)
    expect(process.listenerCount('SIGCHLD')).toBe(listeners)
    expect([...fds()].filter((fd) => !before.has(fd))).toEqual([])
  })
})
