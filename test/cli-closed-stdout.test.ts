// A verb whose stdout is a pipe the reader has closed (`| head -1`) ends
// quietly with 141, as Docker's CLI dies of SIGPIPE (the shell's 128 + 13):
// not Node's "Unhandled 'error' event" and its stack, not "write EPIPE".
// src/cli/stdout-reader-gone.ts.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, openSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { until } from './helpers/until.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('stdout closed by its reader (needs root)', () => {
  let env: TestEnv
  let fifoCount = 0
  const globals = () => ['--root', env.storeRoot, '--state', env.stateRoot]

  /** The write end of a pipe whose reader has gone before the verb starts: its first write fails. */
  function closedPipe(): number {
    const fifo = join(env.dir, `fifo-${++fifoCount}`)
    execFileSync('mkfifo', [fifo])
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const writer = openSync(fifo, constants.O_WRONLY)
    closeSync(reader)
    return writer
  }

  /** The verb with its stdout closed before it writes. */
  function intoClosedPipe(args: string[]) {
    const fd = closedPipe()
    try {
      const r = env.run(args, { stdio: ['ignore', fd, 'pipe'] })
      return { status: r.status, signal: r.signal, stderr: r.stderr }
    } finally {
      closeSync(fd)
    }
  }

  /** The verb with its stdout a pipe closed once the first bytes came. */
  function closedAfterFirstBytes(args: string[]): Promise<{ status: number | null; stderr: string; first: boolean }> {
    const child = spawn('mini-run', [...globals(), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() })
    let stderr = ''
    let first = false
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.once('data', () => {
      first = true
      child.stdout.destroy()
    })
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, first })))
  }

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('a listing, through the launcher\'s listing path or the whole CLI: 141, nothing on stderr', () => {
    expect(env.run(['run', '-d', '--name', 'c1', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).status).toBe(0)
    for (const args of [['ps'], ['images'], ['inspect', 'c1'], ['history', BUSYBOX], ['ps', '--format', '{{.Names}}', '-a'], ['network', 'ls'], ['version']]) {
      expect({ args, ...intoClosedPipe(args) }).toEqual({ args, status: 141, signal: null, stderr: '' })
    }
    expect(env.run(['rm', '-f', 'c1']).status).toBe(0)
  })

  it('port of a published container: 141, nothing on stderr', () => {
    const id = env.run(['run', '-d', '-p', '127.0.0.1:18081:80', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'])
    expect(id.status).toBe(0)
    try {
      expect(intoClosedPipe(['port', id.stdout.trim()])).toEqual({ status: 141, signal: null, stderr: '' })
    } finally {
      env.run(['rm', '-f', id.stdout.trim()])
    }
  })

  it('save, logs and cp to stdout, the pipe closed after their first bytes: 141, nothing on stderr', async () => {
    expect(await closedAfterFirstBytes(['save', BUSYBOX])).toEqual({ status: 141, stderr: '', first: true })
    const id = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'seq 1 200000; sleep 60']).stdout.trim()
    try {
      // the whole count, kept in the log (more than a pipe holds)
      await until('the count logged', () => env.run(['logs', '--tail', '1', id]).stdout === '200000\n', 20_000)
      expect(await closedAfterFirstBytes(['logs', id])).toEqual({ status: 141, stderr: '', first: true })
      expect(await closedAfterFirstBytes(['cp', `${id}:/bin`, '-'])).toEqual({ status: 141, stderr: '', first: true })
    } finally {
      env.run(['rm', '-f', id])
    }
  })

  it('run: the container\'s own code, since its stdout is the pipe itself', async () => {
    // SIGPIPE kills seq (141); as the container's pid 1 it would not be: the
    // kernel does not kill a namespace's init with a signal it has no
    // handler for (pid_namespaces(7)), so its write fails with EPIPE and
    // busybox seq exits 255 of its own (`run --rm busybox seq 1 200000 | head -1`)
    const run = ['run', '--rm', '--network', 'none', '--cgroup-parent', env.cgroupParent]
    expect(await closedAfterFirstBytes([...run, BUSYBOX, 'sh', '-c', 'seq 1 200000; echo "seq: $?" >&2; exit 4'])).toEqual({ status: 4, stderr: 'seq: 141\n', first: true })
  })
})
