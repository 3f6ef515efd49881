// config.json -> Spec -> plan, without root (issue 11): every refusal names
// its field; what runc adds (devices, cgroup mount, ambient) is added; the
// plan of a create has the start gate where it must be; and the rule that
// tells runc's command line from mini-run's own (cli/oci/detect.ts).
import { describe, expect, it } from 'vitest'
import { ociArgs } from '../src/cli/oci/detect.js'
import { parseConfig } from '../src/oci/config/read-config.js'
import { defaultConfig } from '../src/oci/default-config.js'
import { ociCgroups } from '../src/oci/oci-cgroups.js'
import { completeSpec, raisableAmbient } from '../src/oci/oci-spec.js'
import type { CgroupHost } from '../src/runtime/cgroup/cgroup-placement.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { runHostSteps } from '../src/runtime/process/run-host-steps.js'
import { recordingHost } from './helpers/recording-host.js'

const NO_LSM = { apparmor: false, selinux: false }
type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function config(edit?: (c: Json) => void): Json {
  const c = structuredClone(defaultConfig()) as Json
  c.process.terminal = false
  edit?.(c)
  return c
}

const parse = (c: Json, security = NO_LSM) => parseConfig(JSON.stringify(c), '/bundle', security)

describe('reading config.json', () => {
  it('reads runc\'s default config (mini-run spec) into the Spec, root.path resolved in the bundle', () => {
    const { spec, cgroupsPath, warnings } = parse(config())
    expect(spec.root).toEqual({ path: '/bundle/rootfs', readonly: true })
    expect(spec.process).toMatchObject({ args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 }, noNewPrivileges: true, terminal: false })
    expect(spec.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }])
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount'])
    expect(spec.linux.resources).toEqual({ devices: [{ allow: false, access: 'rwm' }] })
    expect(cgroupsPath).toBe('')
    expect(warnings).toEqual([])
  })

  it('accepts fields it does not know, as the runtime spec asks', () => {
    expect(() => parse(config((c) => {
      c.somethingNew = { x: 1 }
      c.process.futureField = true
      c.linux.notYetInvented = []
    }))).not.toThrow()
  })

  const refusals: [string, (c: Json) => void, RegExp][] = [
    ['an unknown capability', (c) => (c.process.capabilities.effective = [...c.process.capabilities.effective, 'CAP_TEST']), /^config\.json: process\.capabilities\.effective\[3\]: unknown capability "CAP_TEST"$/],
    ['an unknown rlimit', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }]), /process\.rlimits\[0\]\.type: unknown rlimit "RLIMIT_NOPE"/],
    ['a soft rlimit above the hard one', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }]), /RLIMIT_NOFILE: the soft limit 2 is above the hard limit 1/],
    ['a bad ociVersion', (c) => (c.ociVersion = 'one'), /ociVersion: "one" is not a version/],
    ['a relative mount destination', (c) => (c.mounts[0].destination = 'proc'), /mounts\[0\]\.destination: "proc" must be an absolute path/],
    ['a relative cwd', (c) => (c.process.cwd = 'home'), /process\.cwd: "home" must be an absolute path/],
    ['no command', (c) => (c.process.args = []), /process\.args: names no command to run/],
    ['an env entry without =', (c) => c.process.env.push('JUSTKEY'), /process\.env\[2\]: "JUSTKEY" is not KEY=VALUE/],
    ['a uid out of range', (c) => (c.process.user.uid = -1), /process\.user\.uid: -1 is out of range/],
    ['a namespace twice', (c) => c.linux.namespaces.push({ type: 'pid' }), /linux\.namespaces\[5\]\.type: the pid namespace is given twice/],
    ['an unknown namespace', (c) => c.linux.namespaces.push({ type: 'vm' }), /linux\.namespaces\[5\]\.type: "vm" is not one of/],
    ['a user namespace without maps', (c) => c.linux.namespaces.push({ type: 'user' }), /linux\.uidMappings: a new user namespace needs uidMappings and gidMappings/],
    ['joining a mount namespace', (c) => (c.linux.namespaces[4] = { type: 'mount', path: '/proc/1/ns/mnt' }), /joining an existing mount namespace is not supported/],
    ['a hostname without a UTS namespace', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: Json) => n.type !== 'uts'), c.hostname = 'x'), /hostname: needs a UTS namespace/],
    ['a host sysctl', (c) => (c.linux.sysctl = { 'kernel.panic': '1' }), /linux\.sysctl\.kernel\.panic: is not in a namespace the container has/],
    ['a net sysctl with the host network', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: Json) => n.type !== 'network'), c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }), /needs a network namespace of the container's own/],
    ['a device rule with bad access', (c) => c.linux.resources.devices.push({ allow: true, type: 'c', access: 'rx' }), /linux\.resources\.devices\[1\]\.access: "rx" is not made of r, w and m/],
    ['memory+swap below the memory limit', (c) => (c.linux.resources.memory = { limit: 100, swap: 50 }), /linux\.resources\.memory\.swap: memory\+swap 50 is below the memory limit 100/],
    ['a network class', (c) => (c.linux.resources.network = { classID: 1 }), /linux\.resources\.network: a network class or priority .* is not supported/],
    ['a recursive mount attribute', (c) => (c.mounts[0].options = ['rro']), /mounts\[0\]\.options\[0\]: the recursive mount attribute "rro" is not supported/],
    ['tmpcopyup', (c) => c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['tmpcopyup'] }), /"tmpcopyup" .* is not supported/],
    ['an idmap mount without maps or user namespace', (c) => c.mounts.push({ destination: '/d', type: 'bind', source: '/tmp', options: ['bind', 'idmap'] }), /an idmapped mount needs uidMappings and gidMappings/],
    ['a seccomp listener', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY' }), /linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY .* is not supported/],
    ['a seccomp architecture it cannot filter', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_MIPS'] }), /linux\.seccomp: unsupported architecture SCMP_ARCH_MIPS/],
    ['a seccomp flag it cannot set', (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'] }), /linux\.seccomp\.flags\[0\]: the seccomp flag SECCOMP_FILTER_FLAG_LOG is not supported/],
    ['an unknown I/O priority class', (c) => (c.process.ioPriority = { class: 'IOPRIO_CLASS_FAST', priority: 0 }), /process\.ioPriority\.class: "IOPRIO_CLASS_FAST" is not one of/],
    ['a scheduling policy not in mainline', (c) => (c.process.scheduler = { policy: 'SCHED_ISO' }), /process\.scheduler\.policy: "SCHED_ISO" is not one of/],
    ['a personality flag', (c) => (c.linux.personality = { domain: 'LINUX32', flags: ['ADDR_NO_RANDOMIZE'] }), /linux\.personality\.flags: a personality flag is not supported/],
    ['a startContainer hook', (c) => (c.hooks = { startContainer: [{ path: '/bin/true' }] }), /hooks\.startContainer: a startContainer hook .* is not supported/],
    ['a hook with a relative path', (c) => (c.hooks = { poststop: [{ path: 'true' }] }), /hooks\.poststop\[0\]\.path: "true" must be an absolute path/],
    ['a string where a number goes', (c) => (c.process.user.gid = '0'), /process\.user\.gid: must be an integer, not a string/],
  ]
  it.each(refusals)('refuses %s, naming the field', (_, edit, message) => {
    expect(() => parse(config(edit))).toThrow(message)
  })

  it('ignores an AppArmor profile or SELinux label on a host without them, with a warning; refuses them on one with them', () => {
    const c = config((x) => {
      x.process.apparmorProfile = 'docker-default'
      x.process.selinuxLabel = 'system_u:system_r:container_t:s0'
    })
    expect(parse(c).warnings).toEqual([
      'process.apparmorProfile "docker-default" ignored: this host has no AppArmor',
      'process.selinuxLabel ignored: this host has no SELinux',
    ])
    expect(() => parse(c, { apparmor: true, selinux: false })).toThrow(/process\.apparmorProfile: an AppArmor profile \("docker-default"\) is not supported/)
  })

  it('takes the container\'s maps for an idmap mount without its own', () => {
    const { spec } = parse(config((c) => {
      c.linux.namespaces.push({ type: 'user' })
      c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }]
      c.linux.gidMappings = [{ containerID: 0, hostID: 2000, size: 10 }]
      c.mounts.push({ destination: '/d', type: 'bind', source: '/tmp', options: ['rbind', 'idmap'] })
    }))
    expect(spec.mounts.at(-1)).toEqual({
      destination: '/d', type: 'bind', source: '/tmp', options: ['rbind'],
      uidMappings: [{ containerID: 0, hostID: 1000, size: 10 }], gidMappings: [{ containerID: 0, hostID: 2000, size: 10 }],
    })
  })
})

