// --pid container:X and --ipc container:X as root, Docker's debug sidecar:
// a joiner's ps lists X's processes (and not the host's), its /proc is X's
// PID namespace, it is not PID 1 there; an ipc joiner sees X's POSIX
// message queues and IPC namespace; exec into a joiner runs in X's PID
// namespace; Docker's refusals and exit codes, leaving nothing; X stopped
// under a running joiner ends it; `start` joins X again after X restarted.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('--pid container:X, --ipc container:X (needs root)', () => {
  let env: TestEnv
  const mr = (args: string[]) => env.run(args)
  const run = (args: string[]) => mr(['run', '--cgroup-parent', env.cgroupParent, '--network', 'none', ...args])
  const ok = (r: ReturnType<typeof mr>) => {
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const detached = (args: string[]) => ok(run(['-d', ...args])).trim()
  const inspect = (ref: string) => JSON.parse(ok(mr(['inspect', ref])))[0] as { HostConfig: { PidMode: string; IpcMode: string } }
  /** The command lines of `ps -o args` (under its COMMAND header), sorted. */
  const commands = (out: string) => out.split('\n').slice(1).filter(Boolean).map((l) => l.trim()).sort()

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('ps in the joiner lists X\'s processes and its own, nothing of the host\'s; inspect, exec and --explain say so', () => {
    const web = detached(['--name', 'web', BUSYBOX, 'sleep', '1000'])
    const out = ok(run(['--rm', '--pid', 'container:web', BUSYBOX, 'ps', '-o', 'args']))
    expect(commands(out)).toEqual(['ps -o args', 'sleep 1000'])
    // X's PID 1 is its sleep; the joiner's command is another pid of that namespace
    expect(ok(run(['--rm', '--pid', 'container:web', BUSYBOX, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; [ $$ != 1 ] && echo not-pid-1']))).toBe('sleep 1000 \nnot-pid-1\n')

    detached(['--name', 'side', '--pid', `container:${web.slice(0, 12)}`, BUSYBOX, 'sleep', '2000'])
    expect(inspect('side').HostConfig.PidMode).toBe(`container:${web}`)
    expect(inspect('web').HostConfig.PidMode).toBe('')
    // exec into the joiner: X's namespace too, not the host's where its relay is
    expect(commands(ok(mr(['exec', 'side', 'ps', '-o', 'args'])))).toEqual(['ps -o args', 'sleep 1000', 'sleep 2000'])
    expect(commands(ok(mr(['exec', 'web', 'ps', '-o', 'args'])))).toEqual(['ps -o args', 'sleep 1000', 'sleep 2000'])
    // stop signals the joiner's command through its relay
    ok(mr(['stop', '-t', '5', 'side']))

    const explain = ok(run(['--rm', '--explain', '--pid', 'container:web', BUSYBOX, 'ps', '-o', 'args']))
    expect(explain).toContain('refuse unless container web runs; pidfd_open its process as <pid-of>')
    expect(explain).toContain('setns <pid-of> CLONE_NEWPID')
    expect(explain).toContain('fork: the child goes on in the PID namespace joined')
  })

  it('-t: the joiner gets its pty and controlling terminal after the fork into X\'s namespace', async () => {
    detached(['--name', 'web', BUSYBOX, 'sleep', '1000'])
    const tty = detached(['-t', '--pid', 'container:web', BUSYBOX, 'sh', '-c', 'tty; ps -o stat,args | grep "[s]leep 1000"; echo listed; exec sleep 3000'])
    await until('the joiner\'s output', () => mr(['logs', tty]).stdout.includes('listed'))
    expect(mr(['logs', tty]).stdout).toMatch(/^\/dev\/pts\/0\r\n\S+ +sleep 1000\r\nlisted\r\n$/)
    expect(commands(ok(mr(['exec', 'web', 'ps', '-o', 'args'])))).toEqual(['ps -o args', 'sleep 1000', 'sleep 3000'])
  })

  it('--ipc container:X shares X\'s IPC namespace: its message queues', () => {
    const ipcOf = (out: string) => out.trim()
    detached(['--name', 'web', BUSYBOX, 'sh', '-c', 'touch /dev/mqueue/shared && exec sleep 1000'])
    const webIpc = ipcOf(ok(mr(['exec', 'web', 'readlink', '/proc/self/ns/ipc'])))
    const out = ok(run(['--rm', '--ipc', 'container:web', BUSYBOX, 'sh', '-c', 'for i in $(seq 50); do [ -e /dev/mqueue/shared ] && break; sleep 0.1; done; ls /dev/mqueue; readlink /proc/self/ns/ipc']))
    expect(out).toBe(`shared\n${webIpc}\n`)
    // a container of its own IPC namespace sees none of it
    expect(ok(run(['--rm', BUSYBOX, 'ls', '/dev/mqueue']))).toBe('')
    detached(['--name', 'side', '--ipc', 'container:web', BUSYBOX, 'sleep', '1000'])
    const id = JSON.parse(ok(mr(['inspect', 'web'])))[0].Id as string
    expect(inspect('side').HostConfig.IpcMode).toBe(`container:${id}`)
    expect(inspect('web').HostConfig.IpcMode).toBe('private')
    // the other modes, as Docker shows them
    ok(mr(['create', '--name', 'modes', '--pid', 'host', '--ipc', 'shareable', BUSYBOX, 'true']))
    expect(inspect('modes').HostConfig).toMatchObject({ PidMode: 'host', IpcMode: 'shareable' })
    ok(mr(['create', '--name', 'hostipc', '--ipc', 'host', BUSYBOX, 'true']))
    expect(inspect('hostipc').HostConfig.IpcMode).toBe('host')
  })

  it('refuses in Docker\'s words with exit 125: X not running, no such X, an empty name, --userns=auto', () => {
    ok(mr(['create', '--name', 'web', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '1000']))
    const notRunning = run(['--rm', '--pid', 'container:web', BUSYBOX, 'true'])
    expect([notRunning.status, notRunning.stderr]).toEqual([125, 'mini-run: cannot join PID of a non running container: web\n'])
    const ipc = run(['--rm', '--ipc', 'container:web', BUSYBOX, 'true'])
    expect([ipc.status, ipc.stderr]).toEqual([125, 'mini-run: cannot join IPC of a non running container: web\n'])
    const missing = run(['--rm', '--pid', 'container:nothere', BUSYBOX, 'true'])
    expect([missing.status, missing.stderr]).toEqual([125, 'mini-run: no such container: nothere\n'])
    const empty = run(['--rm', '--ipc', 'container:', BUSYBOX, 'true'])
    expect([empty.status, empty.stderr]).toEqual([125, 'mini-run: --ipc: invalid IPC mode\n'])
    const auto = run(['--rm', '--userns=auto', '--pid', 'container:web', BUSYBOX, 'true'])
    expect([auto.status, auto.stderr]).toEqual([125, 'mini-run: --pid container:web needs the host\'s user namespace: not with --userns=auto\n'])
    expect(ok(mr(['ps', '-a', '--format', '{{.Names}}']))).toBe('web\n')
  })

  it('X stopping ends a joiner; start joins X again once X runs, and is refused while it does not', () => {
    detached(['--name', 'web', BUSYBOX, 'sleep', '1000'])
    detached(['--name', 'side', '--pid', 'container:web', BUSYBOX, 'sleep', '2000'])
    ok(mr(['stop', '-t', '1', 'web']))
    // the kernel kills every process of a PID namespace whose init exits
    expect(ok(mr(['wait', 'side']))).toBe('137\n')
    const refused = mr(['start', 'side'])
    expect([refused.status, refused.stderr]).toEqual([1, 'mini-run: cannot join PID of a non running container: web\n'])
    ok(mr(['start', 'web']))
    ok(mr(['start', 'side']))
    expect(commands(ok(mr(['exec', 'side', 'ps', '-o', 'args'])))).toEqual(['ps -o args', 'sleep 1000', 'sleep 2000'])
  })
})
