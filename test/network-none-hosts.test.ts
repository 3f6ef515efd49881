// --network none still has an /etc/hosts, as Docker's: the localhost lines
// and --add-host's (no address, so no line of the container's own); and
// --add-host takes IPv6 addresses and host-gateway, as Docker's does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAddHost } from '../src/network/etc-files.js'
import { parseResolvConf } from '../src/network/host-net.js'
import { planNetwork } from '../src/network/plan-network.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { explainHostStep } from '../src/runtime/plan/host-kinds.js'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { miniRun } from './helpers/cli.js'

const LOCALHOST = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n'
const ctx = { id: 'd'.repeat(64), name: 'n', hostname: 'h', storeRoot: '/nonexistent', stateRoot: '/s', rootless: false, filesDir: '/f', host: { resolv: parseResolvConf('nameserver 192.0.2.53\n'), routes: [] } }

describe('--add-host', () => {
  it('takes IPv4, IPv6 (bare or bracketed), NAME=IP and host-gateway', () => {
    expect(parseAddHost('db:10.0.0.9')).toEqual({ name: 'db', ip: '10.0.0.9' })
    expect(parseAddHost('h6:::1')).toEqual({ name: 'h6', ip: '::1' })
    expect(parseAddHost('h6:[2001:db8::1]')).toEqual({ name: 'h6', ip: '2001:db8::1' })
    expect(parseAddHost('h6=[::1]')).toEqual({ name: 'h6', ip: '::1' })
    expect(parseAddHost('gw:host-gateway')).toEqual({ name: 'gw', ip: 'host-gateway' })
    for (const bad of ['db', 'db:', 'db:10.0.0', 'db:nothost', ':10.0.0.9']) expect(() => parseAddHost(bad)).toThrow(`invalid --add-host "${bad}"`)
  })

  it('host-gateway is the container\'s gateway on a bridge, the default bridge\'s with --network none', () => {
    const env = { MINI_RUN_BRIDGE_SUBNET: '10.77.0.0/16' }
    const none = planNetwork({ network: 'none', addHost: ['gw:host-gateway', 'h6:::1'] }, ctx, env)
    expect(none.hostsExtra).toEqual([{ name: 'gw', ip: '10.77.0.1' }, { name: 'h6', ip: '::1' }])
    const bridge = planNetwork({ addHost: ['gw=host-gateway'] }, ctx, env)
    expect(bridge.hostsExtra).toEqual([{ name: 'gw', ip: bridge.attachments[0]!.network.gateway }])
    expect(() => planNetwork({ network: 'host', addHost: ['a:10.0.0.1'] }, ctx)).toThrow('--add-host needs a network')
  })
})

describe('--network none\'s /etc/hosts', () => {
  it('is planned: written before the clone, bound over the image\'s, and --explain says so', () => {
    const net = planNetwork({ network: 'none', addHost: ['db:10.0.0.9'] }, ctx)
    expect(net.hostsText).toBe(`${LOCALHOST}10.0.0.9\tdb\n`)
    expect(net.mounts.map((m) => [m.destination, m.source])).toEqual([['/etc/hosts', '/f/hosts']])
    const spec = { ociVersion: '1.0.2', root: { path: '/r' }, hostname: 'h', mounts: [], process: { args: ['true'], cwd: '/', env: [], user: { uid: 0, gid: 0 } }, linux: { namespaces: [{ type: 'mount' }, { type: 'network' }] } }
    const plan = planStart({ spec: spec as never, rootfs: { kind: 'directory', path: '/r' } as never, network: net, setgroupsAllowed: true, pathKind: () => 'file' })
    const write = plan.host.find((s) => s.kind === 'write_file')!
    expect(write).toMatchObject({ section: 'prepare', path: '/f/hosts', content: net.hostsText })
    expect(write.why).toContain('--network none')
    expect(explainHostStep(write)).toBe('write /f/hosts (7 lines)')
  })
})

describe.skipIf(!isRoot)('run --rm --network none (needs root)', () => {
  let env: TestEnv
  const run = (args: string[]) => miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', 'none', ...args])
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('cat /etc/hosts shows the localhost lines and --add-host\'s, host-gateway resolved', () => {
    const r = run(['--add-host', 'db:10.0.0.9', '--add-host', 'h6:[::1]', '--add-host', 'gw:host-gateway', BUSYBOX, 'cat', '/etc/hosts'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(`${LOCALHOST}10.0.0.9\tdb\n::1\th6\n10.91.0.1\tgw\n`)
    expect(env.leftovers()).toEqual([])
  })

  it('with --rootfs that has /etc/hosts', () => {
    const r = run(['--rootfs', BUSYBOX_ROOTFS, 'cat', '/etc/hosts'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(LOCALHOST)
  })
})
