// --pid container:X and --ipc container:X as a plan, without root: the
// start plan's joins (a pidfd of X's process found at each start, the
// setns steps first, the fork into a joined PID namespace before /proc is
// mounted, no such namespace of its own in the clone), exec of a PID
// joiner (X's namespace, not the relay's), what is refused before X is
// looked up, and --pid/--ipc's modes; an IPC joiner's /dev/shm, X's.
import { describe, expect, it } from 'vitest'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { planStart, type PlanInput, type RootfsSource } from '../src/runtime/plan/plan-start.js'
import { describeStep, explainStep } from '../src/runtime/plan/child-kinds.js'
import { encodeProgram } from '../src/runtime/plan/encode-program.js'
import { Op } from '../src/runtime/plan/step-codes.js'
import { explainHostStep } from '../src/runtime/plan/host-kinds.js'
import { planExec } from '../src/runtime/plan/plan-exec.js'
import { joinedNamespacesOf } from '../src/runtime/container/container-namespaces.js'
import { sharedNamespaces } from '../src/runtime/spec/host-namespaces.js'
import { recordingHost } from './helpers/recording-host.js'
import { runHostSteps } from '../src/runtime/process/run-host-steps.js'

const X = 'f'.repeat(64)
const W = 'e'.repeat(64)
const overlay: RootfsSource = { kind: 'overlay', layersDir: '/s/layers', lowerDirs: ['a/fs'], upperDir: '/c/upper', workDir: '/c/work', userxattr: false }
const CLONE_NEWPID = 0x20000000
const CLONE_NEWIPC = 0x08000000

function joinedPlan(input: Partial<PlanInput> = {}) {
  const spec = buildSpec({ id: 'a'.repeat(64), rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [] })
  return { spec, plan: planStart({ spec, rootfs: overlay, setgroupsAllowed: true, pathKind: () => 'file', ...input }) }
}

