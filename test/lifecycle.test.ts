// Containers that outlive the command that started them: run -d under a
// monitor, ps, logs, exec, stop, kill, rm, inspect, container prune, and a
// monitor killed with kill -9.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { until } from './helpers/until.js'
import { trapped as trappedPid } from './helpers/trapped.js'
import { BUSYBOX, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'


describe.skipIf(!isRoot)('lifecycle: run -d, ps, logs, exec, stop, kill, rm, inspect (needs root)', () => {
  let env: TestEnv
  const detached = (args: string[]) => {
    const r = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/)
    return r.stdout.trim()
  }
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  /** Wait for the container's shell to have set its trap for signal number sig (helpers/trapped.ts). */
  const trapped = (id: string, sig: number) => trappedPid(inspect(id).State.Pid as number, sig)
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    // whatever a test left running goes, and must leave nothing behind
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('runs detached, lists it in ps, and keeps stdout and stderr apart in its logs', async () => {
    const id = detached(['--name', 'web', BUSYBOX, 'sh', '-c', 'echo out1; echo err1 >&2; sleep 0.3; echo out2; sleep 60'])
    await until('logs', () => env.run(['logs', 'web']).stdout === 'out1\nout2\n')
    const logs = env.run(['logs', id.slice(0, 6)])
    expect(logs.stdout).toBe('out1\nout2\n')
    expect(logs.stderr).toBe('err1\n')
    expect(env.run(['logs', '--tail', '1', 'web']).stdout).toBe('out2\n')
    expect(env.run(['logs', '-t', 'web']).stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out1\n/)
    const ps = env.run(['ps']).stdout.split('\n')
    expect(ps[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/)
    expect(ps[1]).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+${BUSYBOX}\\s+".*"\\s+.* ago\\s+Up .*\\s+web$`))
    expect(env.run(['ps', '-q']).stdout).toBe(`${id.slice(0, 12)}\n`)
    const info = inspect('web')
    expect(info.State).toMatchObject({ Status: 'running', Running: true, OOMKilled: false })
    expect(info.State.Pid).toBeGreaterThan(1)
    expect(info.Name).toBe('/web')
  })

  it('logs -f follows the output until the container exits', async () => {
    const id = detached([BUSYBOX, 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done'])
    const { miniRunAsync } = await import('./helpers/cli.js')
    const follow = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'logs', '-f', id])
    const r = await follow.done
    expect(r.stdout).toBe('line1\nline2\nline3\n')
    expect(r.status).toBe(0)
  })

  it('logs and logs -f into a pipe whose reader has gone (| head -1) end quietly with 141, as Docker\'s CLI dies of SIGPIPE', async () => {
    // more than a pipe holds, then a line now and then: the reader goes while logs still writes
    const id = detached([BUSYBOX, 'sh', '-c', 'seq 1 100000; while :; do echo tick; sleep 0.2; done'])
    await until('the count logged', () => env.run(['logs', '--tail', '1', id]).stdout === 'tick\n', 20_000)
    const { cliEnv } = await import('./helpers/cli.js')
    for (const follow of [[], ['-f']]) {
      const line = `{ mini-run "$@"; echo "status $?" >&2; } | head -1`
      const r = spawnSync('sh', ['-c', line, 'sh', '--root', env.storeRoot, '--state', env.stateRoot, 'logs', ...follow, id], { encoding: 'utf8', timeout: 20_000, env: cliEnv() })
      expect(r.stdout).toBe('1\n')
      // not "mini-run: write EPIPE"; -f ends at its next write, not when the container does
      expect(r.stderr).toBe('status 141\n')
    }
  })

  it('exec -i passes stdin through', () => {
    const id = detached([BUSYBOX, 'sleep', '60'])
    expect(env.run(['exec', '-i', id, 'cat'], { input: 'piped\n' }).stdout).toBe('piped\n')
    expect(env.run(['exec', id, 'cat'], { input: 'piped\n' }).stdout).toBe('')
  })

  it('exec joins the container: same PID namespace, hostname, cgroup, capabilities and user rules', () => {
    const id = detached(['--hostname', 'box', BUSYBOX, 'sleep', '60'])
    const r = env.run(['exec', id, 'sh', '-c', 'hostname; ps -o pid,comm | grep -c sleep; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; grep ^0:: /proc/self/cgroup'])
    expect(r.stderr).toBe('')
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toBe('box')
    expect(lines[1]).toBe('1') // sleep is visible: the same PID namespace
    expect(lines[2]).toMatch(/^CapEff:\s+00000000a80425fb$/)
    expect(lines[3]).toMatch(/^NoNewPrivs:\s+1$/)
    expect(lines[4]).toMatch(/^Seccomp:\s+2$/) // the container's filter binds exec too
    expect(lines[5]).toBe('0::/') // its cgroup namespace, rooted at the container's leaf
    expect(env.run(['exec', '-u', '1000', id, 'id', '-u']).stdout).toBe('1000\n')
    expect(env.run(['exec', '-w', '/tmp', '-e', 'X=1', id, 'sh', '-c', 'echo $PWD $X']).stdout).toBe('/tmp 1\n')
    expect(env.run(['exec', id, 'sh', '-c', 'exit 7']).status).toBe(7)
    expect(env.run(['exec', id, 'no-such-command']).status).toBe(127)
    expect(env.run(['exec', '-t', id, 'tty']).stdout.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\n$/)
  })

  it('stop sends SIGTERM, then kills the whole cgroup after the timeout; the exit code is recorded', async () => {
    const polite = detached([BUSYBOX, 'sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.1; done'])
    await trapped(polite, 15)
    expect(env.run(['stop', polite]).status).toBe(0)
    expect(inspect(polite).State).toMatchObject({ Status: 'exited', ExitCode: 3 })
    // PID 1 ignores SIGTERM without a handler: stop must still finish, with SIGKILL
    const stubborn = detached([BUSYBOX, 'sh', '-c', 'sleep 300 & sleep 300'])
    const start = Date.now()
    expect(env.run(['stop', '-t', '1', stubborn]).status).toBe(0)
    expect(Date.now() - start).toBeLessThan(8000)
    expect(inspect(stubborn).State).toMatchObject({ Status: 'exited', ExitCode: 137 })
    expect(env.run(['ps', '-a']).stdout).toMatch(/Exited \(137\)/)
  })

  it('stop uses the container\'s --stop-signal and --stop-timeout when not given -t', async () => {
    const custom = detached(['--stop-signal', 'USR1', BUSYBOX, 'sh', '-c', 'trap "exit 5" USR1; trap "" TERM; while :; do sleep 0.1; done'])
    await trapped(custom, 10)
    expect(inspect(custom).Config.StopSignal).toBe('USR1')
    expect(env.run(['stop', custom]).status).toBe(0)
    expect(inspect(custom).State).toMatchObject({ Status: 'exited', ExitCode: 5 })
    const stubborn = detached(['--stop-timeout', '1', BUSYBOX, 'sh', '-c', 'trap "" TERM; sleep 300 & wait'])
    const start = Date.now()
    expect(env.run(['stop', stubborn]).status).toBe(0)
    expect(Date.now() - start).toBeLessThan(8000) // 1 s, then SIGKILL; not Docker's default 10
    expect(inspect(stubborn).State).toMatchObject({ Status: 'exited', ExitCode: 137 })
    const bad = env.run(['run', '-d', '--stop-timeout', 'soon', BUSYBOX, 'true'])
    expect(bad.stderr).toBe('mini-run: invalid --stop-timeout "soon": a whole number of seconds (-1: wait for ever)\n')
    expect(bad.status).toBe(125)
  })

  it('a negative timeout waits for ever, as Docker\'s: stop -t -1 and --stop-timeout -1 send no SIGKILL', () => {
    // PID 1 ignores SIGTERM without a handler: it ends when its sleep does, with its own code, not 137
    const slow = detached(['--stop-timeout', '-1', BUSYBOX, 'sh', '-c', 'sleep 2; exit 4'])
    expect(inspect(slow).Config.StopTimeout).toBe(-1)
    expect(env.run(['stop', slow]).status).toBe(0)
    expect(inspect(slow).State).toMatchObject({ Status: 'exited', ExitCode: 4 })
    const other = detached([BUSYBOX, 'sh', '-c', 'sleep 2; exit 6'])
    expect(env.run(['stop', '-t', '-1', other]).status).toBe(0)
    expect(inspect(other).State).toMatchObject({ Status: 'exited', ExitCode: 6 })
  })

  it('kill sends a signal; rm refuses a running container without -f; rm -f leaves nothing', () => {
    const id = detached([BUSYBOX, 'sh', '-c', 'trap "exit 5" USR1; while :; do sleep 0.1; done'])
    expect(env.run(['kill', '-s', 'USR1', id]).status).toBe(0)
    const refused = detached([BUSYBOX, 'sleep', '60'])
    const r = env.run(['rm', refused])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/cannot remove running container [0-9a-f]{12}: stop it first, or use rm -f/)
    expect(env.run(['rm', '-f', refused]).status).toBe(0)
    // (the parent may be gone too: an exited container's leaf is released at its exit)
    if (cgroup2) expect(existsSync(join(cgroup2, env.cgroupParent, refused))).toBe(false)
  })

  it('resolves names and unique id prefixes as Docker does', () => {
    const a = detached(['--name', 'alpha', BUSYBOX, 'sleep', '60'])
    expect(env.run(['inspect', a.slice(0, 12)]).status).toBe(0)
    expect(JSON.parse(env.run(['inspect', 'alpha']).stdout)[0].Id).toBe(a)
    // Docker's: what was found (nothing: []), then the error, exit 1
    const missing = env.run(['inspect', 'nosuch'])
    expect(missing.status).toBe(1)
    expect(missing.stdout).toBe('[]\n')
    expect(missing.stderr).toBe('Error: No such object: nosuch\n')
    expect(env.run(['rm', 'nosuch'])).toMatchObject({ status: 1, stderr: 'mini-run: no such container: nosuch\n' })
    // with -f it is said, but no failure (docker/cli's rm), as cleanup scripts rely on; another failure still is one
    expect(env.run(['rm', '-f', 'nosuch'])).toMatchObject({ status: 0, stdout: '', stderr: 'mini-run: no such container: nosuch\n' })
    expect(env.run(['rmi', '-f', 'localhost/nosuch:1'])).toMatchObject({ status: 0, stderr: 'mini-run: no such image: localhost/nosuch:1\n' })
    expect(env.run(['rmi', 'localhost/nosuch:1']).status).toBe(1)
    const b = detached(['--name', 'beta', BUSYBOX, 'sleep', '60'])
    expect(env.run(['rm', '-f', 'nosuch', b])).toMatchObject({ status: 0, stdout: `${b}\n` })
  })

  it('shows the true status after its monitor was killed with kill -9, and rm -f still cleans up', async () => {
    const id = detached([BUSYBOX, 'sleep', '60'])
    const monitor = inspect(id).MonitorPid as number
    expect(monitor).toBeGreaterThan(0)
    process.kill(monitor, 'SIGKILL')
    await sleep(200)
    expect(env.run(['ps']).stdout).toContain(id.slice(0, 12))
    expect(inspect(id).State.Status).toBe('running')
    expect(env.run(['rm', '-f', id]).status).toBe(0)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('run -d --rm: the container removes itself when it exits, is stopped or is removed', async () => {
    const gone = () => env.run(['ps', '-a', '-q']).stdout === '' && env.leftovers().length === 0
    detached(['--rm', BUSYBOX, 'sh', '-c', 'exit 3'])
    await until('the exited container to remove itself', gone)

    const stopped = detached(['--rm', BUSYBOX, 'sleep', '60'])
    expect(inspect(stopped).HostConfig.AutoRemove).toBe(true)
    const stop = env.run(['stop', '-t', '1', stopped])
    expect(stop.stderr).toBe('')
    expect(stop.status).toBe(0)
    await until('the stopped container to remove itself', gone)

    // rm -f races the monitor's own removal: both must leave nothing
    const removed = detached(['--rm', BUSYBOX, 'sleep', '60'])
    const rm = env.run(['rm', '-f', removed])
    expect(rm.stderr).toBe('')
    expect(rm.status).toBe(0)
    await until('the removed container to be gone', gone)

    // its monitor killed with -9: no one else removes it, so stop does what --rm says
    const orphan = detached(['--rm', BUSYBOX, 'sleep', '60'])
    process.kill(inspect(orphan).MonitorPid as number, 'SIGKILL')
    await sleep(200)
    expect(env.run(['stop', '-t', '0', orphan]).status).toBe(0)
    if (cgroup2) expect(existsSync(join(cgroup2, env.cgroupParent, orphan))).toBe(false)
    await until('the orphan to be gone', gone)
    expect(env.run(['rm', orphan]).stderr).toContain('no such container')
  })

  it('create --rm: the container waits, Created, for its start, and goes when that start\'s command exits, as Docker\'s AutoRemove', async () => {
    const gone = () => env.run(['ps', '-a', '-q']).stdout === '' && env.leftovers().length === 0
    const create = env.run(['create', '--rm', '--cgroup-parent', env.cgroupParent, '-v', '/anon', BUSYBOX, 'sh', '-c', 'echo ran $(cat /given); exit 3'])
    expect([create.stderr, create.status]).toEqual(['', 0])
    const id = create.stdout.trim()
    expect(inspect(id).State.Status).toBe('created')
    expect(inspect(id).HostConfig.AutoRemove).toBe(true)
    // not run yet: cp fills it, as Docker's
    const given = join(env.dir, 'given')
    writeFileSync(given, 'by-cp\n')
    const cp = env.run(['cp', given, `${id}:/given`])
    expect([cp.stderr, cp.status]).toEqual(['', 0])
    const start = env.run(['start', '-a', id])
    expect([start.stdout, start.status]).toEqual(['ran by-cp\n', 3])
    await until('the exited container to remove itself', gone)
    // and its anonymous volume with it, as run --rm
    expect(env.run(['volume', 'ls', '-q']).stdout).toBe('')
    expect(env.run(['create', '--rm', '--restart', 'always', BUSYBOX]).stderr).toBe('mini-run: Conflicting options: --restart and --rm\n')
  })

  it('create --rm: a start that fails removes it, its anonymous volume too, as Docker\'s daemon does (start and start -a)', () => {
    for (const start of [['start'], ['start', '-a']]) {
      const id = env.run(['create', '--rm', '--cgroup-parent', env.cgroupParent, '-v', '/anon', BUSYBOX, 'no-such-command']).stdout.trim()
      const r = env.run([...start, id])
      expect(r.stderr).toBe('mini-run: exec "no-such-command": executable file not found in $PATH\n')
      expect(r.status).not.toBe(0)
      expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
      expect(env.run(['volume', 'ls', '-q']).stdout).toBe('')
      expect(env.leftovers()).toEqual([])
    }
    // without --rm it stays, Created, for another try
    const kept = env.run(['create', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'no-such-command']).stdout.trim()
    expect(env.run(['start', kept]).status).toBe(1)
    expect(inspect(kept).State.Status).toBe('created')
    env.run(['rm', kept])
  })

  it('run -d --rm: restart restarts it, writable layer and all, as Docker does; its next stop removes it', async () => {
    const gone = () => env.run(['ps', '-a', '-q']).stdout === '' && env.leftovers().length === 0
    const id = detached(['--rm', BUSYBOX, 'sh', '-c', 'echo start >> /starts; exec sleep 60'])
    await until('the first start', () => env.run(['exec', id, 'cat', '/starts']).stdout === 'start\n')
    const restart = env.run(['restart', '-t', '1', id])
    expect(restart.stderr).toBe('')
    expect(restart.status).toBe(0)
    // the same container, its layer kept (its volatile mark removed: overlayfs mounts it again)
    await until('the second start', () => env.run(['exec', id, 'cat', '/starts']).stdout === 'start\nstart\n')
    expect(inspect(id).State.Status).toBe('running')
    expect(inspect(id).HostConfig.AutoRemove).toBe(true)
    expect(env.run(['stop', '-t', '1', id]).status).toBe(0)
    await until('the stopped container to remove itself', gone)
  })

  it('run -d -t gives the container a terminal and logs what it writes there as stdout', async () => {
    const id = detached(['-t', BUSYBOX, 'sh', '-c', 'tty; echo "$TERM"; echo to-stderr >&2'])
    await until('exit', () => inspect(id).State.Status === 'exited')
    const logs = env.run(['logs', id])
    // a terminal turns "\n" into "\r\n", and has one stream
    expect(logs.stdout).toBe('/dev/pts/0\r\nxterm\r\nto-stderr\r\n')
    expect(logs.stderr).toBe('')
    expect(inspect(id).State.ExitCode).toBe(0)
  })

  it('run -d -i and -d -t keep a shell waiting for input; plain -d gives it end of file', async () => {
    const plain = detached([BUSYBOX, 'sh'])
    const interactive = detached(['-i', BUSYBOX, 'sh'])
    const dit = detached(['-i', '-t', BUSYBOX, 'sh'])
    await until('the plain shell to read end of file and exit', () => inspect(plain).State.Status === 'exited')
    await sleep(500)
    expect(inspect(interactive).State.Status).toBe('running')
    expect(inspect(dit).State.Status).toBe('running')
    // the waiting shells are there to exec into, and stop like any other
    expect(env.run(['exec', dit, 'cat', '/proc/1/comm']).stdout).toBe('sh\n')
    expect(env.run(['stop', '-t', '1', interactive, dit]).status).toBe(0)
  })

  it('logs what comes after PID 1\'s exit while it keeps coming, and stops at a silence of a second', async () => {
    // --pid host: the background subshell outlives PID 1 and keeps its stdout. It writes every
    // 0.3 s for 3 s after the exit: all of it is the container's log (the monitor's grace used to
    // be a second from the exit, which also dropped a busy monitor's backlog), then it falls
    // silent for 6 s, and the monitor stops without waiting for its last line
    const ticks = 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.3; echo tick $i; done; sleep 6; echo late'
    // from before run -d: its own time on a busy machine is no part of the ticks' 3 s, and "late" comes 9 s after this at the soonest
    const began = Date.now()
    const id = detached(['--pid', 'host', BUSYBOX, 'sh', '-c', `(${ticks}) & echo start`])
    const waited = env.run(['wait', id])
    expect(waited.stdout).toBe('0\n')
    // the exit is recorded once the output has ended: after the ticks (and the logs below stop before "late")
    expect(Date.now() - began).toBeGreaterThan(3000)
    const expected = ['start', ...Array.from({ length: 10 }, (_, i) => `tick ${i + 1}`)].join('\n') + '\n'
    expect(env.run(['logs', id]).stdout).toBe(expected)
    expect(env.run(['rm', '-f', id]).status).toBe(0)
  }, 30_000)

  it('wait blocks until a container exits and prints its exit code, for a --rm one too', async () => {
    // each ends when the test writes its file: the --rm one (which removes itself right after its
    // exit) only once wait has printed the first code, so wait has looked it up before, however slow
    const ctl = join(env.dir, 'wait-ctl')
    mkdirSync(ctl)
    const endsAt = (file: string, code: number) => ['-v', `${ctl}:/ctl`, BUSYBOX, 'sh', '-c', `until [ -e /ctl/${file} ]; do sleep 0.1; done; exit ${code}`]
    const id = detached(endsAt('first', 3))
    const gone = detached(['--rm', ...endsAt('second', 4)])
    const { miniRunAsync } = await import('./helpers/cli.js')
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const waiting = miniRunAsync([...globals, 'wait', id, gone])
    writeFileSync(join(ctl, 'first'), '')
    await until('the first exit code', () => waiting.output() === '3\n')
    expect(inspect(id).State.Status).toBe('exited')
    // a --rm container removes itself right after: wait still reads its code
    writeFileSync(join(ctl, 'second'), '')
    const r = await waiting.done
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('3\n4\n')
    expect(r.status).toBe(0)
    const missing = env.run(['wait', 'nosuch'])
    expect(missing.stderr).toBe('mini-run: no such container: nosuch\n')
    expect(missing.status).toBe(1)
  })

  it('the next command cleans up after a runtime killed between creating the cgroup and starting the container', () => {
    // the runtime kills itself once the writable layer and the cgroup leaf exist, just before the clone
    const r = env.run(['run', '-d', '--name', 'crashed', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true'], { env: { ...process.env, MINI_RUN_CRASH_AT: 'start:before-clone' } })
    expect(r.signal).toBe('SIGKILL')
    const [id] = readdirSync(join(env.storeRoot, 'containers'))
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    if (cgroup2) expect(existsSync(join(cgroup2, env.cgroupParent, id!))).toBe(true)
    // a start that failed leaves nothing: its runtime is gone, the next look removes what it made
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.leftovers()).toEqual([])
    // and the name is free again
    const again = env.run(['run', '-d', '--name', 'crashed', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true'])
    expect(again.status).toBe(0)
    expect(env.run(['rm', '-f', 'crashed']).status).toBe(0)
  })

  it('container prune removes stopped containers only', () => {
    const done = detached([BUSYBOX, 'true'])
    const running = detached([BUSYBOX, 'sleep', '60'])
    return until('exit', () => inspect(done).State.Status === 'exited').then(() => {
      const r = env.run(['container', 'prune', '-f'])
      expect(r.stdout).toContain(done)
      expect(env.run(['ps', '-a', '-q']).stdout).toBe(`${running.slice(0, 12)}\n`)
    })
  })
})
