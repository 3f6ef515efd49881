// --cpus and --cpu-shares on a kernel with the cpu controller: cpu.max
// gives the container a quota per period and the scheduler throttles it
// when the quota is spent (cpu.stat nr_throttled, throttled_usec);
// --cpu-shares becomes cpu.weight.
import { setTimeout as sleep } from 'node:timers/promises'
import { expect, it } from 'vitest'
import { BUSYBOX, describeOnKernel, parseKeyed, until } from './kernel-test-env.js'

describeOnKernel('--cpus on a pure cgroup v2 kernel', (env) => {
  it('throttles a busy loop to half a CPU', async () => {
    const id = env.detached(['--cpus', '0.5', '--cpu-shares', '512', BUSYBOX, 'sh', '-c', 'while :; do :; done'])
    expect(env.cgroupFile(id, 'cpu.max')).toBe('50000 100000')
    expect(env.cgroupFile(id, 'cpu.weight')).toBe('20') // runc's formula: 1 + (512 - 2) * 9999 / 262142
    const stat = () => parseKeyed(env.cgroupFile(id, 'cpu.stat'))
    await until('the first throttled period', () => stat().nr_throttled! > 0, 60_000)

    // Over a window of whole seconds, the loop gets at most half of one CPU
    // (plus a period of slack at each end), though a CPU is free for it.
    const before = stat()
    const t0 = performance.now()
    await sleep(3000)
    const after = stat()
    const wallUs = (performance.now() - t0) * 1000
    const usedUs = after.usage_usec! - before.usage_usec!
    console.log(`--cpus 0.5: used ${(usedUs / wallUs).toFixed(2)} of a CPU over ${(wallUs / 1e6).toFixed(1)} s, throttled ${after.nr_throttled! - before.nr_throttled!} times`)
    expect(after.nr_throttled! - before.nr_throttled!).toBeGreaterThan(0)
    expect(after.throttled_usec!).toBeGreaterThan(before.throttled_usec!)
    expect(usedUs).toBeLessThanOrEqual(wallUs * 0.5 + 200_000)
    expect(usedUs, 'the loop hardly ran').toBeGreaterThan(wallUs * 0.1)
  })
})
