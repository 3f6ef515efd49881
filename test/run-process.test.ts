// The container's process: Docker's exit codes, signal forwarding, --init,
// stdio, and the step/errno report of a failed start.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { BUSYBOX, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Wait until `predicate` holds, polling; fail after `ms`. */
async function until(predicate: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await sleep(20)
  }
}

describe.skipIf(!isRoot)('run: process (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  // detached too: its monitor, started by posix_spawn, got glibc's two internal signals ignored
  it('starts the command with no signal blocked or ignored (Node ignores SIGPIPE; the clone blocks all), detached too', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'grep', '-E', '^Sig(Blk|Ign):', '/proc/self/status']))
    expect(r.stdout).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n')
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'grep', '-E', '^Sig(Blk|Ign):', '/proc/self/status']).stdout.trim()
    expect(env.run(['wait', id]).stdout).toBe('0\n')
    expect(env.run(['logs', id]).stdout).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n')
    expect(env.run(['rm', id]).status).toBe(0)
    // and the monitor itself (its exit command is Node): SIGHUP and SIGPIPE, which it ignores, and no other
    const sleeper = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
    try {
      const pid = env.run(['inspect', '-f', '{{.State.Pid}}', sleeper]).stdout.trim()
      const monitor = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]
      expect(readFileSync(`/proc/${monitor}/status`, 'utf8')).toMatch(/\nSigIgn:\t0000000000001001\n/)
    } finally {
      env.run(['rm', '-f', sleeper])
    }
  })

  it('exits with the container\'s status: 0 and 42', () => {
    expect(env.run(env.runArgs([BUSYBOX, 'true'])).status).toBe(0)
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 42']))
    expect(r).toMatchObject({ status: 42, stdout: 'out\n', stderr: 'err\n' })
  })

  it('passes stdin through with -i, and gives /dev/null without it, as Docker does', () => {
    expect(env.run(env.runArgs(['-i', BUSYBOX, 'cat']), { input: 'hello\n' }).stdout).toBe('hello\n')
    expect(env.run(env.runArgs([BUSYBOX, 'cat']), { input: 'hello\n' }).stdout).toBe('')
  })

  it('exits 127 for a command that does not exist, 126 for one that cannot be executed', () => {
    const missing = env.run(env.runArgs([BUSYBOX, 'no-such-command']))
    expect(missing.status).toBe(127)
    expect(missing.stderr).toBe('mini-run: exec "no-such-command": executable file not found in $PATH\n')
    const missingPath = env.run(env.runArgs([BUSYBOX, '/no/such']))
    expect(missingPath.status).toBe(127)
    const notExec = env.run(env.runArgs([BUSYBOX, '/etc/passwd']))
    expect(notExec.status).toBe(126)
    expect(notExec.stderr).toBe('mini-run: exec "/etc/passwd": permission denied\n')
  })

  it('exits 128+9 when the container is killed by SIGKILL', async () => {
    const run = miniRunAsync(env.runArgs([BUSYBOX, 'sh', '-c', 'echo ready; exec sleep 60']))
    await until(() => run.output().includes('ready'))
    const procs = cgroup2 ? join(cgroup2, env.cgroupParent) : undefined
    // the container's PID 1, as the host sees it: the only process of its cgroup leaf
    const leaf = procs ? readdirSync(procs).find((d) => /^[0-9a-f]{64}$/.test(d)) : undefined
    expect(leaf).toBeDefined()
    const pid = Number(readFileSync(join(procs!, leaf!, 'cgroup.procs'), 'utf8').trim().split('\n')[0])
    process.kill(pid, 'SIGKILL')
    const r = await run.done
    expect(r.status).toBe(137)
  })

  it('forwards SIGTERM, SIGINT, SIGHUP, SIGUSR1 to the container process', async () => {
    for (const [signal, number] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1], ['SIGUSR1', 10]] as const) {
      const script = `trap 'echo got ${number}; exit ${number}' ${signal.slice(3)}; echo ready; while :; do sleep 0.05; done`
      const run = miniRunAsync(env.runArgs([BUSYBOX, 'sh', '-c', script]))
      await until(() => run.output().includes('ready'))
      run.child.kill(signal)
      const r = await run.done
      expect(r.stdout).toBe(`ready\ngot ${number}\n`)
      expect(r.status).toBe(number)
    }
  })

  it('with --init, reaps zombies and forwards signals to a command that has no handler', async () => {
    // sleep as PID 1 would ignore SIGTERM (the kernel drops signals PID 1 does not handle)
    const run = miniRunAsync(env.runArgs(['--init', BUSYBOX, 'sh', '-c', 'echo ready; exec sleep 60']))
    await until(() => run.output().includes('ready'))
    run.child.kill('SIGTERM')
    const r = await run.done
    expect(r.status).toBe(128 + 15)
    const z = env.run(env.runArgs(['--init', BUSYBOX, 'sh', '-c', '(sleep 0.1 &) ; sleep 0.5; ps -o stat,comm | grep -c "^Z" || true']))
    expect(z.stdout.trim()).toBe('0')
  })

  it('with --init, PID 1 is named mini-run-init in ps and /proc (as Docker\'s is docker-init), not after its memfd', () => {
    const r = env.run(env.runArgs(['--init', BUSYBOX, 'sh', '-c', 'cat /proc/1/comm; tr "\\0" "\\n" < /proc/1/cmdline | head -n 1; ps -o pid,comm | grep "^ *1 "']))
    expect(r).toMatchObject({ status: 0, stderr: '' })
    expect(r.stdout.split('\n').map((l) => l.trim())).toEqual(['mini-run-init', 'mini-run-init', '1 mini-run-init', ''])
  })

  it('reports a failed start as the step, path and errno, exits 125 and leaves nothing', () => {
    const r = env.run(env.runArgs(['-w', '/etc/passwd/sub', BUSYBOX, 'true']))
    expect(r.status).toBe(125)
    expect(r.stderr).toBe('mini-run: mkdir /etc/passwd/sub: Not a directory\n')
    // the step's place in the plan only with --log-level debug
    const debug = env.run(['--log-level', 'debug', ...env.runArgs(['-w', '/etc/passwd/sub', BUSYBOX, 'true'])])
    expect(debug.stderr).toMatch(/^mini-run: mkdir \/etc\/passwd\/sub: Not a directory \(step \d+ of \d+\)\n$/)
    // and with Docker's -D/--debug, which runc's command line also has: still mini-run's own line
    for (const flag of ['-D', '--debug']) {
      const d = env.run([flag, ...env.runArgs(['-w', '/etc/passwd/sub', BUSYBOX, 'true'])])
      expect(d.status).toBe(125)
      expect(d.stderr).toMatch(/^mini-run: mkdir \/etc\/passwd\/sub: Not a directory \(step \d+ of \d+\)\n$/)
    }
  })

  it('names a failing mount by the user\'s path and option, never the store\'s (Docker-shaped errors)', () => {
    const r = env.run(env.runArgs(['--tmpfs', '/scratch:bogus=1', BUSYBOX, 'true']))
    expect(r.status).toBe(125)
    expect(r.stderr).toBe('mini-run: --tmpfs /scratch:bogus=1: invalid mount option "bogus=1"\n')
    // what the kernel refuses names the path as the container has it
    const k = env.run(env.runArgs(['--tmpfs', '/scratch:size=bogus', BUSYBOX, 'true']))
    expect(k.status).toBe(125)
    expect(k.stderr).toBe('mini-run: mount tmpfs on /scratch: Invalid argument\n')
    expect(k.stderr).not.toContain(env.storeRoot)
  })

  it('refuses a bad flag or missing image with one line and 125', () => {
    const flag = env.run(env.runArgs(['--no-such-flag', BUSYBOX, 'true']))
    expect(flag.status).toBe(125)
    const image = env.run(env.runArgs(['--pull', 'never', 'localhost/nothing/here', 'true']))
    expect(image.status).toBe(125)
    expect(image.stderr).toMatch(/^mini-run: .*localhost\/nothing\/here.*\n$/)
  })

  it('applies --ulimit; raising a hard limit works only with CAP_SYS_RESOURCE, else one line and 125', () => {
    const low = env.run(env.runArgs(['--ulimit', 'nofile=100:200', '--ulimit', 'core=0', BUSYBOX, 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c']))
    expect(low.stderr).toBe('')
    expect(low.stdout).toBe('100\n200\n0\n')
    // one above this process's own hard limit (still below fs.nr_open)
    const hard = Number(readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+\d+\s+(\d+)/m)![1])
    const capBnd = BigInt(`0x${readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s+(\w+)/m)![1]}`)
    const canRaise = ((capBnd >> 24n) & 1n) === 1n // CAP_SYS_RESOURCE
    const raised = env.run(env.runArgs(['--ulimit', `nofile=${hard + 1}`, BUSYBOX, 'sh', '-c', 'ulimit -Hn']))
    if (canRaise) {
      expect(raised.stdout).toBe(`${hard + 1}\n`)
    } else {
      expect(raised.stderr).toBe(`mini-run: setrlimit RLIMIT_NOFILE ${hard + 1}/${hard + 1}: Operation not permitted\n`)
      expect(raised.status).toBe(125)
    }
  })
})
