// The block I/O flags on a kernel with cgroup v2's io controller: a device
// named by its node (the VM's disk, /dev/vda) becomes its major:minor in
// io.max, the weight io.weight's default (runc's conversion of a blkio
// weight), and the container's reads of the device are counted in its
// io.stat, under the rate asked for; update changes the weight at once.
// And cgroup v1's memory knobs, which v2 has not, go with Docker's warnings.
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { BUSYBOX, describeOnKernel, parseKeyed } from './kernel-test-env.js'

const disk = '/dev/vda'

describeOnKernel('--device-read-bps, --device-write-iops, --blkio-weight on a pure cgroup v2 kernel', (env) => {
  it('writes io.max and io.weight, and the container\'s direct reads of the disk are throttled to the rate', () => {
    const dev = readFileSync('/sys/block/vda/dev', 'utf8').trim()
    const id = env.detached(['--device', disk, '--device-read-bps', `${disk}:1mb`, '--device-write-iops', `${disk}:50`, '--blkio-weight', '300', BUSYBOX, 'sleep', '600'])
    expect(env.cgroupFile(id, 'io.max')).toBe(`${dev} rbps=1048576 wbps=max riops=max wiops=50`)
    // runc's conversion: 1 + (300 - 10) * 9999 / 990 = 1 + 2929
    expect(env.cgroupFile(id, 'io.weight')).toMatch(/^default 2930$/m)
    const t0 = performance.now()
    // 3 MiB read past the page cache at 1 MiB a second
    const dd = env.run(['exec', id, 'dd', `if=${disk}`, 'of=/dev/null', 'bs=64k', 'count=48', 'iflag=direct'])
    const seconds = (performance.now() - t0) / 1000
    expect(dd.status, dd.stderr).toBe(0)
    console.log(`--device-read-bps ${disk}:1mb: 3 MiB read in ${seconds.toFixed(1)} s`)
    const stat = env.cgroupFile(id, 'io.stat').split('\n').find((l) => l.startsWith(`${dev} `))
    expect(stat, 'no I/O counted on the disk in the container\'s cgroup').toBeDefined()
    // "MAJ:MIN rbytes=N wbytes=N rios=N ..."
    const counted = parseKeyed(stat!.split(' ').slice(1).map((kv) => kv.replace('=', ' ')).join('\n'))
    expect(counted.rbytes).toBeGreaterThanOrEqual(3 * 1024 * 1024)
    // the throttle's effect: at 1 MiB/s, no less than two seconds for 3 MiB (a first slice may pass at once)
    expect(seconds).toBeGreaterThan(1.5)
  })

  it('update --blkio-weight writes a running container\'s io.weight at once and leaves its io.max', () => {
    const dev = readFileSync('/sys/block/vda/dev', 'utf8').trim()
    const id = env.detached(['--device-write-bps', `${disk}:2mb`, BUSYBOX, 'sleep', '600'])
    const r = env.run(['update', '--blkio-weight', '500', id])
    expect([r.status, r.stdout, r.stderr]).toEqual([0, `${id}\n`, ''])
    // 1 + (500 - 10) * 9999 / 990
    expect(env.cgroupFile(id, 'io.weight')).toMatch(/^default 4950$/m)
    expect(env.cgroupFile(id, 'io.max')).toBe(`${dev} rbps=max wbps=2097152 riops=max wiops=max`)
    expect(env.inspect(id).HostConfig.BlkioWeight).toBe(500)
  })

  it('--memory-swappiness and --oom-kill-disable, cgroup v1\'s alone, go with Docker\'s warnings and the run goes on', () => {
    const r = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, '-m', '32m', '--memory-swappiness', '10', '--oom-kill-disable', BUSYBOX, 'sleep', '600'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe(
      'mini-run: Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.\n' +
        'mini-run: Your kernel does not support OomKillDisable. OomKillDisable discarded.\n',
    )
    const id = r.stdout.trim()
    expect(env.cgroupFile(id, 'memory.max')).toBe(String(32 * 1024 * 1024))
    const host = env.inspect(id).HostConfig
    expect([host.MemorySwappiness, host.OomKillDisable, host.Memory]).toEqual([null, false, 32 * 1024 * 1024])
  })

  it('refuses a node that is no block device, before anything is made', () => {
    const r = env.run(['run', '--rm', '--network', 'none', '--cgroup-parent', env.cgroupParent, '--device-read-bps', '/dev/null:1mb', BUSYBOX, 'true'])
    expect([r.status, r.stderr]).toEqual([125, 'mini-run: /dev/null is not a block device\n'])
  })
})
