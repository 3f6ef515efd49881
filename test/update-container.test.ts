// `update`: a container's limits and restart policy changed after it was
// made. A running one's limits are read back from its own cgroup files
// (the v1 hierarchy a controller is bound to on a hybrid host, else v2:
// /proc/PID/cgroup says which), then from inspect and after a new start.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { until } from './helpers/until.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { findV1Hierarchies, ownCgroups } from '../src/runtime/cgroup/cgroup-v1.js'
import { miniRunAsync, type CliResult } from './helpers/cli.js'
import { waitsForLock } from './helpers/locks.js'
import { BUSYBOX, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const MiB = 1024 * 1024

/** The value of one of a process's limits, from the cgroup it is in: the v1 file if a v1 hierarchy has the controller, else the v2 one. */
function limitOf(pid: number, controller: string, v1File: string, v2File: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':'))
  const v1 = lines.find(([, controllers]) => controllers!.split(',').includes(controller))
  const hierarchy = findV1Hierarchies().find((h) => h.controllers.includes(controller))
  // a hierarchy's root cgroup has no limit files: no limit
  if (v1 && hierarchy) return readIfThere(join(hierarchy.mount, v1[2]!, v1File)) ?? 'max'
  const v2 = lines.find(([id, controllers]) => id === '0' && controllers === '')
  return readIfThere(join(cgroup2!, v2![2]!, v2File)) ?? 'max'
}

function readIfThere(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined
}

