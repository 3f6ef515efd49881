// --network none still has an /etc/hosts, /etc/resolv.conf and /etc/hostname,
// as Docker's: the localhost lines and --add-host's (no address, so no line
// of the container's own), the host's resolvers without its loopback ones
// (else Docker's defaults), and the container's name;
// --network host has copies of the host's /etc/hosts (with --add-host's),
// /etc/resolv.conf and name; and --add-host takes IPv6 addresses and
// host-gateway, as Docker's does.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname as osHostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAddHost } from '../src/network/etc-files.js'
import { parseResolvConf } from '../src/network/host-net.js'
import { planNetwork } from '../src/network/plan-network.js'
import { hostEtcFiles } from '../src/network/plan-etc-files.js'
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
  })
})

describe('--network none\'s /etc files', () => {
  it('are planned: written before the clone, bound over the image\'s, and --explain says so', () => {
    const net = planNetwork({ network: 'none', addHost: ['db:10.0.0.9'] }, ctx)
    expect(net.texts).toEqual({ hosts: `${LOCALHOST}10.0.0.9\tdb\n`, resolvConf: 'nameserver 192.0.2.53\n', hostname: 'h\n' })
    expect(net.mounts.map((m) => [m.destination, m.source])).toEqual([['/etc/hosts', '/f/hosts'], ['/etc/resolv.conf', '/f/resolv.conf'], ['/etc/hostname', '/f/hostname']])
    const spec = { ociVersion: '1.0.2', root: { path: '/r' }, hostname: 'h', mounts: [], process: { args: ['true'], cwd: '/', env: [], user: { uid: 0, gid: 0 } }, linux: { namespaces: [{ type: 'mount' }, { type: 'network' }] } }
    const plan = planStart({ spec: spec as never, rootfs: { kind: 'directory', path: '/r' } as never, network: net, setgroupsAllowed: true, pathKind: () => 'file' })
    const write = plan.host.find((s) => s.kind === 'write_file')!
    expect(write).toMatchObject({ section: 'prepare', path: '/f/hosts', content: net.texts!.hosts })
    expect(write.why).toContain('--network none')
    expect(explainHostStep(write)).toBe('write /f/hosts (7 lines)')
  })

  it('resolv.conf: the host\'s resolvers but its loopback ones, else Docker\'s defaults; --dns, --dns-search and --dns-option as given', () => {
    const host = (text: string) => ({ ...ctx, host: { resolv: parseResolvConf(text), routes: [] } })
    expect(planNetwork({ network: 'none' }, host('nameserver 127.0.0.53\nnameserver 192.0.2.9\nsearch lan\noptions ndots:2\n')).texts!.resolvConf)
      .toBe('search lan\nnameserver 192.0.2.9\noptions ndots:2\n')
    expect(planNetwork({ network: 'none' }, host('nameserver 127.0.0.53\n')).texts!.resolvConf).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n')
    expect(planNetwork({ network: 'none', dns: ['192.0.2.1'], dnsSearch: ['x.test'], dnsOption: ['rotate'] }, host('nameserver 192.0.2.9\n')).texts!.resolvConf)
      .toBe('search x.test\nnameserver 192.0.2.1\noptions rotate\n')
    // Docker refuses --dns only with host and container:
    expect(() => planNetwork({ network: 'host', dns: ['192.0.2.1'] }, ctx)).toThrow('--dns needs a network of the container\'s own')
  })
})

describe('--rootfs\'s network', () => {
  it('is only lo without a flag asking for one (mini-run\'s own mode: Docker has no --rootfs); -p, -P or --network give one', () => {
    const dir = { ...ctx, rootfsDir: '/nonexistent-rootfs' }
    expect(planNetwork({}, dir).mode).toBe('none')
    expect(planNetwork({ network: 'bridge' }, dir).mode).toBe('bridge')
    expect(planNetwork({ publish: ['8080:80'] }, dir).mode).toBe('bridge')
    expect(planNetwork({ publishAll: true }, dir).mode).toBe('bridge')
    expect(planNetwork({}, { ...ctx, rootless: true, rootfsDir: '/nonexistent-rootfs' }).mode).toBe('none')
    // an image's container: the default bridge, as Docker's
    expect(planNetwork({}, ctx).mode).toBe('bridge')
  })
})

