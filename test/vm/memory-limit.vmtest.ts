// --memory on a kernel with the memory controller: memory.max bounds the
// container, the OOM killer acts inside its cgroup only (the runtime, outside
// it, lives on to report the kill) and the kill shows as Docker shows it:
// exit 137 and State.OOMKilled (memory.events "oom_kill").
import { expect, it } from 'vitest'
import { BUSYBOX, describeOnKernel, until } from './kernel-test-env.js'

const MB = 1024 * 1024

describeOnKernel('--memory on a pure cgroup v2 kernel', (env) => {
  it('lets the container use memory below the limit', () => {
    // tail -c keeps the last 16 MiB it read in memory
    const r = env.run(env.runArgs(['--memory', '32m', BUSYBOX, 'sh', '-c', 'head -c 16m /dev/zero | tail -c 16m | wc -c']))
    expect(r).toMatchObject({ status: 0, stdout: `${16 * MB}\n`, stderr: '' })
  })

  it('OOM-kills a memory hog in the foreground: exit 137, and mini-run itself survives to report it', () => {
    // tail /dev/zero waits for a newline that never comes, holding all it read
    const r = env.run(env.runArgs(['--memory', '32m', BUSYBOX, 'sh', '-c', 'echo hogging; exec tail /dev/zero']))
    expect(r.signal).toBeNull()
    expect(r.stdout).toBe('hogging\n')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(137)
  })

  it('records OOMKilled and exit code 137 for a detached container', async () => {
    // the hog starts when the test says so, once it has read the leaf's limit
    const id = env.detached(['--memory', '32m', BUSYBOX, 'sh', '-c', 'until [ -e /go ]; do sleep 0.1; done; exec tail /dev/zero'])
    expect(Number(env.cgroupFile(id, 'memory.max'))).toBe(32 * MB)
    expect(env.inspect(id).State).toMatchObject({ Status: 'running', OOMKilled: false })
    expect(env.run(['exec', id, 'touch', '/go']).status).toBe(0)
    await until('the hog to be killed', () => env.inspect(id).State.Status === 'exited', 120_000)
    expect(env.inspect(id).State).toMatchObject({ Status: 'exited', OOMKilled: true, ExitCode: 137 })
    expect(env.run(['rm', id]).status).toBe(0)
  })
})
