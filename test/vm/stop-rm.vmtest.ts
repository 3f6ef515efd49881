// stop and rm -f end every process of a container, including the ones PID 1
// forked and one that ignores SIGTERM, and leave no cgroup behind: the
// teardown kills through cgroup.kill and removes the leaf only once
// cgroup.events says "populated 0".
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { BUSYBOX, cgroupProcs, describeOnKernel, processExists, until } from './kernel-test-env.js'

describeOnKernel('stop and rm -f on a pure cgroup v2 kernel', (env) => {
  /** A container of three processes, all ignoring SIGTERM; its leaf and their pids. */
  async function stubborn(): Promise<{ id: string; leaf: string; pids: number[] }> {
    const id = env.detached(['--pids-limit', '16', BUSYBOX, 'sh', '-c', 'trap "" TERM; sleep 600 & sleep 600 & wait'])
    const leaf = join(env.cgroupRoot, env.cgroupParent, id)
    await until('three processes in the leaf', () => cgroupProcs(leaf).length === 3)
    return { id, leaf, pids: cgroupProcs(leaf) }
  }

  it('stop -t 1 kills what ignores SIGTERM, leaves no process and no cgroup', async () => {
    const { id, leaf, pids } = await stubborn()
    const t = Date.now()
    expect(env.run(['stop', '-t', '1', id]).status).toBe(0)
    expect(Date.now() - t).toBeLessThan(30_000)
    expect(env.inspect(id).State).toMatchObject({ Status: 'exited', ExitCode: 137 })
    expect(pids.filter(processExists), 'processes left after stop').toEqual([])
    expect(existsSync(leaf), `the cgroup leaf ${leaf} is left after stop`).toBe(false)
  })

  it('rm -f of a running container leaves no process, no cgroup and no state', async () => {
    const { id, leaf, pids } = await stubborn()
    expect(env.run(['rm', '-f', id]).status).toBe(0)
    expect(pids.filter(processExists), 'processes left after rm -f').toEqual([])
    expect(existsSync(leaf), `the cgroup leaf ${leaf} is left after rm -f`).toBe(false)
    expect(existsSync(join(env.cgroupRoot, env.cgroupParent))).toBe(false)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })
})