describe('--network host\'s /etc files', () => {
  it('are the host\'s /etc/hosts with --add-host\'s lines, its resolv.conf and its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-etc-'))
    try {
      writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n192.0.2.7 printer')
      writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\nsearch lan\n')
      const net = planNetwork({ network: 'host' }, { ...ctx, hostname: 'hostbox' })
      net.hostsExtra = [{ name: 'db', ip: '10.0.0.9' }]
      net.files = {}
      net.mounts = []
      hostEtcFiles(net, { ...ctx, hostname: 'hostbox' }, { hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf') })
      expect(net.texts).toEqual({ hosts: '127.0.0.1 localhost\n192.0.2.7 printer\n10.0.0.9\tdb\n', resolvConf: 'nameserver 127.0.0.53\nsearch lan\n', hostname: 'hostbox\n' })
      expect(net.mounts.map((m) => [m.destination, m.source])).toEqual([['/etc/hosts', '/f/hosts'], ['/etc/resolv.conf', '/f/resolv.conf'], ['/etc/hostname', '/f/hostname']])
      // a host without resolv.conf: that file is the image's
      const bare = planNetwork({ network: 'host' }, ctx)
      bare.files = {}
      bare.mounts = []
      hostEtcFiles(bare, ctx, { hosts: join(dir, 'hosts'), resolvConf: join(dir, 'missing') })
      expect(Object.keys(bare.texts!)).toEqual(['hosts', 'hostname'])
      expect(bare.mounts.map((m) => m.destination)).toEqual(['/etc/hosts', '/etc/hostname'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!isRoot)('run --rm --network host (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('cat shows the host\'s /etc/hosts with --add-host\'s line, its resolv.conf and its name', () => {
    const r = miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', 'host',
      '--add-host', 'db:10.0.0.9', BUSYBOX, 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname; hostname'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const hosts = readFileSync('/etc/hosts', 'utf8')
    const name = osHostname()
    expect(r.stdout).toBe(`${hosts}${hosts.endsWith('\n') ? '' : '\n'}10.0.0.9\tdb\n---\n${readFileSync('/etc/resolv.conf', 'utf8')}---\n${name}\n${name}\n`)
    expect(env.leftovers()).toEqual([])
  })
})

describe.skipIf(!isRoot)('run --rm --network none (needs root)', () => {
  let env: TestEnv
  const run = (args: string[]) => miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', 'none', ...args])
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('/etc/hostname is the container\'s name and /etc/resolv.conf its own, as Docker binds them with none', () => {
    const r = run(['-h', 'boxname', '--dns', '192.0.2.1', '--dns-search', 'x.test', BUSYBOX, 'sh', '-c', 'cat /etc/hostname /etc/resolv.conf; hostname'])
    expect(r).toMatchObject({ status: 0, stderr: '', stdout: 'boxname\nsearch x.test\nnameserver 192.0.2.1\nboxname\n' })
    // an IPv6 resolver too, as Docker takes it; anything else is refused in one line
    expect(run(['--dns', '2001:db8::53', BUSYBOX, 'grep', 'nameserver', '/etc/resolv.conf'])).toMatchObject({ status: 0, stdout: 'nameserver 2001:db8::53\n' })
    expect(run(['--dns', 'resolver.example', BUSYBOX, 'true'])).toMatchObject({ status: 125, stderr: 'mini-run: invalid --dns "resolver.example": an IPv4 or IPv6 address\n' })
    // without -h: the short id, in the file as in the kernel's name
    const plain = run([BUSYBOX, 'sh', '-c', 'cat /etc/hostname; hostname'])
    const [file, name] = plain.stdout.split('\n')
    expect({ status: plain.status, file }).toEqual({ status: 0, file: name })
    expect(name).toMatch(/^[0-9a-f]{12}$/)
    // --read-only: the three files too, as Docker binds them (Writable: !ReadonlyRootfs)
    const ro = run(['--read-only', BUSYBOX, 'sh', '-c', 'for f in hosts resolv.conf hostname; do echo x >> /etc/$f 2>/dev/null; echo "$f $?"; done'])
    expect(ro).toMatchObject({ status: 0, stdout: 'hosts 1\nresolv.conf 1\nhostname 1\n' })
    expect(run([BUSYBOX, 'sh', '-c', 'echo x >> /etc/hosts; echo $?']).stdout).toBe('0\n')
    expect(env.leftovers()).toEqual([])
  })

  it('cat /etc/hosts shows the localhost lines and --add-host\'s, host-gateway resolved', () => {
    const r = run(['--add-host', 'db:10.0.0.9', '--add-host', 'h6:[::1]', '--add-host', 'gw:host-gateway', BUSYBOX, 'cat', '/etc/hosts'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toBe(`${LOCALHOST}10.0.0.9\tdb\n::1\th6\n10.91.0.1\tgw\n`)
    expect(env.leftovers()).toEqual([])
  })

  it('run --rootfs without a network flag: ls /sys/class/net shows only lo', () => {
    const r = miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'run', '--rm', '--cgroup-parent', env.cgroupParent, '--rootfs', BUSYBOX_ROOTFS, 'ls', '/sys/class/net'])
    expect(r).toMatchObject({ status: 0, stdout: 'lo\n', stderr: '' })
  })

  it('with --rootfs that has /etc/hosts', () => {
    // a copy of its own: the fixture has no /etc/hosts, and mini-run adds none to a user's directory
    const root = mkdtempSync('/var/tmp/mini-run-hosts-rootfs-')
    try {
      cpSync(BUSYBOX_ROOTFS, root, { recursive: true, verbatimSymlinks: true })
      writeFileSync(join(root, 'etc', 'hosts'), '10.9.9.9\timage-line\n')
      const r = run(['--rootfs', root, 'cat', '/etc/hosts'])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe(LOCALHOST)
      // the user's file is bound over, not written
      expect(readFileSync(join(root, 'etc', 'hosts'), 'utf8')).toBe('10.9.9.9\timage-line\n')
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
