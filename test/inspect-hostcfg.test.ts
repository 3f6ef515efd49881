// inspect's HostConfig and Config as Docker shows them: the user's flags as
// given, Config.Env without the HOME and HOSTNAME mini-run adds; exec -u's
// HOME from its passwd entry. And the --security-opt values Docker takes on
// a host without AppArmor or SELinux (apparmor=unconfined, label=disable),
// accepted as no-ops.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('inspect HostConfig/Config, exec HOME (needs root)', () => {
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

  it('shows the flags as given: CapAdd, CapDrop, Init, Ulimits, ExtraHosts, Dns, Config.User', () => {
    ok(['create', '--name', 'h1', '--init', '--cap-add', 'NET_ADMIN', '--ulimit', 'nofile=10:20', '--add-host', 'a:1.2.3.4', '--dns', '1.1.1.1', '-u', '1000', BUSYBOX, 'true'])
    const j = JSON.parse(ok(['inspect', 'h1']))[0]
    expect(j.HostConfig).toMatchObject({ CapAdd: ['NET_ADMIN'], CapDrop: null, Init: true, Ulimits: [{ Name: 'nofile', Hard: 20, Soft: 10 }], ExtraHosts: ['a:1.2.3.4'], Dns: ['1.1.1.1'] })
    expect(j.Config.User).toBe('1000')
    ok(['create', '--name', 'h2', '--cap-drop', 'chown', BUSYBOX, 'true'])
    const k = JSON.parse(ok(['inspect', 'h2']))[0]
    expect(k.HostConfig).toMatchObject({ CapAdd: null, CapDrop: ['chown'], Ulimits: null, ExtraHosts: null, Dns: [] })
    expect(k.HostConfig.Init).toBeUndefined()
    expect(k.Config.User).toBe('')
  })

  it('Config.Env has the image\'s and the user\'s variables; the process has HOME and HOSTNAME; exec -u takes HOME from passwd', () => {
    ok(['run', '-d', '--name', 'e1', '--cgroup-parent', env.cgroupParent, '-h', 'hh', '-e', 'A=1', BUSYBOX, 'sleep', '60'])
    const envOf = (name: string) => JSON.parse(ok(['inspect', '-f', '{{json .Config.Env}}', name])) as string[]
    expect(envOf('e1').filter((e) => /^(HOME|HOSTNAME)=/.test(e))).toEqual([])
    expect(envOf('e1')).toContain('A=1')
    expect(ok(['exec', 'e1', 'sh', '-c', 'echo $HOME $HOSTNAME'])).toBe('/root hh\n')
    // the image's passwd: nobody's home is /nonexistent
    expect(ok(['exec', '-u', 'nobody', 'e1', 'sh', '-c', 'echo $HOME'])).toBe('/nonexistent\n')
    expect(ok(['exec', '-u', 'nobody', '-e', 'HOME=/x', 'e1', 'sh', '-c', 'echo $HOME'])).toBe('/x\n')
    // the container's -e HOME is the user's: kept for every exec
    ok(['run', '-d', '--name', 'e2', '--cgroup-parent', env.cgroupParent, '-e', 'HOME=/given', BUSYBOX, 'sleep', '60'])
    expect(envOf('e2')).toContain('HOME=/given')
    expect(ok(['exec', '-u', 'nobody', 'e2', 'sh', '-c', 'echo $HOME'])).toBe('/given\n')
  })

  it('--security-opt apparmor=unconfined, label=disable and label:disable are accepted; an unknown one is refused', () => {
    ok(['create', '--name', 's1', '--security-opt', 'apparmor=unconfined', '--security-opt', 'label=disable', '--security-opt', 'label:disable', BUSYBOX, 'true'])
    const bad = env.run(['create', '--security-opt', 'apparmor=docker-default', BUSYBOX, 'true'])
    expect(bad.status).toBe(125)
    expect(bad.stderr).toMatch(/--security-opt apparmor=docker-default: not supported/)
  })
})