describe.skipIf(!isRoot)('update (needs root)', () => {
  let env: TestEnv
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  const pidOf = (ref: string) => inspect(ref).State.Pid as number
  const detached = (name: string, ...args: string[]) => {
    const r = env.run(['run', '-d', '--name', name, '--cgroup-parent', env.cgroupParent, ...args, BUSYBOX, 'sleep', '60'])
    expect(r.stderr).toBe('')
    return r.stdout.trim()
  }
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
    // the v1 leaves update made went with their containers, and the parents mini-run made for them
    const own = ownCgroups().v1
    const v1Parents = findV1Hierarchies().map((h) => join(h.mount, own.get(h.controllers[0]!) ?? '/', env.cgroupParent))
    expect(v1Parents.filter((dir) => existsSync(dir))).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('writes a running container\'s cgroup files at once, and keeps the limits for inspect and the next start', async () => {
    detached('u1')
    // run without -m, it has no swap limit for a memory limit alone to fit under (the daemon's rule): both are given
    const r = env.run(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '20', '--cpus', '0.5', 'u1'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('u1\n')
    expect(r.status).toBe(0)
    const check = (pid: number) => {
      expect(limitOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(64 * MiB))
      expect(limitOf(pid, 'pids', 'pids.max', 'pids.max')).toBe('20')
      expect([limitOf(pid, 'cpu', 'cpu.cfs_quota_us', 'cpu.max')]).toContainEqual(expect.stringMatching(/^50000( 100000)?$/))
    }
    check(pidOf('u1'))
    const host = inspect('u1').HostConfig
    expect([host.Memory, host.MemorySwap, host.PidsLimit, host.NanoCpus]).toEqual([64 * MiB, 128 * MiB, 20, 500_000_000])
    expect(env.run(['stop', '-t', '1', 'u1']).status).toBe(0)
    expect(env.run(['start', 'u1']).status).toBe(0)
    check(pidOf('u1'))
  })

  it('--cpuset-cpus, --cpu-period, --cpu-quota and --memory-reservation reach a running container at once; --cpus over them is moby\'s conflict', () => {
    detached('u5')
    const r = env.run(['update', '--cpuset-cpus', '1', '--cpu-period', '50000', '--cpu-quota', '20000', '--memory-reservation', '24m', 'u5'])
    expect([r.status, r.stderr, r.stdout]).toEqual([0, '', 'u5\n'])
    const pid = pidOf('u5')
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Cpus_allowed_list:\t1$/m)
    expect([limitOf(pid, 'cpu', 'cpu.cfs_quota_us', 'cpu.max')]).toContainEqual(expect.stringMatching(/^20000( 50000)?$/))
    expect(limitOf(pid, 'memory', 'memory.soft_limit_in_bytes', 'memory.low')).toBe(String(24 * MiB))
    const host = inspect('u5').HostConfig
    expect([host.CpusetCpus, host.CpuPeriod, host.CpuQuota, host.NanoCpus, host.MemoryReservation]).toEqual(['1', 50000, 20000, 0, 24 * MiB])
    const conflict = env.run(['update', '--cpus', '1', 'u5'])
    expect([conflict.status, conflict.stderr]).toEqual([1, expect.stringContaining('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set')])
    const bad = env.run(['update', '--cpuset-cpus', '64', 'u5'])
    // the daemon's check, not the flag parser's: 1, as update's other refusals
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/^mini-run: Requested CPUs are not available - requested 64, available: /)])
  })

  it('changes a created container\'s stored limits only; its start applies them', () => {
    const created = env.run(['create', '--name', 'u2', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'])
    expect(created.status).toBe(0)
    expect(env.run(['container', 'update', '-m', '32m', '--memory-swap', '-1', '-c', '512', 'u2']).stdout).toBe('u2\n')
    expect(inspect('u2').State.Status).toBe('created')
    expect(inspect('u2').HostConfig.Memory).toBe(32 * MiB)
    expect(inspect('u2').HostConfig.CpuShares).toBe(512)
    expect(env.run(['start', 'u2']).status).toBe(0)
    expect(limitOf(pidOf('u2'), 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(32 * MiB))
  })

  it('--restart reaches a running container: killed, it is started again', async () => {
    detached('u3')
    const before = pidOf('u3')
    expect(env.run(['update', '--restart', 'always', 'u3']).stdout).toBe('u3\n')
    expect(inspect('u3').HostConfig.RestartPolicy).toEqual({ Name: 'always', MaximumRetryCount: 0 })
    process.kill(before, 'SIGKILL')
    await until('a restart', () => {
      const i = inspect('u3')
      return i.RestartCount === 1 && i.State.Status === 'running' && i.State.Pid !== before
    })
  })

  it('refuses as Docker does: no flag, a memory limit too small or above the swap set, swap below memory, --restart on --rm', () => {
    const id = detached('u4', '-m', '32m')
    const refused = (args: string[], message: string) => {
      const r = env.run(['update', ...args, 'u4'])
      expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `mini-run: ${message}\n`])
    }
    refused([], 'you must provide one or more flags when using this command')
    refused(['--memory', '4m'], 'minimum memory limit allowed is 6MB')
    refused(['--memory', '64m', '--memory-swap', '32m'], 'minimum memory-swap limit should be larger than memory limit')
    refused(['--memory', '128m'], `Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`)
    expect(inspect('u4').HostConfig.Memory).toBe(32 * MiB)
    // the swap alone, for a container with a memory limit: fine
    expect(env.run(['update', '--memory-swap', '-1', 'u4']).stdout).toBe('u4\n')
    expect(inspect('u4').HostConfig.MemorySwap).toBe(-1)
    env.run(['run', '-d', '--rm', '--name', 'u5', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'])
    const rm = env.run(['update', '--restart', 'always', 'u5'])
    expect([rm.status, rm.stdout, rm.stderr]).toEqual([1, '', 'mini-run: Restart policy cannot be updated because AutoRemove is enabled for the container\n'])
    expect(env.run(['update', '--restart', 'no', 'u5']).stdout).toBe('u5\n')
  })

  it('goes on past a container that does not exist, and exits 1', () => {
    detached('u6')
    const r = env.run(['update', '--pids-limit', '30', 'nosuch', 'u6'])
    expect(r.stdout).toBe('u6\n')
    expect(r.stderr).toBe('mini-run: no such container: nosuch\n')
    expect(r.status).toBe(1)
    expect(limitOf(pidOf('u6'), 'pids', 'pids.max', 'pids.max')).toBe('30')
  })

  it('holds the lock of the state\'s writers from its read to its write: an update that comes meanwhile waits, and both are kept', async () => {
    detached('u7')
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const release = join(env.dir, 'u7-release')
    const first = miniRunAsync([...globals, 'update', '--pids-limit', '30', 'u7'], { env: { ...process.env, MINI_RUN_PAUSE_AT: 'update:before-write', MINI_RUN_PAUSE_FILE: release } })
    try {
      await until('the first update to pause', () => existsSync(`${release}.paused`))
      const second = miniRunAsync([...globals, 'update', '--restart', 'always', 'u7'])
      await until('the second update to wait for the lock', () => waitsForLock(second.child.pid!))
      writeFileSync(release, '')
      const [a, b] = await Promise.all([first.done, second.done])
      expect([a.status, a.stdout, b.status, b.stdout]).toEqual([0, 'u7\n', 0, 'u7\n'])
    } finally {
      // a failed wait must not leave the first update paused
      writeFileSync(release, '')
      await first.done
    }
    const host = inspect('u7').HostConfig
    expect([host.PidsLimit, host.RestartPolicy]).toEqual([30, { Name: 'always', MaximumRetryCount: 0 }])
  })
  it('a flag value Docker\'s flag parser refuses is a flag error: 125, in its words, before any container is looked at', () => {
    const flagError = (args: string[], message: string) => {
      const r = env.run(['update', ...args, 'nosuch'])
      expect([r.status, r.stdout, r.stderr]).toEqual([125, '', `mini-run: ${message}\n`])
    }
    flagError(['--memory', 'abc'], `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'`)
    flagError(['-m', '-1'], `invalid argument "-1" for "-m, --memory" flag: invalid size: '-1'`)
    flagError(['--memory-swap', 'lots'], `invalid argument "lots" for "--memory-swap" flag: invalid size: 'lots'`)
    flagError(['--cpus', 'x'], 'invalid argument "x" for "--cpus" flag: failed to parse x as a rational number')
    flagError(['--cpus', '0.0000000001'], 'invalid argument "0.0000000001" for "--cpus" flag: value is too precise')
    flagError(['--pids-limit', 'q'], 'invalid argument "q" for "--pids-limit" flag: strconv.ParseInt: parsing "q": invalid syntax')
    flagError(['-c', '1.5'], 'invalid argument "1.5" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "1.5": invalid syntax')
    flagError(['--blkio-weight', 'x'], 'invalid argument "x" for "--blkio-weight" flag: strconv.ParseUint: parsing "x": invalid syntax')
    flagError(['--blkio-weight', '70000'], 'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range')
    // the restart policy is the daemon's to refuse (docker/cli sends it as given): exit 1, its words
    const r = env.run(['update', '--restart', 'sometimes', 'nosuch'])
    expect([r.status, r.stdout, r.stderr]).toEqual([1, '', "mini-run: invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'\n"])
  })

  it('--blkio-weight reaches a running container\'s io.weight (blkio.weight on v1), or where the host has no weights goes with Docker\'s warning', () => {
    const id = detached('ub')
    const pid = pidOf('ub')
    const v1 = findV1Hierarchies().find((h) => h.controllers.includes('blkio'))
    const v2Io = cgroup2 !== undefined && readFileSync(join(cgroup2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('io')
    const weights = v2Io || (v1 !== undefined && existsSync(join(v1.mount, 'blkio.weight')))
    const r = env.run(['update', '--blkio-weight', '300', 'ub'])
    expect([r.status, r.stderr]).toEqual([0, ''])
    if (weights) {
      expect(r.stdout).toBe('ub\n')
      expect(limitOf(pid, 'blkio', 'blkio.weight', 'io.weight')).toMatch(v2Io ? /^default 2930$/m : /^300$/)
      expect(inspect(id).HostConfig.BlkioWeight).toBe(300)
    } else {
      // the daemon's warning after the name, on stdout, as docker/cli's update prints it
      expect(r.stdout).toBe('ub\nYour kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n')
      expect(inspect(id).HostConfig.BlkioWeight).toBe(0)
    }
  })

  it('a memory limit alone, on a container run without one, is refused as the daemon refuses it; with --memory-swap -1 swap stays unlimited', () => {
    const id = detached('u10')
    const pid = pidOf('u10')
    const before = limitOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max')
    const r = env.run(['update', '--memory', '64m', 'u10'])
    expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `mini-run: Cannot update container ${id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n`])
    expect(limitOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(before)
    expect([inspect('u10').HostConfig.Memory, inspect('u10').HostConfig.MemorySwap]).toEqual([0, 0])
    // Docker's own syntax of a size (go-units): a space, an i
    expect(env.run(['update', '--memory', '64 MiB', '--memory-swap', '-1', 'u10']).stdout).toBe('u10\n')
    expect([inspect('u10').HostConfig.Memory, inspect('u10').HostConfig.MemorySwap]).toEqual([64 * MiB, -1])
    expect(limitOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(64 * MiB))
    const swap = limitOf(pid, 'memory', 'memory.memsw.limit_in_bytes', 'memory.swap.max')
    expect(['max', '9223372036854771712']).toContain(swap)
  })

  it('a value the kernel refuses leaves the limits as they were, records the leaves it made, and says what failed in one line', () => {
    // pids.max above PID_MAX_LIMIT is EINVAL; the memory limits before it are written, then restored
    for (const [name, args] of [['u11', ['-m', '32m']], ['u12', []]] as const) {
      const id = detached(name, ...args)
      const pid = pidOf(name)
      const memory = () => limitOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max')
      const before = memory()
      const r = env.run(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '5000000', name])
      expect([r.status, r.stdout]).toEqual([1, ''])
      expect(r.stderr).toMatch(new RegExp(`^mini-run: Cannot update container ${id}: write 5000000 to /sys/fs/cgroup/\\S+/pids\\.max: invalid argument \\(EINVAL\\)\\n$`))
      expect(memory()).toBe(before)
      const host = inspect(name).HostConfig
      expect([host.Memory, host.PidsLimit ?? 0]).toEqual([args.length ? 32 * MiB : 0, 0])
    }
    // afterEach: the v1 leaves the second update made (memory, pids) went with their container
  })

  it('an update while `start` is being made reaches the cgroups that start makes', async () => {
    detached('u13')
    expect(env.run(['stop', '-t', '0', 'u13']).status).toBe(0)
    await updateDuring('start:before-host-steps', ['start', 'u13'], 'u13')
    checkUpdated(pidOf('u13'))
  })

  it('an update while `run -d` is being made reaches the cgroups that run makes', async () => {
    const run = ['run', '-d', '--name', 'u14', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']
    await updateDuring('run:before-host-steps', run, 'u14')
    checkUpdated(pidOf('u14'))
    expect(inspect('u14').HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 })
  })

  it('an update while a restart policy starts the container again reaches the cgroups of that start', async () => {
    const release = join(env.dir, 'u15-release')
    const pause = { MINI_RUN_PAUSE_AT: 'start:before-host-steps', MINI_RUN_PAUSE_FILE: release }
    // the monitor's exit command (the restart) has the environment of the run
    const r = env.run(['run', '-d', '--restart', 'always', '--name', 'u15', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'], { env: { ...process.env, ...pause } })
    expect(r.status).toBe(0)
    const first = pidOf('u15')
    try {
      process.kill(first, 'SIGKILL')
      await until('the restart to pause', () => existsSync(`${release}.paused`))
      expect(env.run(['update', '--pids-limit', '20', '--memory', '64m', '--memory-swap', '128m', '--restart', 'on-failure:2', 'u15']).stdout).toBe('u15\n')
    } finally {
      writeFileSync(release, '')
    }
    await until('the restart', () => inspect('u15').State.Status === 'running' && pidOf('u15') !== first)
    checkUpdated(pidOf('u15'))
  })

  it('a run that cannot write the limits an update stored meanwhile fails, and leaves nothing of it', async () => {
    const run = ['run', '-d', '--name', 'u16', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']
    // stored, not written: the container does not run yet; the kernel refuses it at the start (pids.max above PID_MAX_LIMIT)
    const done = await updateDuring('run:before-host-steps', run, 'u16', ['--pids-limit', '5000000', '--memory', '64m', '--memory-swap', '128m'])
    expect(done.status).toBe(125)
    expect(done.stderr).toMatch(/^mini-run: write 5000000 to \/sys\/fs\/cgroup\/\S+\/pids\.max: invalid argument \(EINVAL\)\n$/)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    // afterEach: the v1 leaves made for the update's limits went too
  })

  it('a foreground run removes at its exit the v1 leaves an update made while it ran', async () => {
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    // it exits by itself (a stop would remove the leaves it finds in the state) once told to
    const script = 'while [ ! -e /tmp/done ]; do sleep 0.05; done'
    const run = miniRunAsync([...globals, 'run', '--name', 'u17', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', script])
    try {
      await until('the run', () => env.run(['inspect', '-f', '{{.State.Status}}', 'u17']).stdout === 'running\n')
      expect(env.run(['update', '--pids-limit', '20', 'u17']).stdout).toBe('u17\n')
      expect(limitOf(pidOf('u17'), 'pids', 'pids.max', 'pids.max')).toBe('20')
    } finally {
      env.run(['exec', 'u17', 'touch', '/tmp/done'])
      expect((await run.done).status).toBe(0)
    }
    expect(inspect('u17').HostConfig.PidsLimit).toBe(20)
    // afterEach: the pids leaf the update made (on a hybrid host) went with the run
  })

  /** Start `args` paused at `point`, update `name` meanwhile, let it go on; a start that fails is for the caller to check. */
  async function updateDuring(point: string, args: string[], name: string, limits?: string[]): Promise<CliResult> {
    const release = join(env.dir, `${name}-release`)
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const start = miniRunAsync([...globals, ...args], { env: { ...process.env, MINI_RUN_PAUSE_AT: point, MINI_RUN_PAUSE_FILE: release } })
    try {
      await until(`${args[0]} to pause`, () => existsSync(`${release}.paused`))
      const u = env.run(['update', ...(limits ?? ['--pids-limit', '20', '--memory', '64m', '--memory-swap', '128m', '--restart', 'on-failure:2']), name])
      expect([u.status, u.stdout, u.stderr]).toEqual([0, `${name}\n`, ''])
    } finally {
      writeFileSync(release, '')
    }
    const done = await start.done
    if (!limits) expect([done.status, done.stderr]).toEqual([0, ''])
    return done
  }

  function checkUpdated(pid: number): void {
    expect(limitOf(pid, 'pids', 'pids.max', 'pids.max')).toBe('20')
    expect(limitOf(pid, 'memory', 'memory.limit_in_bytes', 'memory.max')).toBe(String(64 * MiB))
  }
})
