// --userns=auto as root: container root is an unprivileged host uid, and the
// image's files still show their owners inside through idmapped mounts.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { miniRunAsync } from './helpers/cli.js'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('run --userns=auto (needs root: idmapped mounts)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('maps container root to an unprivileged range and keeps image owners visible', () => {
    const r = env.run(env.runArgs(['--userns=auto', BUSYBOX, 'sh', '-c',
      'id -u; cat /proc/self/uid_map; stat -c "%u:%g %n" /bin/busybox /home/app; touch /new && stat -c "%u %n" /new']))
    expect(r.stderr).toBe('')
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toBe('0')
    const [inside, outside, size] = lines[1]!.trim().split(/\s+/).map(Number)
    expect(inside).toBe(0)
    expect(outside).toBeGreaterThan(0)
    expect(size).toBeGreaterThan(1000)
    expect(lines.slice(2)).toEqual(['0:0 /bin/busybox', '1000:1000 /home/app', '0 /new'])
  })

  it('writes the container\'s files as the mapped host uid, never as host root', async () => {
    const run = miniRunAsync(env.runArgs(['--init', '--userns=auto', BUSYBOX, 'sh', '-c', 'echo x > /owned; echo ready; exec sleep 30']))
    let st
    try {
      await until('the container to write its file', () => /^ready$/m.test(run.output()))
      const containers = join(env.storeRoot, 'containers')
      const [id] = readdirSync(containers)
      st = statSync(join(containers, id!, 'upper', 'owned'))
    } finally {
      run.child.kill('SIGTERM')
    }
    expect((await run.done).status).toBe(143)
    expect(st.uid).toBeGreaterThan(0)
    expect(st.gid).toBeGreaterThan(0)
  })
})
