// --pids-limit on a kernel with the pids controller: pids.max bounds the
// number of tasks in the container's cgroup, so a fork bomb inside cannot
// take the machine's pids: forks past the limit fail with EAGAIN in the
// container only, and rm -f (cgroup.kill) still ends every one of them.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, it } from 'vitest'
import { BUSYBOX, cgroupProcs, describeOnKernel, parseKeyed, processExists } from './kernel-test-env.js'

describeOnKernel('--pids-limit on a pure cgroup v2 kernel', (env) => {
  it('contains a fork bomb: pids.current never above 64, forks refused, the machine still forks', async () => {
    // the bomb runs in the background of PID 1, which stays (exec sleep): its end would end them all. PID 1
    // forks once, before the bomb exists: had it run the bomb itself, its second fork (the pipeline's other
    // side) could meet the limit the first side's children reached meanwhile, and sh exits at a failed fork
    const id = env.detached(['--pids-limit', '64', BUSYBOX, 'sh', '-c', 'bomb() { bomb | bomb & }; (bomb) & exec sleep 600'])
    expect(env.cgroupFile(id, 'pids.max')).toBe('64')

    let highest = 0
    const samples: number[] = []
    const hostForks: number[] = []
    const end = Date.now() + 120_000
    // sample until the kernel has refused forks for a while, then some more
    let refusedAt: number | undefined
    while (Date.now() < end && (refusedAt === undefined || Date.now() - refusedAt < 3000)) {
      const current = Number(env.cgroupFile(id, 'pids.current'))
      samples.push(current)
      highest = Math.max(highest, current)
      if (refusedAt === undefined && parseKeyed(env.cgroupFile(id, 'pids.events')).max! > 0) refusedAt = Date.now()
      if (refusedAt !== undefined && samples.length % 10 === 0) {
        // the machine outside the container can still start processes, in reasonable time
        const t = Date.now()
        const r = spawnSync('/bin/true')
        expect(r.error).toBeUndefined()
        expect(r.status).toBe(0)
        hostForks.push(Date.now() - t)
      }
      await sleep(20)
    }
    expect(refusedAt, 'the bomb never reached the limit').toBeDefined()
    expect(highest).toBeLessThanOrEqual(64)
    expect(highest, 'the bomb did not grow: is it running?').toBeGreaterThan(32)
    expect(hostForks.length).toBeGreaterThan(0)
    expect(Math.max(...hostForks)).toBeLessThan(10_000)
    console.log(`fork bomb: ${samples.length} samples of pids.current, highest ${highest}; /bin/true outside took at most ${Math.max(...hostForks)} ms`)

    const pids = cgroupProcs(join(env.cgroupRoot, env.cgroupParent, id))
    const t = Date.now()
    expect(env.run(['rm', '-f', id]).status).toBe(0)
    console.log(`rm -f of the bomb took ${Date.now() - t} ms`)
    expect(pids.filter(processExists)).toEqual([])
  })
})
