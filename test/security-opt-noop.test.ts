// --security-opt apparmor=unconfined and label=disable: accepted as no-ops,
// as Docker accepts them on a host without AppArmor or SELinux.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('--security-opt no-ops (needs root)', () => {
  let env: TestEnv
  const ok = (args: string[]) => {
    const r = env.run(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('--security-opt apparmor=unconfined, label=disable and label:disable are accepted; an unknown one is refused', () => {
    ok(['create', '--name', 's1', '--security-opt', 'apparmor=unconfined', '--security-opt', 'label=disable', '--security-opt', 'label:disable', BUSYBOX, 'true'])
    const bad = env.run(['create', '--security-opt', 'apparmor=docker-default', BUSYBOX, 'true'])
    expect(bad.status).toBe(125)
    expect(bad.stderr).toMatch(/--security-opt apparmor=docker-default: not supported/)
  })
})
