// --network container:X as a plan, without root: what planNetwork makes of
// it (X's /etc files and hostname, Docker's refusals), the start plan's
// join (a pidfd of X's process found at each start, setns CLONE_NEWNET
// first, no network namespace of its own), and compose's network_mode
// service:db (an implied depends_on).
import { describe, expect, it } from 'vitest'
import { planNetwork, type NetworkContext } from '../src/network/plan-network.js'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { planStart, type PlanInput, type RootfsSource } from '../src/runtime/plan/plan-start.js'
import { describeStep } from '../src/runtime/plan/child-kinds.js'
import { explainHostStep } from '../src/runtime/plan/host-kinds.js'
import { planExec } from '../src/runtime/plan/plan-exec.js'
import { startWaves } from '../src/compose/dependency-order.js'
import { normalizeService } from '../src/compose/normalize-service.js'
import { At } from '../src/compose/compose-error.js'
import { networkContainerOf } from '../src/runtime/container/container-network.js'

const X = 'f'.repeat(64)
const ctx: NetworkContext = {
  id: 'a'.repeat(64), name: 'side', hostname: 'aaaaaaaaaaaa', storeRoot: '/nonexistent', stateRoot: '/state', rootless: false, filesDir: '/c/side',
  networkOf: { id: X, ref: 'server', hostname: 'ffffffffffff', files: { hosts: '/c/x/hosts', resolvConf: '/c/x/resolv.conf', hostname: '/c/x/hostname' } },
  host: { resolv: { nameservers: [], search: [], options: [] }, routes: [] },
}
const overlay: RootfsSource = { kind: 'overlay', layersDir: '/s/layers', lowerDirs: ['a/fs'], upperDir: '/c/upper', workDir: '/c/work', userxattr: false }

function joinedPlan(input: Partial<PlanInput> = {}) {
  const spec = buildSpec({ id: 'a'.repeat(64), rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], hostname: 'ffffffffffff' })
  const network = planNetwork({ network: 'container:server' }, ctx)
  return { spec, plan: planStart({ spec, rootfs: overlay, setgroupsAllowed: true, pathKind: () => 'file', network, ...input }) }
}

describe('planNetwork --network container:X', () => {
  it('binds X\'s /etc/hosts, /etc/resolv.conf and /etc/hostname, takes X\'s hostname, and attaches nothing', () => {
    const plan = planNetwork({ network: 'container:server' }, ctx)
    expect(plan).toMatchObject({ mode: 'container', container: { id: X, ref: 'server', stateRoot: '/state' }, attachments: [], ports: [], hostname: 'ffffffffffff', explain: [] })
    expect(plan.files).toEqual({ hosts: '/c/x/hosts', resolvConf: '/c/x/resolv.conf', hostname: '/c/x/hostname' })
    expect(plan.mounts.map((m) => `${m.source} -> ${m.destination}`)).toEqual(['/c/x/hosts -> /etc/hosts', '/c/x/resolv.conf -> /etc/resolv.conf', '/c/x/hostname -> /etc/hostname'])
    expect(plan.texts).toBeUndefined()
  })

  it('binds only the files X has (X on --network none has only /etc/hosts)', () => {
    const plan = planNetwork({ network: 'container:server' }, { ...ctx, networkOf: { ...ctx.networkOf!, files: { hosts: '/c/x/hosts' } } })
    expect(plan.mounts.map((m) => m.destination)).toEqual(['/etc/hosts'])
  })

  it('refuses what would shape a network of its own, in Docker\'s words', () => {
    const refused = (flags: Parameters<typeof planNetwork>[0]) => () => planNetwork({ network: 'container:server', ...flags }, ctx)
    expect(refused({ publish: ['80:80'] })).toThrow(/^conflicting options: port publishing and the container type network mode$/)
    expect(refused({ publishAll: true })).toThrow(/^conflicting options: port publishing and the container type network mode$/)
    expect(refused({ expose: ['80/tcp'] })).toThrow(/^conflicting options: port exposing and the container type network mode$/)
    expect(refused({ dns: ['192.0.2.1'] })).toThrow(/^conflicting options: dns and the network mode$/)
    expect(refused({ dnsSearch: ['example.com'] })).toThrow(/^conflicting options: dns and the network mode$/)
    expect(refused({ addHost: ['a:192.0.2.1'] })).toThrow(/^conflicting options: custom host-to-IP mapping and the network mode$/)
    expect(refused({ macAddress: '02:42:ac:11:00:02' })).toThrow(/^conflicting options: mac-address and the network mode$/)
    expect(refused({ ip: '10.0.0.2' })).toThrow(/^user specified IP address is supported on user defined networks only$/)
    expect(refused({ aliases: ['a'] })).toThrow(/^network-scoped alias is supported only for containers in user defined networks$/)
    expect(refused({ moreNetworks: [{ name: 'n' }] })).toThrow(/cannot be connected to any other network$/)
  })

  it('ignores the image\'s ExposedPorts (Docker refuses only --expose)', () => {
    expect(planNetwork({ network: 'container:server' }, { ...ctx, exposed: { '80/tcp': {} } }).exposed).toBeUndefined()
  })
})

