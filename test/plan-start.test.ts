// The start sequence is a pure function of the spec: these tests pin the
// exact steps without root, so a change in what a container is shows here.
import { describe, expect, it } from 'vitest'
import { buildSpec, type ContainerOptions } from '../src/runtime/spec/container-spec.js'
import { planStart, type PlanInput, type RootfsSource } from '../src/runtime/plan/plan-start.js'
import { describeStep } from '../src/runtime/plan/child-kinds.js'
import type { ChildStep, StartPlan } from '../src/runtime/plan/steps.js'
import { volumesFromFlags } from '../src/runtime/spec/volumes.js'

const overlay: RootfsSource = {
  kind: 'overlay', layersDir: '/s/layers', lowerDirs: ['b/fs', 'a/fs'], upperDir: '/c/upper', workDir: '/c/work', userxattr: false,
}
const hostKinds: PlanInput['pathKind'] = (p) =>
  p === '/proc/acpi' || p === '/sys/firmware' ? 'dir' : p === '/proc/timer_stats' ? 'missing' : 'file'

function plan(options: Partial<ContainerOptions> = {}, input: Partial<PlanInput> = {}) {
  const spec = buildSpec({
    id: 'abcdef0123456789', rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], cgroup2: true, ...options,
  })
  return planStart({ spec, rootfs: overlay, setgroupsAllowed: true, pathKind: hostKinds, ...input })
}
const ops = (steps: ChildStep[]) => steps.map(describeStep)
const cloneFlags = (p: StartPlan) => p.host.find((s) => s.kind === 'clone')?.flags

