// ps --filter health=, publish=, expose=, is-task= and isolation=, as a
// Docker user types them: each narrows the list as Docker's daemon does
// (daemon/list.go), and a value Docker refuses is refused with one line.
// run's --expose, which expose= finds, with inspect's Config.ExposedPorts.
// The containers publish ports on a bridge: everything runs in a network
// namespace of the test's own (helpers/netns.ts), as network-bridge does.
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { writeContext } from './helpers/build.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe('ps --filter values Docker refuses (no root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
  })
  afterAll(() => env?.cleanup())

  it.each([
    ['health=bogus', 'Unrecognised filter value for health: bogus'],
    ['is-task=yes', "invalid filter 'is-task=yes'"],
    ['publish=8080:80', "filter for 'publish' should not contain ':': 8080:80"],
    ['expose=http', "invalid filter 'expose=http': a port or a range, with a protocol or not (80, 8000-8010/udp)"],
    ['expose=90-80', "invalid filter 'expose=90-80': a port or a range, with a protocol or not (80, 8000-8010/udp)"],
    ['publish=70000', "invalid filter 'publish=70000': a port or a range, with a protocol or not (80, 8000-8010/udp)"],
  ])('%s: one line, 1', (filter, line) => {
    const r = env.run(['ps', '--filter', filter])
    expect(r.stderr).toBe(`mini-run: ${line}\n`)
    expect(r.stdout).toBe('')
    expect(r.status).toBe(1)
  })
})