describe('networkContainerOf: what is refused before X is looked up', () => {
  const of = (o: Parameters<typeof networkContainerOf>[0], root = true) => () => networkContainerOf(o, '/nonexistent', root)
  it('refuses rootless, --userns=auto and --hostname in one line each; another mode is none of its business', () => {
    expect(of({ network: 'container:server' }, false)).toThrow(/^--network container:server: a rootless container cannot join another's network: each has its own user namespace, which owns its network namespace$/)
    expect(of({ network: 'container:server', userns: 'auto' })).toThrow(/^--network container:server needs the host's user namespace: not with --userns=auto$/)
    expect(of({ network: 'container:server', hostname: 'h' })).toThrow(/^conflicting options: hostname and the network mode$/)
    expect(of({ network: 'container:' })).toThrow(/needs the name or id of the container/)
    expect(networkContainerOf({ network: 'bridge', hostname: 'h' }, '/nonexistent', false)).toBeUndefined()
  })
})

describe('planStart of a container that joins another\'s network', () => {
  it('opens X\'s process first, clones without CLONE_NEWNET, joins through the pidfd before anything else, and brings no lo up', () => {
    const { plan } = joinedPlan({ cgroupPath: '/cg/x', bindSources: ['/made/by/docker'] })
    expect(plan.host.map((s) => s.kind)).toEqual(['container_process', 'bind_source', 'cgroup_leaf', 'clone', 'sync'])
    expect(plan.host[0]).toMatchObject({ kind: 'container_process', stateRoot: '/state', container: X, ref: 'server', slot: 'network-of' })
    expect(explainHostStep(plan.host[0]!)).toBe(`read /state/${X}/state.json: refuse unless container server runs; pidfd_open its process as <network-of>, then check that it is still the process started at the tick recorded`)
    const clone = plan.host.find((s) => s.kind === 'clone')!
    // CLONE_NEWPID|NEWIPC|NEWUTS|NEWNS|NEWCGROUP: no CLONE_NEWNET (0x40000000)
    expect(clone).toMatchObject({ flags: 0x20000000 | 0x08000000 | 0x04000000 | 0x00020000 | 0x02000000, keep: [{ slot: 'network-of' }] })
    expect(plan.child[0]).toMatchObject({ op: 'setns', pidfd: { slot: 'network-of' }, nstype: 0x40000000, section: 'join' })
    const ops = plan.child.map(describeStep)
    expect(ops).toContain('sethostname ffffffffffff')
    expect(ops).not.toContain('set link lo up')
    // no network step: nothing is attached, so nothing to tear down
    expect(plan.host.some((s) => s.kind === 'network')).toBe(false)
  })

  it('keeps the network namespace in the spec: exec joins the container\'s, which is X\'s', () => {
    const { spec } = joinedPlan()
    expect(spec.linux.namespaces.map((ns) => ns.type)).toContain('network')
    const exec = planExec({ spec, container: 'a'.repeat(64), pid: 42, startTime: '1', process: spec.process, setgroupsAllowed: true })
    expect(exec.child[0]).toMatchObject({ op: 'setns' })
    expect((exec.child[0] as { nstype: number }).nstype & 0x40000000).toBe(0x40000000)
  })
})

describe('compose network_mode', () => {
  const service = (raw: Record<string, unknown>) =>
    normalizeService('web', { image: 'busybox', ...raw }, new At('compose.yaml', ['services', 'web']), {
      projectName: 'p', projectDir: '/nonexistent', lookup: () => undefined, volumes: new Set(), networks: new Set(['default']), warnings: [],
    })

  it('service:db depends on db, which starts first, and restarts with it (the restart: true compose-go implies)', () => {
    const web = service({ network_mode: 'service:db' })
    expect(web.networkMode).toBe('service:db')
    expect(web.dependsOn).toEqual({ db: { condition: 'service_started', required: true, restart: true } })
    expect(web.networks).toEqual({})
    expect(startWaves({ web, db: { dependsOn: {} } })).toEqual([['db'], ['web']])
  })

  it('keeps a depends_on of its own on the same service, and takes container:NAME as it is', () => {
    expect(service({ network_mode: 'service:db', depends_on: { db: { condition: 'service_healthy' } } }).dependsOn.db?.condition).toBe('service_healthy')
    const web = service({ network_mode: 'container:other' })
    expect(web.networkMode).toBe('container:other')
    expect(web.dependsOn).toEqual({})
  })

  it('still refuses what it does not know', () => {
    expect(() => service({ network_mode: 'slirp4netns' })).toThrow(/not supported by mini-run \(none, host, bridge, service:NAME, container:NAME\)/)
  })
})