describe('planStart', () => {
  it('gives a root container exactly Docker\'s mounts, devices, masks and credentials, in order', () => {
    const p = plan({}, { cgroupPath: '/cg/mini-run/x' })
    // CLONE_NEWPID|NEWNET|NEWIPC|NEWUTS|NEWNS|NEWCGROUP, no user namespace as root
    expect(cloneFlags(p)).toBe(0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x00020000 | 0x02000000)
    expect(ops(p.child)).toEqual([
      'mount none on /', 'chdir /s/layers', 'mount overlay on /c/rootfs',
      'mkdir /c/rootfs/proc', 'mount proc on /c/rootfs/proc',
      'mkdir /c/rootfs/dev', 'mount tmpfs on /c/rootfs/dev',
      'mkdir /c/rootfs/dev/pts', 'mount devpts on /c/rootfs/dev/pts',
      'mkdir /c/rootfs/dev/shm', 'mount shm on /c/rootfs/dev/shm',
      'mkdir /c/rootfs/dev/mqueue', 'mount mqueue on /c/rootfs/dev/mqueue',
      'mkdir /c/rootfs/sys', 'mount sysfs on /c/rootfs/sys',
      'mkdir /c/rootfs/sys/fs/cgroup', 'mount cgroup on /c/rootfs/sys/fs/cgroup',
      ...['null', 'zero', 'full', 'random', 'urandom', 'tty'].flatMap((d) => [`mkfile /c/rootfs/dev/${d}`, `mount /dev/${d} on /c/rootfs/dev/${d}`]),
      'symlink /c/rootfs/dev/fd -> /proc/self/fd', 'symlink /c/rootfs/dev/stdin -> /proc/self/fd/0',
      'symlink /c/rootfs/dev/stdout -> /proc/self/fd/1', 'symlink /c/rootfs/dev/stderr -> /proc/self/fd/2',
      'symlink /c/rootfs/dev/ptmx -> pts/ptmx',
      'chdir /c/rootfs', 'pivot_root . .', 'umount .', 'chdir /',
      'mount /dev/null on /proc/asound', 'mount tmpfs on /proc/acpi', 'mount /dev/null on /proc/interrupts',
      'mount /dev/null on /proc/kcore', 'mount /dev/null on /proc/keys', 'mount /dev/null on /proc/latency_stats',
      'mount /dev/null on /proc/timer_list', 'mount /dev/null on /proc/sched_debug', 'mount /dev/null on /proc/scsi',
      'mount tmpfs on /sys/firmware', 'mount /dev/null on /sys/devices/virtual/powercap',
      ...['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'].flatMap((p) => [`mount ${p} on ${p}`, `remount ${p}`]),
      'sethostname abcdef012345', 'set link lo up',
      'setsid', 'mkdir /', 'chdir /',
      'cap_bounding', 'setgroups [0]', 'setresgid 0', 'setresuid 0', 'capset', 'cap_ambient', 'no_new_privs', 'seccomp', 'close_fds',
      'exec "sh"',
    ])
    expect(p.host.map((s) => s.kind)).toEqual(['cgroup_leaf', 'clone', 'sync'])
    expect(p.host[0]).toMatchObject({ path: '/cg/mini-run/x', slot: 'cgroup' })
    expect(p.host[1]).toMatchObject({ cgroup: { slot: 'cgroup' }, keep: [], via: { runtime: true } })
  })

  it('mounts the rootfs nodev and every mount target through in-root resolution', () => {
    const p = plan()
    const overlayMount = p.child.find((s) => s.op === 'mount' && s.fstype === 'overlay')
    expect(overlayMount).toMatchObject({ flags: 4 /* MS_NODEV */, data: 'lowerdir=b/fs:a/fs,upperdir=/c/upper,workdir=/c/work' })
    const pivot = p.child.findIndex((s) => s.op === 'pivot_root')
    for (const step of p.child.slice(0, pivot)) {
      if (step.op === 'mount' && step.target !== '/' && step.fstype !== 'overlay') expect(step.root).toBe('/c/rootfs')
    }
    const dev = p.child.find((s) => s.op === 'mount' && s.target === '/dev')
    expect(dev && dev.op === 'mount' && dev.flags & 4).toBeTruthy() // /dev is nodev
  })

  it('binds -v mounts after the defaults, read-only and nodev by a remount, and lets one replace a default', () => {
    const mounts = volumesFromFlags({ volumes: ['/srv/data:/data:ro', '/host/shm:/dev/shm'] }, '/')
    const p = plan({ mounts: mounts.map((v) => v.mount) }, { pathKind: (path) => (path.startsWith('/srv') || path.startsWith('/host') ? 'dir' : hostKinds(path)) })
    const from = p.child.findIndex((s) => s.op === 'mkdir' && s.path === '/dev/shm')
    expect(ops(p.child.slice(from, from + 3))).toEqual(['mkdir /c/rootfs/dev/shm', 'mount /host/shm on /c/rootfs/dev/shm', 'remount /c/rootfs/dev/shm'])
    expect(p.child.filter((s) => s.op === 'mount' && s.source === 'shm')).toEqual([]) // the default /dev/shm is gone
    const data = p.child.slice(p.child.findIndex((s) => s.op === 'mkdir' && s.path === '/data'))
    expect(ops(data.slice(0, 4))).toEqual(['mkdir /c/rootfs/data', 'mount /srv/data on /c/rootfs/data', 'remount /c/rootfs/data', 'mount none on /c/rootfs/data'])
    expect(data[1]).toMatchObject({ flags: 4096 /* MS_BIND, not MS_REC: submounts would keep their dev and rw */ })
    expect(data[2]).toMatchObject({ flags: 4096 | 32 | 1 | 4 /* BIND|REMOUNT|RDONLY|NODEV */, keepLocked: true })
    expect(data[3]).toMatchObject({ flags: (1 << 18) | 16384 /* MS_PRIVATE|MS_REC */ })
  })

  it('sets --ulimit limits before the capabilities go, for the command to inherit', () => {
    const p = plan({ rlimits: [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }, { type: 'RLIMIT_CORE', soft: 2 ** 64, hard: 2 ** 64 }] })
    const from = p.child.findIndex((s) => s.op === 'setrlimit')
    expect(ops(p.child.slice(from, from + 3))).toEqual(['setrlimit RLIMIT_NOFILE 100/200', 'setrlimit RLIMIT_CORE unlimited/unlimited', 'cap_bounding'])
    expect(p.child[from]).toMatchObject({ resource: 7, soft: 100n, hard: 200n })
    expect(p.child[from + 1]).toMatchObject({ resource: 4, soft: 0xffffffffffffffffn })
  })

  it('leaves out the namespaces shared with the host, and sets no hostname in the host\'s UTS namespace', () => {
    const p = plan({ hostNamespaces: ['network', 'uts'], hostHostname: 'host1' })
    // CLONE_NEWPID|NEWIPC|NEWNS|NEWCGROUP: no NEWNET, no NEWUTS
    expect(cloneFlags(p)).toBe(0x20000000 | 0x08000000 | 0x00020000 | 0x02000000)
    expect(p.child.filter((s) => s.op === 'sethostname' || s.op === 'link_up')).toEqual([])
    const exec = p.child.at(-1)
    expect(exec?.op === 'exec' && exec.env).toContain('HOSTNAME=host1')
    const net = plan({ hostNamespaces: ['network'], hostHostname: 'host1' })
    expect(net.child.find((s) => s.op === 'sethostname')).toMatchObject({ name: 'host1' }) // Docker: the host's name
  })

  it('drops to the image user with its groups, keeping capabilities across setresuid', () => {
    const p = plan({
      user: 'app',
      passwd: [{ name: 'app', uid: 1000, gid: 1000, home: '/home/app' }],
      groups: [{ name: 'app', gid: 1000, members: [] }, { name: 'extra', gid: 2000, members: ['app'] }],
    })
    const tail = p.child.slice(p.child.findIndex((s) => s.op === 'cap_bounding'))
    expect(ops(tail)).toEqual([
      'cap_bounding', 'keepcaps', 'setgroups [1000 2000]', 'setresgid 1000', 'setresuid 1000', 'capset', 'cap_ambient',
      'no_new_privs', 'seccomp', 'close_fds', 'exec "sh"',
    ])
    const exec = tail.at(-1)
    expect(exec?.op === 'exec' && exec.env).toContain('HOME=/home/app')
  })

  it('applies --cap-add/--cap-drop to every set but inheritable and ambient', () => {
    const p = plan({ capAdd: ['NET_ADMIN'], capDrop: ['chown', 'CAP_MKNOD'] })
    const capset = p.child.find((s) => s.op === 'capset')
    expect(capset?.op === 'capset' && capset.effective).toContain('CAP_NET_ADMIN')
    expect(capset?.op === 'capset' && capset.effective).not.toContain('CAP_CHOWN')
    expect(capset?.op === 'capset' && capset.effective).not.toContain('CAP_MKNOD')
    expect(capset?.op === 'capset' && capset.inheritable).toEqual([])
  })

  it('runs rootless in a user namespace: maps written by the parent, setgroups denied, no gid=5 for devpts', () => {
    const p = plan(
      { idMaps: { uid: [{ containerID: 0, hostID: 65534, size: 1 }], gid: [{ containerID: 0, hostID: 65534, size: 1 }] } },
      { setgroupsAllowed: false, rootfs: { ...overlay, userxattr: true } },
    )
    expect(cloneFlags(p)! & 0x10000000).toBeTruthy()
    expect(p.host.slice(-4)).toMatchObject([
      { kind: 'proc_write', file: 'setgroups', content: 'deny' },
      { kind: 'proc_write', file: 'uid_map', content: '0 65534 1\n' },
      { kind: 'proc_write', file: 'gid_map', content: '0 65534 1\n' },
      { kind: 'sync' },
    ])
    expect(p.child.some((s) => s.op === 'setgroups')).toBe(false)
    const devpts = p.child.find((s) => s.op === 'mount' && s.fstype === 'devpts')
    expect(devpts?.op === 'mount' && devpts.data).not.toContain('gid=5')
    const ovl = p.child.find((s) => s.op === 'mount' && s.fstype === 'overlay')
    expect(ovl?.op === 'mount' && ovl.data).toMatch(/,userxattr$/)
  })

  it('mounts --rm\'s writable layer volatile, saying why, and no other', () => {
    const overlayData = (p: StartPlan) => {
      const ovl = p.child.find((s) => s.op === 'mount' && s.fstype === 'overlay')
      return ovl?.op === 'mount' ? { data: ovl.data, why: ovl.why } : undefined
    }
    const rm = overlayData(plan({}, { rootfs: { ...overlay, volatile: true } }))
    expect(rm?.data).toBe('lowerdir=b/fs:a/fs,upperdir=/c/upper,workdir=/c/work,volatile')
    expect(rm?.why).toMatch(/volatile: --rm removes the layer/)
    const kept = overlayData(plan())
    expect(kept?.data).toBe('lowerdir=b/fs:a/fs,upperdir=/c/upper,workdir=/c/work')
    expect(kept?.why).not.toMatch(/volatile/)
  })

  it('lets the child set up its filesystem while the runtime attaches a bridge network: it waits before binding the network\'s files', () => {
    const files = { hosts: '/c/hosts', resolvConf: '/c/resolv.conf', hostname: '/c/hostname' }
    const targets: Record<string, string> = { hosts: '/etc/hosts', resolvConf: '/etc/resolv.conf', hostname: '/etc/hostname' }
    const mounts = Object.entries(files).map(([k, source]) => ({ destination: targets[k]!, type: 'bind', source, options: ['bind', 'rw'] }))
    const network = {
      mode: 'bridge' as const, attachments: [], ports: [], dnsServers: [], resolv: { nameservers: [], search: [], options: [] }, hostsExtra: [], hostsNames: [],
      hostname: 'abcdef012345', files, mounts, explain: [{ what: 'attach', why: 'a bridge' }],
    }
    const p = plan({ mounts }, { network })
    const wait = p.child.findIndex((s) => s.op === 'sync_wait')
    expect(p.child[wait]).toMatchObject({ op: 'sync_wait', pipe: { slot: 'sync' } })
    // right before the first bind of a file the network step writes, after the rootfs and the standard mounts
    expect(p.child[wait + 1]).toMatchObject({ op: 'mount', source: '/c/hosts' })
    expect(p.child.slice(0, wait).some((s) => s.op === 'mount' && s.fstype === 'overlay')).toBe(true)
    expect(p.child.slice(0, wait).some((s) => s.op === 'mount' && s.fstype === 'proc')).toBe(true)
    expect(p.child.slice(wait).some((s) => s.op === 'exec')).toBe(true)
    // the trampoline keeps the pipe for the stage instead of waiting on it
    expect(p.host.find((s) => s.kind === 'clone')).toMatchObject({ keep: expect.arrayContaining([{ slot: 'sync' }]) })
    expect(p.host.slice(-2)).toMatchObject([{ kind: 'network', section: 'overlap' }, { kind: 'sync', section: 'overlap' }])
    expect(p.host.at(-1)!.why).toBe(`the child waits for it at step ${wait + 1}, having run the steps before it meanwhile`)

    // the child waits for everything at its clone: no network, a user namespace, a monitor as its parent, a v1 cgroup to join
    const waitsAtClone = (q: StartPlan) => !q.child.some((s) => s.op === 'sync_wait') && q.host.at(-1)!.section === 'handshake'
    expect(waitsAtClone(plan({ mounts }))).toBe(true)
    expect(waitsAtClone(plan({ mounts }, { network: { ...network, mode: 'none' } }))).toBe(true)
    expect(waitsAtClone(plan({ mounts, idMaps: { uid: [{ containerID: 0, hostID: 1000, size: 1 }], gid: [{ containerID: 0, hostID: 1000, size: 1 }] } }, { network }))).toBe(true)
    expect(waitsAtClone(plan({ mounts }, { network, via: { monitor: { log: '/l', exitFile: '/e', logMaxSize: 0, logMaxFile: 1, exitCommand: [] } } as unknown as PlanInput['via'] }))).toBe(true)
    expect(waitsAtClone(plan({ mounts }, { network, cgroupV1: [{ controller: 'memory', path: '/sys/fs/cgroup/memory/x' }] as PlanInput['cgroupV1'] }))).toBe(true)
    // none of its files bound (volumes over them, a --rootfs without them): it waits right after the mounts
    const own = plan({}, { network })
    const at = own.child.findIndex((s) => s.op === 'sync_wait')
    expect(own.child[at - 1]!.section).toBe('mounts')
    expect(own.child[at + 1]!.section).toBe('switch-root')
  })

  it('opens a pty before dropping privileges and forks an init just before exec', () => {
    const p = plan({ tty: true, consoleSize: { height: 40, width: 120 } }, { init: true })
    const names = p.child.map((s) => s.op)
    expect(names.indexOf('open_pty')).toBe(names.indexOf('setsid') + 1)
    // the socket is a slot: its fd is known only when the program is encoded
    expect(p.child.find((s) => s.op === 'open_pty')).toMatchObject({ socket: { slot: 'pty-socket' }, rows: 40, cols: 120 })
    expect(p.host.find((s) => s.kind === 'socketpair')).toMatchObject({ slot: 'pty-socket', peer: 'pty-receiver' })
    expect(p.host.find((s) => s.kind === 'clone')).toMatchObject({ keep: [{ slot: 'pty-socket' }], peer: { slot: 'pty-receiver' } })
    expect(names.slice(-3)).toEqual(['close_fds', 'fork_init', 'exec'])
    const exec = p.child.at(-1)
    expect(exec?.op === 'exec' && exec.env).toContain('TERM=xterm')
  })

  it('binds a --rootfs directory onto itself, then remounts it nodev (and read-only, last, on request)', () => {
    const spec = buildSpec({ id: 'x'.repeat(64), rootfsPath: '/r', command: ['true'], passwd: [], groups: [], readOnly: true })
    const p = planStart({ spec, rootfs: { kind: 'directory' }, setgroupsAllowed: true, pathKind: hostKinds })
    expect(p.child.slice(1, 3)).toMatchObject([
      { op: 'mount', source: '/r', target: '/r', flags: 4096 },
      { op: 'mount', target: '/r', flags: 4096 | 32 | 4, keepLocked: true },
    ])
    const i = p.child.findIndex((s) => s.op === 'mount' && s.target === '/' && (s.flags & 1) === 1)
    expect(i).toBeGreaterThan(p.child.findIndex((s) => s.op === 'pivot_root'))
  })

  it('makes the overlay rootfs read-only after the pivot with --read-only', () => {
    const p = plan({ readOnly: true })
    const i = p.child.findIndex((s) => s.op === 'mount' && s.target === '/' && (s.flags & 1) === 1)
    expect(i).toBeGreaterThan(p.child.findIndex((s) => s.op === 'pivot_root'))
  })
})