describe('what runc adds before the start', () => {
  const devices = (path: string) => ({ '/dev/null': [1, 3], '/dev/zero': [1, 5], '/dev/full': [1, 7], '/dev/random': [1, 8], '/dev/urandom': [1, 9], '/dev/tty': [5, 0], '/dev/fuse': [10, 229] } as Record<string, [number, number]>)[path]
  const deviceOf = (path: string) => (devices(path) ? { type: 'c' as const, major: devices(path)![0], minor: devices(path)![1] } : undefined)

  it('gives a /dev of its own the standard nodes, appends runc\'s always-allowed device rules, and binds its own cgroup at /sys/fs/cgroup', () => {
    const spec = completeSpec(parse(config()).spec, { cgroupLeaf: '/sys/fs/cgroup/unified/c1', deviceOf })
    expect(spec.linux.devices!.map((d) => d.path)).toEqual(['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'])
    expect(spec.linux.resources!.devices![0]).toEqual({ allow: false, access: 'rwm' })
    expect(spec.linux.resources!.devices!.slice(1)).toContainEqual({ allow: true, type: 'c', major: 136, access: 'rwm' })
    expect(spec.mounts.find((m) => m.destination === '/sys/fs/cgroup')).toEqual({
      destination: '/sys/fs/cgroup', type: 'bind', source: '/sys/fs/cgroup/unified/c1', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
    })
  })

  it('mounts cgroup2 fresh in a cgroup namespace of the container\'s own', () => {
    const spec = completeSpec(parse(config((c) => c.linux.namespaces.push({ type: 'cgroup' }))).spec, { cgroupLeaf: '/x', deviceOf })
    expect(spec.mounts.find((m) => m.destination === '/sys/fs/cgroup')).toMatchObject({ type: 'cgroup2', source: 'cgroup2' })
  })

  it('refuses a device the host does not have with those numbers', () => {
    const c = config((x) => (x.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 230 }]))
    expect(() => completeSpec(parse(c).spec, { deviceOf })).toThrow(/linux\.devices\[0\]: mini-run binds device nodes from the host, and the host's \/dev\/fuse is not c 10:230/)
  })

  it('leaves out ambient capabilities that cannot be raised (not inheritable), with a warning, as runc does', () => {
    const warnings: string[] = []
    const spec = raisableAmbient(parse(config()).spec, warnings)
    expect(spec.process.capabilities!.ambient).toEqual([])
    expect(warnings[0]).toMatch(/CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE not raised/)
  })
})

