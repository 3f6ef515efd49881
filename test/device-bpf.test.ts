// The cgroup v2 device cgroup (issue 11): OCI device rules as an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE. Its decisions are checked
// on a small eBPF interpreter against the rule semantics (the last
// matching rule wins); then the kernel loads it, and a process of a cgroup
// it is attached to may open what it allows and nothing else.
import { spawnSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as isolationCalls from '../src/native/isolation-calls.js'
import { ALWAYS_ALLOWED_DEVICES, deviceAllowed } from '../src/runtime/cgroup/cgroup-devices.js'
import type { SpecDeviceRule } from '../src/runtime/cgroup/cgroup-limits.js'
import { ownCgroups } from '../src/runtime/cgroup/cgroup-v1.js'
import { findCgroup2Mount } from '../src/runtime/cgroup/cgroup.js'
import { deviceFilterProgram } from '../src/runtime/cgroup/device-bpf.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import type { Spec } from '../src/runtime/spec/spec.js'
import { isRoot } from './helpers/test-env.js'

/** Run the program on bpf_cgroup_dev_ctx { access_type, major, minor } as the kernel would, for the opcodes it uses. */
function decide(program: Buffer, type: 'b' | 'c', access: number, major: number, minor: number): number {
  const ctx = [((access << 16) | (type === 'b' ? 1 : 2)) >>> 0, major, minor]
  const r = new Array<number>(11).fill(0)
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt8(pc * 8)
    const regs = program.readUInt8(pc * 8 + 1)
    const dst = regs & 0xf
    const src = regs >> 4
    const off = program.readInt16LE(pc * 8 + 2)
    const imm = program.readInt32LE(pc * 8 + 4)
    switch (code) {
      case 0x61: // ldxw dst, [src + off]: the context's u32 fields
        expect(src).toBe(1)
        r[dst] = ctx[off / 4]!
        break
      case 0x54: r[dst] = (r[dst]! & imm) >>> 0; break
      case 0x74: r[dst] = r[dst]! >>> imm; break
      case 0xb4: r[dst] = imm >>> 0; break
      case 0xbc: r[dst] = r[src]!; break
      case 0x15: if (r[dst] === imm >>> 0) pc += off; break
      case 0x55: if (r[dst] !== imm >>> 0) pc += off; break
      case 0x95: return r[0]!
      default: throw new Error(`opcode ${code.toString(16)} at ${pc}`)
    }
  }
  throw new Error('fell off the end')
}

const M = 1
const R = 2
const W = 4

describe('the device program\'s decisions', () => {
  const podman: SpecDeviceRule[] = [{ allow: false, access: 'rwm' }, ...ALWAYS_ALLOWED_DEVICES]

  it('allows what the rules allow and refuses the rest, as the rule list reads (the last match wins)', () => {
    const p = deviceFilterProgram(podman)
    expect(decide(p, 'c', R | W, 1, 3)).toBe(1) // /dev/null
    expect(decide(p, 'c', R | W, 136, 7)).toBe(1) // /dev/pts/7
    expect(decide(p, 'c', R, 10, 229)).toBe(0) // /dev/fuse: no rule
    expect(decide(p, 'b', R, 8, 0)).toBe(0) // /dev/sda
    expect(decide(p, 'b', M, 8, 0)).toBe(1) // mknod of anything, opening not
  })

  it('agrees with the rule semantics on every single access, for several rule lists', () => {
    const lists: SpecDeviceRule[][] = [
      podman,
      [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }],
      [{ allow: false }, { allow: true, type: 'c', major: 10, access: 'r' }, { allow: false, type: 'c', major: 10, minor: 200 }],
      [],
    ]
    for (const rules of lists) {
      const p = deviceFilterProgram(rules)
      for (const type of ['b', 'c'] as const) {
        for (const [major, minor] of [[1, 3], [1, 5], [10, 200], [10, 229], [136, 0], [8, 0]] as const) {
          for (const [letter, bit] of [['r', R], ['w', W], ['m', M]] as const) {
            expect({ rules, type, major, minor, letter, allowed: decide(p, type, bit, major, minor) === 1 })
              .toEqual({ rules, type, major, minor, letter, allowed: deviceAllowed(rules, type, major, minor, letter) })
          }
        }
      }
    }
  })

  it('needs an allow rule to cover the whole access (open O_RDWR), and refuses on any bit a deny rule names', () => {
    const p = deviceFilterProgram([{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }])
    expect(decide(p, 'c', R, 1, 3)).toBe(1)
    expect(decide(p, 'c', R | W, 1, 3)).toBe(0)
    const q = deviceFilterProgram([{ allow: true }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }])
    expect(decide(q, 'c', R | W, 1, 3)).toBe(0)
    expect(decide(q, 'c', R, 1, 3)).toBe(1)
  })

  it('is in the plan, on the leaf, when there is no v1 devices hierarchy to use', () => {
    const spec = {
      ociVersion: '1.2.0', process: { args: ['true'], env: [], cwd: '/', user: { uid: 0, gid: 0 } }, root: { path: '/r' }, mounts: [],
      linux: { namespaces: [{ type: 'mount' }], resources: { devices: podman } },
    } as Spec
    const plan = planStart({ spec, rootfs: { kind: 'directory' }, cgroupPath: '/sys/fs/cgroup/c1', cgroupMount: '/sys/fs/cgroup', setgroupsAllowed: true, pathKind: () => 'dir', deviceFilter: true, deviceCgroup: true })
    expect(plan.host.map((s) => s.kind).slice(0, 2)).toEqual(['cgroup_leaf', 'device_filter'])
    expect(plan.host[1]).toMatchObject({ slot: 'cgroup', rules: podman.length, program: deviceFilterProgram(podman) })
  })
})

const v2 = findCgroup2Mount()
describe.skipIf(!isRoot || !v2)('the device program in the kernel', () => {
  it('loads, attaches, and a process of the cgroup may open /dev/null but not /dev/zero', () => {
    const cg = join(v2!, ownCgroups().v2, `mini-run-device-bpf-test-${process.pid}`)
    mkdirSync(cg)
    try {
      const fd = openSync(cg, 'r')
      try {
        isolationCalls.bpfDeviceFilter(deviceFilterProgram([{ allow: false, access: 'rwm' }, ...ALWAYS_ALLOWED_DEVICES.filter((d) => !(d.major === 1 && d.minor === 5))]), fd)
      } finally {
        closeSync(fd)
      }
      const r = spawnSync('/bin/sh', ['-c', `echo $$ > ${cg}/cgroup.procs && cat /dev/null && echo null-ok; head -c1 /dev/zero >/dev/null && echo zero-ok; true`], { encoding: 'utf8' })
      expect(r.stdout).toBe('null-ok\n')
      expect(r.stderr).toMatch(/\/dev\/zero.*Operation not permitted/)
    } finally {
      rmdirSync(cg)
    }
  })

  it('refuses what the verifier refuses, with the errno', () => {
    const cg = join(v2!, ownCgroups().v2)
    const fd = openSync(cg, 'r')
    try {
      // no exit: the verifier rejects it
      expect(() => isolationCalls.bpfDeviceFilter(Buffer.from([0xb4, 0, 0, 0, 0, 0, 0, 0]), fd)).toThrow(/bpf: (Invalid argument|Permission denied)/)
    } finally {
      closeSync(fd)
    }
  })
})
