// network create --internal, --ip-range and -o, and compose's internal:
// true, as root in a network namespace of the test's own (helpers/netns.ts).
// "Outside" is an address of an interface the test makes in that
// namespace (a veth pair's end), with a listener on it: a container on a user network reaches
// it, one on an internal network cannot (no route out), while containers on
// the internal network reach each other by name.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { GET, HTTPD, makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
const OUTSIDE = '203.0.113.7'
const OUTSIDE_PORT = 8099
const UDP_PROBE = fileURLToPath(new URL('helpers/udp-probe.c', import.meta.url))

describe.skipIf(!isRoot || !netavark)('network: internal networks, --ip-range, -o (needs root, netavark and aardvark-dns)', () => {
  let env: TestEnv
  let ns: Netns
  let listener: ChildProcess | undefined
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const g = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const run = (args: string[]) => mr(['run', '--cgroup-parent', env.cgroupParent, ...args])
  const detached = (args: string[]) => {
    const r = run(['-d', ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.trim()
  }
  const create = (args: string[]) => {
    const r = mr(['network', 'create', ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
  }
  /** What a container on `network` gets from host:port (the shell's stdout and stderr). */
  const fetchFrom = (network: string, host: string, port = 80) => run(['--rm', '--network', network, BUSYBOX, 'sh', '-c', `${GET(host, port)} 2>&1`])

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun([...g(), ...args])
    // the outside: an address on an interface of the test's namespace, and a server on it
    // (a veth pair: this kernel has no dummy driver)
    for (const cmd of [['ip', 'link', 'add', 'mr-away', 'type', 'veth', 'peer', 'name', 'mr-away-peer'], ['ip', 'addr', 'add', `${OUTSIDE}/32`, 'dev', 'mr-away'], ['ip', 'link', 'set', 'mr-away', 'up'], ['ip', 'link', 'set', 'mr-away-peer', 'up']]) {
      expect(ns.exec(cmd).status).toBe(0)
    }
    const www = join(env.dir, 'outside-www')
    mkdirSync(www)
    writeFileSync(join(www, 'index.html'), 'the outside\n')
    listener = spawn('nsenter', [`--net=/proc/${ns.pid}/ns/net`, 'busybox', 'httpd', '-f', '-p', `${OUTSIDE}:${OUTSIDE_PORT}`, '-h', www], { stdio: 'ignore' })
    await until('the outside listener', () => ns.exec(['sh', '-c', GET(OUTSIDE, OUTSIDE_PORT).replace(/nc /, 'busybox nc ')]).stdout === 'the outside\n', 10_000)
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
  })
  afterAll(() => {
    if (listener?.pid) listener.kill('SIGKILL')
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('--internal: its containers reach each other by name and address, not the outside, which a user network reaches; ls and inspect say Internal', async () => {
    create(['--internal', '--subnet', '10.93.1.0/24', 'inside'])
    create(['--subnet', '10.93.2.0/24', 'open'])
    const server = detached(['--name', 'srv', '--network', 'inside', BUSYBOX, ...HTTPD])
    // by name (aardvark-dns on the internal network's bridge) and by address, once httpd listens (run -d does not wait for it)
    let page = ''
    await until('srv\'s page by name', () => (page = fetchFrom('inside', 'srv').stdout).startsWith('hello from '), 15_000)
    expect(page).toBe(`hello from ${server.slice(0, 12)}\n`)
    const ip = JSON.parse(mr(['inspect', server]).stdout)[0].NetworkSettings.Networks.inside.IPAddress as string
    expect(ip).toMatch(/^10\.93\.1\.\d+$/)
    expect(fetchFrom('inside', ip).stdout).toBe(`hello from ${server.slice(0, 12)}\n`)
    // the outside: a user network reaches it, the internal one has no route there
    expect(fetchFrom('open', OUTSIDE, OUTSIDE_PORT).stdout).toBe('the outside\n')
    expect(fetchFrom('inside', OUTSIDE, OUTSIDE_PORT).stdout).not.toContain('the outside')
    const routes = run(['--rm', '--network', 'inside', BUSYBOX, 'ip', 'route'])
    expect(routes.stdout).toMatch(/^10\.93\.1\.0\/24 dev eth0 scope link +src 10\.93\.1\.\d+ *\n$/)
    // what ls and inspect say
    expect(mr(['network', 'ls', '--format', '{{.Name}} {{.Internal}}', '-f', 'name=^(inside|open)$']).stdout).toBe('inside true\nopen false\n')
    const inspected = JSON.parse(mr(['network', 'inspect', 'inside']).stdout)[0]
    expect([inspected.Internal, inspected.Attachable, inspected.EnableIPv6]).toEqual([true, false, false])
  })

  it('-p on a container whose only network is internal is accepted and publishes nothing, as Docker; connected to a user network too, it publishes', async () => {
    create(['--internal', '--subnet', '10.93.3.0/24', 'sealed'])
    const id = detached(['--network', 'sealed', '-p', '127.0.0.1:18311:80', BUSYBOX, ...HTTPD])
    expect(mr(['port', id]).stdout).toBe('')
    expect(ns.exec(['iptables-save', '-t', 'nat']).stdout).not.toContain('18311')
    expect(ns.exec(['sh', '-c', GET('127.0.0.1', 18311).replace(/nc /, 'busybox nc ')]).stdout).toBe('')
    // with a user network besides (connected before its start), the port is published through it
    create(['--subnet', '10.93.4.0/24', 'way-out'])
    const made = mr(['create', '--cgroup-parent', env.cgroupParent, '--network', 'sealed', '-p', '127.0.0.1:18312:80', BUSYBOX, ...HTTPD])
    expect([made.status, made.stderr]).toEqual([0, ''])
    const both = made.stdout.trim()
    expect(mr(['network', 'connect', 'way-out', both]).status).toBe(0)
    expect(mr(['start', both]).status).toBe(0)
    expect(Object.keys(JSON.parse(mr(['inspect', both]).stdout)[0].NetworkSettings.Networks).sort()).toEqual(['sealed', 'way-out'])
    expect(mr(['port', both]).stdout).toBe('80/tcp -> 127.0.0.1:18312\n')
    let page = ''
    await until('the page through the published port', () => (page = ns.exec(['sh', '-c', GET('127.0.0.1', 18312).replace(/nc /, 'busybox nc ')]).stdout) !== '', 15_000)
    expect(page).toBe(`hello from ${both.slice(0, 12)}\n`)
  })

  it('--internal: nothing from another network gets in (UDP one way), as Docker\'s isolation drops it; the rules go with the last container and leave nothing after network rm', async () => {
    const bin = join(env.dir, 'probe-bin')
    mkdirSync(bin)
    execFileSync('cc', ['-static', '-O2', '-o', join(bin, 'udp-probe'), UDP_PROBE])
    const probe = ['-v', `${bin}:/t:ro`, BUSYBOX, '/t/udp-probe']
    create(['--internal', '--subnet', '10.93.8.0/24', '-o', 'com.docker.network.bridge.name=mr-walled', 'walled'])
    create(['--subnet', '10.93.9.0/24', 'street'])
    const listener = detached(['--network', 'walled', ...probe, 'count', '5000'])
    const ip = JSON.parse(mr(['inspect', listener]).stdout)[0].NetworkSettings.Networks.walled.IPAddress as string
    const heard = () => mr(['logs', listener]).stdout.split('\n').filter(Boolean)
    const fromWalled = async (msg: string) => {
      await until(`the listener hears ${msg} from its own network`, () => {
        run(['--rm', '--network', 'walled', ...probe, 'send', ip, '5000', msg, '1'])
        return heard().includes(msg)
      }, 15_000, 200)
    }
    await fromWalled('neighbour')
    // from a container on another network: its gateway forwards it to the internal bridge
    // (no answer could come back, the internal network has no route out: one way only)
    const sent = run(['--rm', '--network', 'street', ...probe, 'send', ip, '5000', 'intruder', '5'])
    expect([sent.status, sent.stderr]).toEqual([0, ''])
    // sent after the intruder's: once it is heard, the intruder's would have been
    await fromWalled('after')
    expect(heard().filter((m) => m === 'intruder')).toEqual([])
    expect(ns.exec(['iptables-save']).stdout).toContain('mr-walled')
    // the last container gone (its teardown on exit), the rules are gone; network rm leaves nothing
    expect(mr(['rm', '-f', listener]).status).toBe(0)
    expect(ns.exec(['iptables-save']).stdout).not.toMatch(/mr-walled|10\.93\.8\./)
    // rules a crash left (killed between netavark's teardown and their removal) go with network rm
    for (const rule of [['-N', 'MINI_RUN_INTERNAL'], ['-A', 'FORWARD', '-j', 'MINI_RUN_INTERNAL'], ['-A', 'MINI_RUN_INTERNAL', '-o', 'mr-walled', '!', '-s', '10.93.8.0/24', '-j', 'DROP']]) {
      expect(ns.exec(['iptables', '-w', '-t', 'mangle', ...rule]).status).toBe(0)
    }
    expect(mr(['network', 'rm', 'walled', 'street']).status).toBe(0)
    expect(ns.exec(['iptables-save']).stdout).not.toMatch(/mr-walled|10\.93\.8\.|MINI_RUN/)
  })

  it('network connect of a running container whose -p was held back (internal networks only) to a user network publishes its ports, as Docker; rm leaves no port rule', async () => {
    create(['--internal', '--subnet', '10.93.10.0/24', 'held'])
    create(['--subnet', '10.93.11.0/24', 'outlet'])
    const id = detached(['--network', 'held', '-p', '127.0.0.1:18313:80', '-p', '127.0.0.1::81', BUSYBOX, ...HTTPD])
    expect(mr(['port', id]).stdout).toBe('')
    const connected = mr(['network', 'connect', 'outlet', id])
    expect([connected.status, connected.stderr]).toEqual([0, ''])
    expect(mr(['port', id]).stdout).toMatch(/^80\/tcp -> 127\.0\.0\.1:18313\n81\/tcp -> 127\.0\.0\.1:\d+\n$/)
    let page = ''
    await until('the page through the port published by connect', () => (page = ns.exec(['sh', '-c', GET('127.0.0.1', 18313).replace(/nc /, 'busybox nc ')]).stdout) !== '', 15_000)
    expect(page).toBe(`hello from ${id.slice(0, 12)}\n`)
    // disconnected from its only way out, it publishes nothing again; connected again, it does
    expect(mr(['network', 'disconnect', 'outlet', id]).status).toBe(0)
    expect(mr(['port', id]).stdout).toBe('')
    expect(ns.exec(['iptables-save']).stdout).not.toContain('18313')
    expect(mr(['network', 'connect', 'outlet', id]).status).toBe(0)
    expect(mr(['port', id]).stdout).toMatch(/^80\/tcp -> 127\.0\.0\.1:18313\n/)
    expect(mr(['rm', '-f', id]).status).toBe(0)
    expect(ns.exec(['iptables-save']).stdout).not.toContain('18313')
    expect(mr(['network', 'rm', 'held', 'outlet']).status).toBe(0)
  })

  it('--ip-range: addresses come from the range only, until it has none left; a static --ip may be elsewhere in the subnet', () => {
    create(['--subnet', '10.93.5.0/24', '--ip-range', '10.93.5.64/31', 'ranged'])
    const addr = (id: string) => JSON.parse(mr(['inspect', id]).stdout)[0].NetworkSettings.Networks.ranged.IPAddress as string
    const a = detached(['--network', 'ranged', BUSYBOX, 'sleep', '1000'])
    const b = detached(['--network', 'ranged', BUSYBOX, 'sleep', '1000'])
    expect([addr(a), addr(b)]).toEqual(['10.93.5.64', '10.93.5.65'])
    const full = run(['-d', '--network', 'ranged', BUSYBOX, 'sleep', '1000'])
    expect([full.status, full.stderr]).toEqual([125, 'mini-run: network ranged (10.93.5.0/24, ip-range 10.93.5.64/31) has no free address left\n'])
    expect(addr(detached(['--network', 'ranged', '--ip', '10.93.5.200', BUSYBOX, 'sleep', '1000']))).toBe('10.93.5.200')
    expect(JSON.parse(mr(['network', 'inspect', 'ranged']).stdout)[0].IPAM.Config).toEqual([{ Subnet: '10.93.5.0/24', IPRange: '10.93.5.64/31', Gateway: '10.93.5.1' }])
  })

  it('-o com.docker.network.bridge.name and com.docker.network.driver.mtu: the bridge has that name, eth0 that MTU', () => {
    create(['--subnet', '10.93.6.0/24', '-o', 'com.docker.network.bridge.name=mr-named', '-o', 'com.docker.network.driver.mtu=1400', 'tuned'])
    const r = run(['--rm', '--network', 'tuned', BUSYBOX, 'cat', '/sys/class/net/eth0/mtu'])
    expect([r.stdout, r.stderr]).toEqual(['1400\n', ''])
    const id = detached(['--network', 'tuned', BUSYBOX, 'sleep', '1000'])
    expect(ns.exec(['ip', '-o', 'link', 'show', 'mr-named']).stdout).toMatch(/^\d+: mr-named: /)
    expect(JSON.parse(mr(['network', 'inspect', 'tuned']).stdout)[0].Options).toEqual({ 'com.docker.network.bridge.name': 'mr-named', 'com.docker.network.driver.mtu': '1400' })
    expect(mr(['rm', '-f', id]).status).toBe(0)
  })

  it('compose: a service on an internal: true network answers another by name, which cannot reach the outside; config prints it', async () => {
    const dir = join(env.dir, 'proj')
    mkdirSync(dir)
    writeFileSync(join(dir, 'compose.yaml'), `
services:
  db:
    image: ${BUSYBOX}
    command: ${JSON.stringify(HTTPD)}
    networks: [back]
    init: true
    cgroup_parent: \${CG}
  app:
    image: ${BUSYBOX}
    command: ["sleep", "1000"]
    networks: [back]
    init: true
    cgroup_parent: \${CG}
networks:
  back:
    internal: true
    driver_opts: {com.docker.network.driver.mtu: 1450}
    ipam:
      config: [{subnet: 10.93.7.0/24, ip_range: 10.93.7.16/28, gateway: 10.93.7.254}]
`)
    const compose = (args: string[]) => ns.miniRun([...g(), 'compose', '-p', 'intl', ...args], { cwd: dir, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
    try {
      expect(compose(['config']).stdout).toContain([
        'networks:',
        '  back:',
        '    name: intl_back',
        '    driver_opts:',
        '      com.docker.network.driver.mtu: "1450"',
        '    ipam:',
        '      config:',
        '        - subnet: 10.93.7.0/24',
        '          gateway: 10.93.7.254',
        '          ip_range: 10.93.7.16/28',
        '    internal: true',
      ].join('\n'))
      const up = compose(['up', '-d'])
      expect(up.status, up.stderr).toBe(0)
      const exec = (cmd: string) => compose(['exec', '-T', 'app', 'sh', '-c', `${cmd} 2>&1`])
      let page = ''
      await until('db answers app by name', () => (page = exec(GET('db')).stdout) !== '', 15_000)
      expect(page).toMatch(/^hello from [0-9a-f]{12}\n$/)
      expect(exec(GET(OUTSIDE, OUTSIDE_PORT)).stdout).not.toContain('the outside')
      expect(exec('ip -4 -o addr show eth0').stdout).toMatch(/inet 10\.93\.7\.(1[6-9]|2\d|3[01])\/24 /)
      const net = JSON.parse(mr(['network', 'inspect', 'intl_back']).stdout)[0]
      expect([net.Internal, net.IPAM.Config[0].IPRange, net.IPAM.Config[0].Gateway]).toEqual([true, '10.93.7.16/28', '10.93.7.254'])
      // the file changed to a network that is not internal: the one made stays, and up says so
      writeFileSync(join(dir, 'compose.yaml'), `services:\n  app:\n    image: ${BUSYBOX}\n    command: ["sleep", "1000"]\n    networks: [back]\n    init: true\n    cgroup_parent: \${CG}\nnetworks:\n  back: {}\n`)
      const again = compose(['up', '-d', '--remove-orphans'])
      expect(again.status, again.stderr).toBe(0)
      expect(again.stderr).toContain('network intl_back exists with other settings than the file\'s (internal false in the file, true on the network; ip_range unset in the file, 10.93.7.16/28 on the network; mtu unset in the file, 1450 on the network): using it as it is')
    } finally {
      compose(['down', '--remove-orphans'])
    }
    expect(mr(['network', 'ls', '-q', '-f', 'name=intl_back']).stdout).toBe('')
  })
})