describe.skipIf(!isRoot || !netavark)('ps --filter health, publish, expose, is-task, isolation (needs root and netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const detached = (args: string[]) => {
    const r = mr(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.trim()
  }
  /** The names ps shows with these flags, sorted. */
  const names = (...flags: string[]) => {
    const r = mr(['ps', ...flags, '--format', '{{.Names}}'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.split('\n').filter(Boolean).sort()
  }
  const filter = (...values: string[]) => names(...values.flatMap((v) => ['--filter', v]))

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
    const ctx = writeContext(join(env.dir, 'ctx-expose'), { Dockerfile: `FROM ${BUSYBOX}\nEXPOSE 80 443 5000-5002/udp\n` })
    const built = mr(['build', '-q', '-t', 'localhost/test/exposes:1', ctx])
    expect(built.stderr).toBe('')
    expect(built.status).toBe(0)
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('publish= is a host port, expose= a port of the container (its image\'s EXPOSE, or published); ranges and protocols; none once it stops', () => {
    detached(['--name', 'web', '-p', '8080:80', 'localhost/test/exposes:1', 'sleep', '100'])
    detached(['--name', 'dns', '-p', '127.0.0.1:5353:53/udp', BUSYBOX, 'sleep', '100'])
    detached(['--name', 'plain', BUSYBOX, 'sleep', '100'])
    expect(names()).toEqual(['dns', 'plain', 'web'])
    expect(filter('publish=8080')).toEqual(['web'])
    expect(filter('publish=8080/tcp')).toEqual(['web'])
    expect(filter('publish=8080/udp')).toEqual([])
    // the container's side of a mapping is not published
    expect(filter('publish=80')).toEqual([])
    expect(filter('publish=8000-8100')).toEqual(['web'])
    expect(filter('publish=5353/udp')).toEqual(['dns'])
    expect(filter('publish=5353')).toEqual([])
    expect(filter('expose=80')).toEqual(['web'])
    // exposed by the image, not published
    expect(filter('expose=443/tcp')).toEqual(['web'])
    expect(filter('expose=5001/udp')).toEqual(['web'])
    expect(filter('expose=5001')).toEqual([])
    expect(filter('expose=53/udp')).toEqual(['dns'])
    expect(filter('expose=440-450')).toEqual(['web'])
    expect(filter('expose=8080')).toEqual([])
    // values of one key are alternatives; Docker keeps a container with a port of either key
    expect(filter('publish=1', 'publish=5353/udp')).toEqual(['dns'])
    expect(filter('publish=8080', 'expose=53/udp')).toEqual(['dns', 'web'])
    // with other keys, all must match
    expect(filter('expose=80', 'name=plain')).toEqual([])
    // a stopped container holds no port, as its PORTS column says
    expect(mr(['stop', '-t', '0', 'web']).status).toBe(0)
    expect(filter('expose=80')).toEqual([])
    expect(names('-a', '--filter', 'expose=80')).toEqual([])
    expect(names('-a', '--filter', 'publish=8080')).toEqual([])
  })

  it('--expose records ports without publishing them: inspect, expose= and -P see them, with the image\'s EXPOSE and -p\'s ports', () => {
    detached(['--name', 'web', '--expose', '9000', '--expose', '7000-7002/udp', BUSYBOX, 'sleep', '100'])
    const exposed = (name: string) => mr(['inspect', '-f', '{{json .Config.ExposedPorts}}', name]).stdout
    expect(exposed('web')).toBe('{"7000/udp":{},"7001/udp":{},"7002/udp":{},"9000/tcp":{}}\n')
    expect(filter('expose=9000')).toEqual(['web'])
    expect(filter('expose=7001/udp')).toEqual(['web'])
    expect(filter('publish=9000')).toEqual([])
    expect(mr(['port', 'web']).stdout).toBe('')
    // inspect's NetworkSettings.Ports: each exposed port, bound to nothing (null), as Docker shows them
    expect(mr(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'web']).stdout).toBe('{"7000/udp":null,"7001/udp":null,"7002/udp":null,"9000/tcp":null}\n')
    // -P: the image's EXPOSE and --expose, each on a host port of its own
    detached(['--name', 'all', '-P', '--expose', '9000', '--expose', '443', 'localhost/test/exposes:1', 'sleep', '100'])
    const ports = mr(['port', 'all']).stdout.trim().split('\n').map((l) => l.split(' -> ')[0]).sort()
    expect(ports).toEqual(['443/tcp', '5000/udp', '5001/udp', '5002/udp', '80/tcp', '9000/tcp'])
    expect(exposed('all')).toBe('{"443/tcp":{},"5000/udp":{},"5001/udp":{},"5002/udp":{},"80/tcp":{},"9000/tcp":{}}\n')
    // a container that never ran has them too, -p's container ports with them (Docker's Config)
    expect(mr(['create', '--name', 'made', '--expose', '81', '-p', '127.0.0.1:8082:82', BUSYBOX, 'true']).status).toBe(0)
    expect(exposed('made')).toBe('{"81/tcp":{},"82/tcp":{}}\n')
    // the launcher's own parser reads the flag too (a foreground run)
    const fg = mr(['run', '--name', 'fg', '--cgroup-parent', env.cgroupParent, '--expose', '9100/udp', BUSYBOX, 'true'])
    expect(fg.stderr).toBe('')
    expect(exposed('fg')).toBe('{"9100/udp":{}}\n')
    const bad = mr(['run', '--rm', '--expose', '8080:80', BUSYBOX, 'true'])
    expect(bad.stderr).toBe('mini-run: invalid port format for --expose: 8080:80\n')
    expect(bad.status).toBe(125)
  })

  it('health= starting, healthy, unhealthy or none; is-task=true nothing, false everything; isolation= everything (Linux)', async () => {
    detached(['--name', 'good', '--network', 'none', '--health-cmd', 'true', '--health-interval', '200ms', BUSYBOX, 'sleep', '100'])
    detached(['--name', 'bad', '--network', 'none', '--health-cmd', 'false', '--health-interval', '200ms', '--health-retries', '1', BUSYBOX, 'sleep', '100'])
    detached(['--name', 'slow', '--network', 'none', '--health-cmd', 'true', '--health-interval', '1h', BUSYBOX, 'sleep', '100'])
    detached(['--name', 'nocheck', '--network', 'none', BUSYBOX, 'sleep', '100'])
    await until('good healthy and bad unhealthy', () => filter('health=healthy').join() === 'good' && filter('health=unhealthy').join() === 'bad', 15_000)
    expect(filter('health=starting')).toEqual(['slow'])
    expect(filter('health=none')).toEqual(['nocheck'])
    expect(filter('health=healthy', 'health=none')).toEqual(['good', 'nocheck'])
    expect(filter('is-task=true')).toEqual([])
    expect(filter('is-task=false')).toEqual(['bad', 'good', 'nocheck', 'slow'])
    // Docker's "true" wins over "false" given with it
    expect(filter('is-task=false', 'is-task=true')).toEqual([])
    // Windows' isolation: Docker on Linux takes any value and filters nothing (daemon/list_unix.go)
    expect(filter('isolation=default')).toEqual(['bad', 'good', 'nocheck', 'slow'])
    expect(filter('isolation=hyperv')).toEqual(['bad', 'good', 'nocheck', 'slow'])
  })
})
