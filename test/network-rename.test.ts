// rename of a container on a user network, as root: Docker's embedded DNS
// answers the new name at once and no longer the old one; its aliases and
// short id stay. A stopped container renamed registers its new name when it
// starts again. Everything runs in a network namespace of the test's own
// (helpers/netns.ts), as network-bridge.test.ts does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('network: rename on a user network (needs root, netavark and aardvark-dns)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const g = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  /** Which of the names resolve from another container on the network, one line each: "name yes|no". */
  const resolves = (net: string, names: string[]) => {
    const script = names.map((n) => `nslookup ${n} >/dev/null 2>&1 && echo "${n} yes" || echo "${n} no"`).join('; ')
    return mr(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', net, BUSYBOX, 'sh', '-c', script]).stdout
  }
  const answers = (names: Record<string, boolean>) => Object.entries(names).map(([n, yes]) => `${n} ${yes ? 'yes' : 'no'}\n`).join('')

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun([...g(), ...args])
  })
  let foreground: ReturnType<Netns['miniRunAsync']> | undefined
  afterEach(() => {
    foreground?.kill()
    foreground = undefined
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    for (const n of mr(['network', 'ls', '-q', '--filter', 'name=rn-']).stdout.split('\n').filter(Boolean)) mr(['network', 'rm', n])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('a running container renamed: the new name resolves on every user network it is on, the old one no longer; aliases and short id stay', async () => {
    expect(mr(['network', 'create', 'rn-a']).status).toBe(0)
    expect(mr(['network', 'create', 'rn-b']).status).toBe(0)
    const started = mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'srv', '--network', 'rn-a', '--network-alias', 'web', BUSYBOX, 'sleep', '600'])
    expect(started.stderr).toBe('')
    const id = started.stdout.trim()
    expect(mr(['network', 'connect', '--alias', 'api', 'rn-b', 'srv']).status).toBe(0)
    const short = id.slice(0, 12)
    await until('srv on both networks', () => resolves('rn-a', ['srv']) === 'srv yes\n' && resolves('rn-b', ['srv']) === 'srv yes\n', 15_000)

    const renamed = mr(['rename', 'srv', 'srv2'])
    expect(renamed.stderr).toBe('')
    expect(renamed.status).toBe(0)
    expect(resolves('rn-a', ['srv2', 'srv', 'web', short])).toBe(answers({ srv2: true, srv: false, web: true, [short]: true }))
    expect(resolves('rn-b', ['srv2', 'srv', 'api', short])).toBe(answers({ srv2: true, srv: false, api: true, [short]: true }))
    // the name it is torn down and connected again by
    expect(mr(['network', 'disconnect', 'rn-b', 'srv2']).status).toBe(0)
    expect(resolves('rn-b', ['srv2', 'api'])).toBe(answers({ srv2: false, api: false }))
    expect(mr(['network', 'connect', 'rn-b', 'srv2']).status).toBe(0)
    expect(resolves('rn-b', ['srv2', 'srv'])).toBe(answers({ srv2: true, srv: false }))
  })

  it('a stopped container renamed registers its new name when it starts again, and not the old one', () => {
    expect(mr(['network', 'create', 'rn-c']).status).toBe(0)
    const made = mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'old', '--network', 'rn-c', '--network-alias', 'svc', BUSYBOX, 'sleep', '600'])
    expect(made.status).toBe(0)
    expect(mr(['stop', '-t', '0', 'old']).status).toBe(0)
    expect(mr(['rename', 'old', 'new']).status).toBe(0)
    expect(mr(['start', 'new']).status).toBe(0)
    expect(resolves('rn-c', ['new', 'old', 'svc'])).toBe(answers({ new: true, old: false, svc: true }))
    // its own /etc/hosts names neither: only its hostname, as Docker's
    const hosts = mr(['exec', 'new', 'cat', '/etc/hosts']).stdout
    expect(hosts).not.toMatch(/\s(new|old)(\s|$)/m)
  })

  it('a foreground container renamed while it runs: the new name resolves meanwhile, and it exits under it', async () => {
    expect(mr(['network', 'create', 'rn-d']).status).toBe(0)
    foreground = ns.miniRunAsync([...g(), 'run', '--cgroup-parent', env.cgroupParent, '--name', 'fg', '--network', 'rn-d', BUSYBOX, 'sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.1; done'])
    await until('fg to run', () => mr(['ps', '--format', '{{.Names}}']).stdout === 'fg\n', 15_000)
    expect(mr(['rename', 'fg', 'fg2']).status).toBe(0)
    expect(resolves('rn-d', ['fg2', 'fg'])).toBe(answers({ fg2: true, fg: false }))
    expect(mr(['exec', 'fg2', 'touch', '/tmp/go']).status).toBe(0)
    expect((await foreground.done).status).toBe(0)
    expect(mr(['ps', '-a', '--format', '{{.Names}} {{.State}}']).stdout).toBe('fg2 exited\n')
    expect(mr(['rm', 'fg2']).status).toBe(0)
    expect(mr(['ps', '-a', '-q']).stdout).toBe('')
  })
})