describe('planStart of a container that joins another\'s PID and IPC namespaces', () => {
  it('opens X\'s process for each, first; clones without CLONE_NEWPID and CLONE_NEWIPC; joins, then forks into the PID namespace before any mount', () => {
    const { plan } = joinedPlan({ joins: { pid: { id: X, ref: 'web', stateRoot: '/state' }, ipc: { id: W, ref: 'db', stateRoot: '/state' } }, cgroupPath: '/cg/x' })
    expect(plan.host.map((s) => s.kind)).toEqual(['container_process', 'container_process', 'cgroup_leaf', 'clone', 'sync'])
    expect(plan.host[0]).toMatchObject({ kind: 'container_process', stateRoot: '/state', container: W, ref: 'db', slot: 'ipc-of', namespace: 'ipc' })
    expect(plan.host[1]).toMatchObject({ kind: 'container_process', stateRoot: '/state', container: X, ref: 'web', slot: 'pid-of', namespace: 'pid' })
    expect(explainHostStep(plan.host[1]!)).toBe(`read /state/${X}/state.json: refuse unless container web runs; pidfd_open its process as <pid-of>, then check that it is still the process started at the tick recorded`)
    const clone = plan.host.find((s) => s.kind === 'clone')!
    // CLONE_NEWNET|NEWUTS|NEWNS|NEWCGROUP: neither CLONE_NEWPID nor CLONE_NEWIPC
    expect(clone).toMatchObject({ flags: 0x40000000 | 0x04000000 | 0x00020000 | 0x02000000, keep: [{ slot: 'ipc-of' }, { slot: 'pid-of' }] })
    expect(plan.child.slice(0, 3)).toMatchObject([
      { op: 'setns', pidfd: { slot: 'ipc-of' }, nstype: CLONE_NEWIPC, section: 'join' },
      { op: 'setns', pidfd: { slot: 'pid-of' }, nstype: CLONE_NEWPID, section: 'join' },
      { op: 'fork_relay', section: 'join' },
    ])
    const ops = plan.child.map(describeStep)
    // /proc, and the mqueue of X's IPC namespace, are mounted by the forked child
    expect(ops.indexOf('fork_relay')).toBeLessThan(ops.findIndex((o) => o.startsWith('mount proc')))
    // it is not PID 1 of X's namespace: no init of its own unless --init
    expect(ops).not.toContain('fork_init')
    expect(joinedPlan({ joins: { pid: { id: X, ref: 'web', stateRoot: '/state' } }, init: true }).plan.child.map(describeStep).filter((o) => o.startsWith('fork'))).toEqual(['fork_relay', 'fork_init'])
  })

  it('an IPC join alone needs no fork: setns moves the caller itself', () => {
    const { plan } = joinedPlan({ joins: { ipc: { id: X, ref: 'web', stateRoot: '/state' } } })
    expect(plan.child.map(describeStep).filter((o) => o.startsWith('fork') || o.startsWith('setns'))).toEqual(['setns ipc-of'])
    expect(plan.host.find((s) => s.kind === 'clone')).toMatchObject({ flags: CLONE_NEWPID | 0x40000000 | 0x04000000 | 0x00020000 | 0x02000000 })
  })

  it('an IPC joiner binds X\'s /dev/shm, cloned from inside X\'s mount namespace through the same pidfd, in place of a tmpfs of its own', () => {
    const shmSteps = (plan: ReturnType<typeof joinedPlan>['plan']) =>
      plan.child.filter((s) => (s.op === 'mkdir' && s.path === '/dev/shm') || ((s.op === 'mount' || s.op === 'bind_from') && s.target === '/dev/shm'))
    const { plan } = joinedPlan({ joins: { ipc: { id: X, ref: 'web', stateRoot: '/state' } } })
    expect(shmSteps(plan)).toEqual([
      expect.objectContaining({ op: 'mkdir', root: '/c/rootfs', path: '/dev/shm', section: 'mounts' }),
      expect.objectContaining({ op: 'bind_from', pidfd: { slot: 'ipc-of' }, container: 'web', source: '/dev/shm', fstype: 'tmpfs', root: '/c/rootfs', target: '/dev/shm', section: 'mounts' }),
    ])
    const bind = shmSteps(plan)[1]!
    expect(explainStep(bind)).toBe('setns <ipc-of> CLONE_NEWNS; open_tree /dev/shm OPEN_TREE_CLONE (no symlink followed, refused unless a tmpfs); setns back; move_mount the clone to /c/rootfs/dev/shm')
    expect(describeStep({ ...bind, root: undefined } as typeof bind)).toBe('bind /dev/shm of container web on /dev/shm')
    // encoded for native/stage-ns.c: the pidfd's number, the path, TMPFS_MAGIC, root, target
    const program = encodeProgram([bind], new Map([['ipc-of', 7]]))
    expect(program.readUInt16LE(8)).toBe(Op.BIND_FROM)
    expect(program.includes(Buffer.from([0x94, 0x19, 0x02, 0x01, 0, 0, 0, 0]))).toBe(true)
    // the clone keeps the pidfd for it (one fd: the setns step names it too)
    expect(plan.host.find((s) => s.kind === 'clone')).toMatchObject({ keep: [{ slot: 'ipc-of' }] })
    // without the join, or with a /dev/shm of the user's, a tmpfs of its own
    expect(shmSteps(joinedPlan().plan).map((s) => s.op)).toEqual(['mkdir', 'mount'])
    const spec = buildSpec({ id: 'a'.repeat(64), rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], mounts: [{ destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }] })
    const own = planStart({ spec, rootfs: overlay, setgroupsAllowed: true, pathKind: () => 'file', joins: { ipc: { id: X, ref: 'web', stateRoot: '/state' } } })
    expect(shmSteps(own).map((s) => s.op)).toEqual(['mkdir', 'mount'])
  })

  it('keeps both namespaces in the spec (exec joins the container\'s); exec of a PID joiner joins X\'s PID namespace through X\'s pidfd', () => {
    const { spec } = joinedPlan({ joins: { pid: { id: X, ref: 'web', stateRoot: '/state' } } })
    expect(spec.linux.namespaces.map((ns) => ns.type)).toEqual(expect.arrayContaining(['pid', 'ipc']))
    const exec = planExec({ spec, container: 'a'.repeat(64), pid: 42, startTime: '1', process: spec.process, setgroupsAllowed: true, pidOf: { id: X, ref: 'web', stateRoot: '/state' } })
    expect(exec.host.map((s) => s.kind)).toEqual(['pidfd', 'container_process', 'clone', 'sync'])
    expect(exec.host[1]).toMatchObject({ container: X, slot: 'pid-of', namespace: 'pid' })
    expect((exec.child[0] as { nstype: number }).nstype & CLONE_NEWPID).toBe(0)
    expect(exec.child[1]).toMatchObject({ op: 'setns', pidfd: { slot: 'pid-of' }, nstype: CLONE_NEWPID })
  })

  it('hands the namespace to the host, whose refusal names it', async () => {
    const { plan } = joinedPlan({ joins: { pid: { id: X, ref: 'web', stateRoot: '/state' } } })
    const host = recordingHost()
    await runHostSteps(plan, host, { stdio: [0, 1, 2] }).catch(() => undefined)
    expect(host.calls.find((c) => c.call === 'openRunningContainer')?.args).toEqual(['/state', X, 'web', 'pid'])
  })
})

describe('joinedNamespacesOf and sharedNamespaces: the modes, and what is refused before X is looked up', () => {
  const of = (o: Parameters<typeof joinedNamespacesOf>[0], root = true) => () => joinedNamespacesOf(o, '/nonexistent', root)
  it('refuses an empty name, rootless and --userns=auto in one line each; other modes are none of its business', () => {
    expect(of({ pid: 'container:' })).toThrow(/^--pid: invalid PID mode$/)
    expect(of({ ipc: 'container:' })).toThrow(/^--ipc: invalid IPC mode$/)
    expect(of({ pid: 'container:web' }, false)).toThrow(/^--pid container:web: a rootless container cannot join another's PID namespace: each has its own user namespace, which owns its PID namespace$/)
    expect(of({ ipc: 'container:web', userns: 'auto' })).toThrow(/^--ipc container:web needs the host's user namespace: not with --userns=auto$/)
    expect(of({ pid: 'container:web' })).toThrow(/^no such container: web$/)
    expect(joinedNamespacesOf({ pid: 'host', ipc: 'shareable' }, '/nonexistent', false)).toBeUndefined()
  })

  it('container:NAME is a mode of --pid and --ipc, not of --uts; the unsupported-mode line names it', () => {
    expect(sharedNamespaces({ pid: 'container:web', ipc: 'container:web' })).toEqual([])
    expect(() => sharedNamespaces({ pid: 'nope' })).toThrow(/^--pid nope is not supported: use private or host or container:NAME$/)
    expect(() => sharedNamespaces({ uts: 'container:web' })).toThrow(/^--uts container:web is not supported: use private or host$/)
  })
})