const hybrid: CgroupHost = {
  v2Mount: '/sys/fs/cgroup/unified',
  v2Controllers: ['hugetlb'],
  v1: [{ mount: '/sys/fs/cgroup/memory', controllers: ['memory'] }, { mount: '/sys/fs/cgroup/devices', controllers: ['devices'] }, { mount: '/sys/fs/cgroup/pids', controllers: ['pids'] }],
  own: { v2: '/', v1: new Map([['memory', '/sandbox'], ['devices', '/'], ['pids', '/']]) },
}

describe('cgroups of a container (linux.cgroupsPath)', () => {
  it('puts an absolute path under each root, a relative one under the runtime\'s own cgroup, none at all the id', () => {
    const r = { memory: { limit: 1 << 24 }, devices: [{ allow: false }], pids: { limit: 10 } }
    expect(ociCgroups('/libpod_parent/libpod-c1', 'c1', r, hybrid)).toEqual({
      v2: { path: '/sys/fs/cgroup/unified/libpod_parent/libpod-c1', mount: '/sys/fs/cgroup/unified' },
      v1: [
        { controller: 'memory', path: '/sys/fs/cgroup/memory/libpod_parent/libpod-c1' },
        { controller: 'pids', path: '/sys/fs/cgroup/pids/libpod_parent/libpod-c1' },
        { controller: 'devices', path: '/sys/fs/cgroup/devices/libpod_parent/libpod-c1' },
      ],
    })
    expect(ociCgroups('acc-oci', 'c1', r, hybrid).v1[0]!.path).toBe('/sys/fs/cgroup/memory/sandbox/acc-oci')
    expect(ociCgroups('', 'c1', undefined, hybrid)).toEqual({ v2: { path: '/sys/fs/cgroup/unified/c1', mount: '/sys/fs/cgroup/unified' }, v1: [] })
    expect(() => ociCgroups('/', 'c1', undefined, hybrid)).toThrow(/names the root cgroup/)
    expect(() => ociCgroups('../../x', 'c1', undefined, hybrid)).toThrow(/leaves the cgroup hierarchy/)
  })
})

