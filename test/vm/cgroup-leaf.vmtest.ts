// The VM itself, and a container's cgroup v2 leaf on a kernel booted with
// cgroup_no_v1=all: the container sees its own cgroup namespace rooted at
// the leaf, the host sees the leaf under the parent while it runs, and
// rm -f takes both away.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { BUSYBOX, cgroupProcs, describeOnKernel, processExists, until } from './kernel-test-env.js'

describeOnKernel("a container's cgroup leaf on a pure cgroup v2 kernel", (env) => {
  it('has a v2 root offering memory, pids and cpu, and no v1 hierarchy', () => {
    expect(env.cgroupRoot).toBe('/sys/fs/cgroup')
    expect(readFileSync(join(env.cgroupRoot, 'cgroup.controllers'), 'utf8').trim().split(' ')).toEqual(
      expect.arrayContaining(['memory', 'pids', 'cpu']),
    )
    // /proc/cgroups: the hierarchy id of every v1 controller is 0 (unmounted, and cannot be)
    const v1 = readFileSync('/proc/cgroups', 'utf8').split('\n').slice(1).filter(Boolean)
    expect(v1.filter((l) => l.split('\t')[1] !== '0')).toEqual([])
  })

  it('runs a container in its own leaf under the parent, seen as 0::/ from inside', async () => {
    const id = env.detached([BUSYBOX, 'sh', '-c', 'cat /proc/self/cgroup; exec sleep 600'])
    const info = env.inspect(id)
    const leaf = join(env.cgroupRoot, env.cgroupParent, id)
    expect(info.CgroupPath).toBe(leaf)
    expect(info.State.Running).toBe(true)
    expect(cgroupProcs(leaf)).toEqual([info.State.Pid])
    await until('the container to print its cgroup', () => env.run(['logs', id]).stdout !== '')
    expect(env.run(['logs', id]).stdout).toBe('0::/\n')

    expect(env.run(['rm', '-f', id]).status).toBe(0)
    expect(existsSync(leaf)).toBe(false)
    expect(existsSync(join(env.cgroupRoot, env.cgroupParent))).toBe(false)
    expect(processExists(info.State.Pid)).toBe(false)
  })
})
