// `update` on a pure cgroup v2 kernel: a container started without limits
// gets them in its own v2 leaf at once (the controllers enabled down to its
// parent first, as a start's cgroup_enable steps do), and keeps them for
// its next start. (The hybrid host's v1 leaves: test/update-container.test.ts.)
import { expect, it } from 'vitest'
import { BUSYBOX, describeOnKernel } from './kernel-test-env.js'

const MB = 1024 * 1024

describeOnKernel('update on a pure cgroup v2 kernel', (env) => {
  it('writes memory.max, memory.swap.max, pids.max and cpu.max of a running container without limits, and its next start again', () => {
    const id = env.detached([BUSYBOX, 'sleep', '600'])
    // without -m at its run it has no swap limit: a memory limit alone is refused (the daemon's rule), so both come
    const r = env.run(['update', '--memory', '64m', '--memory-swap', '128m', '--pids-limit', '20', '--cpus', '0.5', id])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`${id}\n`)
    const check = () => {
      expect(Number(env.cgroupFile(id, 'memory.max'))).toBe(64 * MB)
      // memory+swap 128m: as much swap again as the memory limit
      expect(Number(env.cgroupFile(id, 'memory.swap.max'))).toBe(64 * MB)
      expect(env.cgroupFile(id, 'pids.max')).toBe('20')
      expect(env.cgroupFile(id, 'cpu.max')).toBe('50000 100000')
    }
    check()
    expect(env.run(['stop', '-t', '1', id]).status).toBe(0)
    expect(env.run(['start', id]).status).toBe(0)
    check()
  })
})