describe('the plan of a create', () => {
  const deviceOf = () => undefined
  function createPlan(edit?: (c: Json) => void) {
    const c = config((x) => {
      x.mounts = x.mounts.filter((m: Json) => m.destination !== '/dev')
      edit?.(x)
    })
    const spec = completeSpec(parse(c).spec, { deviceOf })
    const cgroups = ociCgroups('c1', 'c1', spec.linux.resources, hybrid)
    return planStart({
      spec, rootfs: { kind: 'directory' }, cgroupPath: cgroups.v2!.path, cgroupMount: cgroups.v2!.mount, cgroupV1: cgroups.v1,
      setgroupsAllowed: true, pathKind: () => 'dir', startGate: { fifo: '/state/c1/exec.fifo' }, deviceCgroup: true,
      hookState: { ociVersion: '1.2.0', id: 'c1', bundle: '/bundle' },
      ...(spec.process.terminal ? { consoleSocket: '/run/console.sock' } : {}),
    })
  }

  it('waits on the FIFO after every other step, just before the execve; the command was looked up first', () => {
    const plan = createPlan()
    const ops = plan.child.map((s) => s.op)
    expect(ops.slice(-5)).toEqual(['no_new_privs', 'close_fds', 'find_exec', 'wait_start', 'exec'])
    expect(plan.child.at(-2)).toMatchObject({ op: 'wait_start', fifo: { slot: 'exec-fifo' } })
    expect(plan.host.find((s) => s.kind === 'exec_fifo')).toMatchObject({ path: '/state/c1/exec.fifo', slot: 'exec-fifo' })
    expect(plan.host.find((s) => s.kind === 'clone')).toMatchObject({ keep: [{ slot: 'exec-fifo' }] })
    // a device cgroup is in force: the rootfs is not remounted nodev
    expect(plan.child.some((s) => s.op === 'mount' && s.why.startsWith('nodev'))).toBe(false)
  })

  it('joins the v1 leaves (the device cgroup here) before the sync byte, and writes the rules there', () => {
    const plan = createPlan()
    const kinds = plan.host.map((s) => s.kind)
    expect(kinds.indexOf('cgroup_attach')).toBeGreaterThan(kinds.indexOf('clone'))
    expect(kinds.indexOf('cgroup_attach')).toBeLessThan(kinds.indexOf('sync'))
    const writes = plan.host.filter((s) => s.kind === 'cgroup_write').map((s) => (s.kind === 'cgroup_write' ? `${s.path.split('/').pop()} ${s.value}` : ''))
    expect(writes[0]).toBe('devices.deny a')
    expect(writes).toContain('devices.allow c 1:3 rwm')
  })

  it('with seccomp and no noNewPrivileges, filters before the ids and capabilities change', () => {
    const plan = createPlan((c) => {
      c.process.noNewPrivileges = false
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['swapon'], action: 'SCMP_ACT_ERRNO' }] }
    })
    const ops = plan.child.map((s) => s.op)
    expect(ops.indexOf('seccomp')).toBeLessThan(ops.indexOf('setresuid'))
    expect(ops.indexOf('seccomp')).toBeGreaterThan(ops.indexOf('cap_bounding'))
  })

  it('sends the pty master to the console socket (a slot of its own, no peer), joins a namespace by path, sets sysctls, umask, oom_score_adj, runs hooks while the child waits', () => {
    const plan = createPlan((c) => {
      c.process.terminal = true
      c.process.user.umask = 0o27
      c.process.oomScoreAdj = 500
      c.linux.namespaces[1] = { type: 'network', path: '/run/netns/n1' }
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }
      c.hooks = { prestart: [{ path: '/bin/true' }] }
    })
    expect(plan.host.find((s) => s.kind === 'console_socket')).toMatchObject({ path: '/run/console.sock', slot: 'pty-socket' })
    expect(plan.host.find((s) => s.kind === 'clone')).toMatchObject({ peer: undefined })
    expect(plan.host.find((s) => s.kind === 'namespace_open')).toMatchObject({ path: '/run/netns/n1', type: 'network' })
    // no CLONE_NEWNET: it joins instead
    const clone = plan.host.find((s) => s.kind === 'clone')!
    expect(clone.kind === 'clone' && clone.flags & 0x40000000).toBe(0)
    expect(plan.child[0]).toMatchObject({ op: 'setns', pidfd: { slot: 'ns-network' }, nstype: 0x40000000 })
    expect(plan.child).toContainEqual(expect.objectContaining({ op: 'write_file', root: '/', path: '/proc/sys/net/ipv4/ip_forward', content: '1' }))
    expect(plan.child).toContainEqual(expect.objectContaining({ op: 'umask', mask: 0o27 }))
    expect(plan.child.some((s) => s.op === 'link_up')).toBe(false)
    const after = plan.host.slice(plan.host.findIndex((s) => s.kind === 'clone') + 1).map((s) => s.kind)
    expect(after).toEqual(['cgroup_attach', 'proc_write', 'hooks', 'sync'])
  })

  it('is carried out in that order by the runtime, the FIFO made and the hooks run with the child\'s pid', async () => {
    const plan = createPlan((c) => (c.hooks = { createRuntime: [{ path: '/bin/true' }] }))
    const host = recordingHost({ report: { step: plan.child.length - 2, errno: 0 } })
    const launched = await runHostSteps(plan, host, { stdio: [0, 1, 2] })
    // errno 0 from wait_start is "ready", not a failure
    expect(await launched.started).toBeNull()
    const calls = host.calls.map((c) => c.call)
    expect(calls.slice(0, calls.indexOf('spawn')).filter((c) => ['makeFifo', 'openPath', 'createCgroupLeaf', 'createCgroupV1Leaf'].includes(c))).toEqual([
      'createCgroupLeaf', 'createCgroupV1Leaf', 'makeFifo', 'openPath',
    ])
    expect(host.calls.find((c) => c.call === 'makeFifo')!.args).toEqual(['/state/c1/exec.fifo', 0o622])
    expect(host.calls.find((c) => c.call === 'runHooks')!.args).toEqual(['createRuntime', [{ path: '/bin/true' }], { ociVersion: '1.2.0', id: 'c1', bundle: '/bundle', status: 'creating', pid: 4242 }])
    expect(host.calls.find((c) => c.call === 'writeFile' && String(c.args[0]).endsWith('cgroup.procs'))!.args).toEqual(['/sys/fs/cgroup/devices/c1/cgroup.procs', '4242'])
  })
})