describe('a bind of a file', () => {
  it('makes the directory of its mount point first (a scratch image has no /etc; -v FILE:/new/dir/file)', () => {
    const mounts = volumesFromFlags({ volumes: ['/srv/app.conf:/new/dir/app.conf:ro'] }, '/')
    const p = plan({ mounts: mounts.map((v) => v.mount) }, { pathKind: (path) => (path === '/srv/app.conf' ? 'file' : hostKinds(path)) })
    const at = p.child.findIndex((s) => s.op === 'mkdir' && s.path === '/new/dir')
    expect(ops(p.child.slice(at, at + 3))).toEqual(['mkdir /c/rootfs/new/dir', 'mkfile /c/rootfs/new/dir/app.conf', 'mount /srv/app.conf on /c/rootfs/new/dir/app.conf'])
  })
})

describe('the fds a child step names', () => {
  // Every { slot } a child step refers to must be an fd the child inherits:
  // a table entry without `slots` (child-kinds.ts) would leave the child a
  // number that names nothing (OCI create's exec FIFO did once).
  const slotsIn = (value: unknown): string[] =>
    value && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => (k === 'slot' && typeof v === 'string' ? [v] : slotsIn(v)))
      : []
  it.each([
    ['an image with a terminal', plan({ tty: true })],
    ['idmapped layers', plan({ idMaps: { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }] } }, {
      rootfs: { ...overlay, idmapped: { mountDir: '/c/lower' } },
    })],
    ['OCI create (the exec FIFO)', plan({}, { startGate: { fifo: '/run/x/exec.fifo' } })],
  ])('are all kept by the clone: %s', (_what, p) => {
    const clone = p.host.find((s) => s.kind === 'clone')
    const kept = clone?.kind === 'clone' ? clone.keep.map((k) => k.slot) : []
    const named = [...new Set(p.child.flatMap((step) => slotsIn(step)))]
    expect(named.length).toBeGreaterThan(0)
    expect(kept.sort()).toEqual(named.sort())
  })
})
