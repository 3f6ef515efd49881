// exec's plan is a pure function of the recorded spec and the container's
// process: pinned here without root. The namespaces are joined through a
// pidfd the runtime opens and checks (a host step), in one setns, never
// through /proc/<pid>/ns/ paths (a pid may be reused).
import { describe, expect, it } from 'vitest'
import { buildSpec, type ContainerOptions } from '../src/runtime/spec/container-spec.js'
import { describeStep } from '../src/runtime/plan/child-kinds.js'
import { encodeProgram } from '../src/runtime/plan/encode-program.js'
import { formatPlan } from '../src/runtime/plan/explain.js'
import { planExec } from '../src/runtime/plan/plan-exec.js'
import { Op } from '../src/runtime/plan/step-codes.js'

const CLONE_NEWNS = 0x00020000
const CLONE_NEWCGROUP = 0x02000000
const CLONE_NEWUTS = 0x04000000
const CLONE_NEWIPC = 0x08000000
const CLONE_NEWUSER = 0x10000000
const CLONE_NEWPID = 0x20000000
const CLONE_NEWNET = 0x40000000

function plan(options: Partial<ContainerOptions> = {}) {
  const spec = buildSpec({
    id: 'abcdef0123456789', rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], cgroup2: true, ...options,
  })
  return planExec({ spec, container: 'abcdef0123456789', pid: 4321, startTime: '777', process: { ...spec.process, args: ['id'] }, setgroupsAllowed: true, cgroupPath: '/cg/x' })
}

describe('planExec', () => {
  it('opens the container\'s process and cgroup, then clones into no new namespace', () => {
    const p = plan()
    expect(p.host.map((s) => s.kind)).toEqual(['pidfd', 'cgroup_open', 'clone', 'sync'])
    expect(p.host[0]).toMatchObject({ pid: 4321, startTime: '777', slot: 'container' })
    expect(p.host[2]).toMatchObject({ flags: 0, cgroup: { slot: 'cgroup' }, keep: [{ slot: 'container' }] })
  })

  it('joins every namespace of the container with one setns through the pidfd, then forks into the PID namespace', () => {
    const p = plan()
    expect(p.child[0]).toMatchObject({
      op: 'setns', pidfd: { slot: 'container' },
      nstype: CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP,
    })
    expect(p.child.filter((s) => s.op === 'setns')).toHaveLength(1)
    expect(p.child.map(describeStep)).toEqual([
      'setns container',
      'setsid', 'chdir /', 'cap_bounding', 'setgroups [0]', 'setresgid 0', 'setresuid 0', 'capset', 'cap_ambient', 'no_new_privs', 'seccomp',
      'close_fds', 'fork_init', 'exec "id"',
    ])
  })

  it('joins only the namespaces the container has of its own: not the host\'s PID namespace with --pid host', () => {
    const [setns] = plan({ hostNamespaces: ['pid'] }).child
    expect(setns).toMatchObject({ op: 'setns', nstype: CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWCGROUP })
  })

  it('includes a user namespace in the same setns (the kernel joins it first)', () => {
    const [setns] = plan({ idMaps: { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }] } }).child
    expect(setns?.op === 'setns' && setns.nstype & CLONE_NEWUSER).toBe(CLONE_NEWUSER)
  })

  it('encodes the setns as the pidfd\'s number and the flags', () => {
    const p = plan()
    const program = encodeProgram(p.child.slice(0, 1), new Map([['container', 17]]))
    // "MRS1", 1 step; op, flags, argc 2; two 8-byte numbers, each NUL-terminated
    expect(program.readUInt16LE(8)).toBe(Op.SETNS)
    expect(program.readUInt32LE(12)).toBe(2)
    expect(program.readUInt32LE(16)).toBe(8)
    expect(program.readBigUInt64LE(20)).toBe(17n)
    expect(program.readUInt32LE(29)).toBe(8)
    const setns = p.child[0]!
    expect(program.readBigUInt64LE(33)).toBe(BigInt(setns.op === 'setns' ? setns.nstype : -1))
    expect(program.length).toBe(42)
  })

  it('explains the pidfd: checked by the runtime, kept for the child', () => {
    const text = formatPlan(plan(), 'exec')
    expect(text).toContain('P1. pidfd_open 4321 as <container>, then check that it is still the process started at tick 777')
    expect(text).toContain('P3. clone3 no new namespace CLONE_INTO_CGROUP <cgroup>; the child keeps <container>')
    expect(text).toContain(' 1. setns <container> CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWCGROUP')
    expect(text).not.toContain('/proc/4321/ns/')
  })
})