describe('which command line it is (cli/oci/detect.ts)', () => {
  const none = () => false
  const argv = (...a: string[]) => ['node', '/usr/local/bin/mini-run', ...a]

  it('takes runc\'s by the executable\'s name, by the oci prefix, by runc\'s global flags or verbs, by runc\'s flags of a shared verb', () => {
    expect(ociArgs(['node', '/usr/bin/runc', 'start', 'x'], none)).toEqual(['start', 'x'])
    expect(ociArgs(['node', '/opt/mini-run-oci', '-root', '/r', 'list'], none)).toEqual(['--root', '/r', 'list'])
    expect(ociArgs(argv('oci', 'run', 'x'), none)).toEqual(['run', 'x'])
    expect(ociArgs(argv('--root', '/r', 'oci', 'kill', 'x'), none)).toEqual(['--root', '/r', 'kill', 'x'])
    expect(ociArgs(argv('--root', '/run/c/default', '--log', '/b/log.json', '--log-format', 'json', 'start', 'x'), none)).toEqual([
      '--root', '/run/c/default', '--log', '/b/log.json', '--log-format', 'json', 'start', 'x',
    ])
    for (const verb of ['spec', 'state', 'delete', 'features', 'list', 'resume']) expect(ociArgs(argv(verb, 'x'), none)?.[0]).toBe(verb)
    expect(ociArgs(argv('create', '--bundle', '/b', '--pid-file', '/p', 'x'), none)).toBeDefined()
    expect(ociArgs(argv('exec', '--pid-file', '/p', '--process', '/f', '--detach', 'x'), none)).toBeDefined()
    // after an option of runc's that takes a value (containerd's shim: exec --env ... --process ...)
    expect(ociArgs(argv('exec', '--env', 'A=1', '-u', '0', '--pid-file', '/p', 'x', 'sh'), none)).toBeDefined()
    expect(ociArgs(argv('run', '-b', '/b', '--keep', 'x'), none)).toBeDefined()
    // runc's --debug with anything else of runc's
    expect(ociArgs(argv('--debug', 'state', 'x'), none)).toEqual(['--debug', 'state', 'x'])
    expect(ociArgs(argv('--debug', '--log', '/b/log.json', 'start', 'x'), none)).toBeDefined()
    expect(ociArgs(argv('--debug', 'create', '--bundle', '/b', 'x'), none)).toBeDefined()
    expect(ociArgs(argv('--debug', 'kill', 'abc', '9'), (root, id) => root === '/run/mini-run-oci' && id === 'abc')).toBeDefined()
    // runc --debug run ID of the bundle runc defaults to, the current directory: where a config.json is
    expect(ociArgs(argv('--debug', 'run', 'x'), none, 'mini-run', () => true)).toEqual(['--debug', 'run', 'x'])
    expect(ociArgs(argv('--debug', 'create', 'x'), none, 'mini-run', () => true)).toBeDefined()
    expect(ociArgs(argv('--debug', 'run', 'x'), none, 'mini-run', () => false)).toBeUndefined()
    expect(ociArgs(argv('run', 'x'), none, 'mini-run', () => true)).toBeUndefined()
  })

  it("reads runc's flags among the verb's own options only, not in the container's command", () => {
    for (const line of [['run', '--rm', 'alpine', 'ls', '-b', '/'], ['run', '-e', 'A=1', 'alpine', 'sh', '-c', 'x', '--keep'], ['exec', 'web', 'ps', '-p', '1'], ['exec', '-it', 'web', 'grep', '-g', 'x'], ['create', 'alpine', 'cat', '--pid-file']]) {
      expect(ociArgs(argv(...line), none)).toBeUndefined()
    }
  })

  it('takes a shared verb for runc\'s when it names a container of the OCI root (podman: start ID, kill ID 15)', () => {
    const exists = (root: string, id: string) => root === '/run/mini-run-oci' && id === 'abc'
    expect(ociArgs(argv('start', 'abc'), exists)).toEqual(['start', 'abc'])
    expect(ociArgs(argv('kill', 'abc', '15'), exists)).toEqual(['kill', 'abc', '15'])
    expect(ociArgs(argv('--root', '/other', 'start', 'abc'), exists)).toBeUndefined()
  })

  it('leaves mini-run\'s own command line alone', () => {
    const exists = () => false
    for (const line of [['run', '--rm', 'alpine', 'sh'], ['--root', '/store', 'create', 'alpine'], ['exec', '-it', 'c1', 'sh'], ['kill', '-s', 'KILL', 'c1'], ['ps', '-a'], ['alpine', 'sh'], ['--log-level', 'debug', 'images'], []]) {
      expect(ociArgs(argv(...line), exists)).toBeUndefined()
    }
    // Docker's -D/--debug: runc has --debug too, but no more than that of runc's here
    for (const line of [['--debug', 'run', '--rm', 'alpine', 'sh'], ['-D', 'images'], ['--debug', '--state', '/s', 'ps', '-a'], ['--debug', 'kill', 'web']]) {
      expect(ociArgs(argv(...line), exists)).toBeUndefined()
    }
  })
})
