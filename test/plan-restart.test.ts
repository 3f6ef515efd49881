// A start of a container that exists (start after create, a restart): its
// plan comes again from what the state recorded, and makes nothing twice.
// And the view of a stopped container's files for cp. Pure: no root.
import { describe, expect, it } from 'vitest'
import { describeStep } from '../src/runtime/plan/child-kinds.js'
import { planStart, type PlanInput, type RootfsSource } from '../src/runtime/plan/plan-start.js'
import { planRootfsView } from '../src/runtime/plan/plan-view.js'
import { replanInput, type StartInput } from '../src/runtime/container/start-input.js'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { volumesFromFlags } from '../src/runtime/spec/volumes.js'

const overlay: RootfsSource = {
  kind: 'overlay', layersDir: '/s/layers', lowerDirs: ['b/fs', 'a/fs'], upperDir: '/c/upper', workDir: '/c/work', userxattr: false,
}
const pathKind: PlanInput['pathKind'] = () => 'dir'
const spec = (o: Partial<Parameters<typeof buildSpec>[0]> = {}) =>
  buildSpec({ id: 'abcdef0123456789', rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], cgroup2: true, ...o })
const monitor = { log: '/st/x/container.log', exitFile: '/st/x/exit.json', logMaxSize: 20_000_000, logMaxFile: 5, interactive: false, attachSocket: '/st/x/attach' }

const input = (s = spec()): StartInput => ({
  rootfs: overlay,
  writableLayer: { containerDir: '/c', upperMode: 0o755, upperOwner: { uid: 0, gid: 0 } },
  cgroupPath: '/cg/mini-run/x',
  cgroupMount: '/cg',
  init: false,
  setgroupsAllowed: true,
  volumes: { storeRoot: '/s', stateRoot: '/st', container: 'x', volumes: [{ name: 'v', destination: '/data', anonymous: true, nocopy: false }] },
  createSources: ['/definitely/not/here/mini-run-test'],
  via: { monitor: { ...monitor, waitAttach: true } },
})

describe('a start planned again', () => {
  it('the first start makes the writable layer and claims the volumes; a later one does neither', () => {
    const s = spec()
    const first = planStart({ ...replanInput(input(s), s, pathKind), made: false, bindSources: [] })
    expect(first.host.map((h) => h.kind)).toEqual(['private_dir', 'mkdir', 'mkdir', 'mkdir', 'mkdir', 'volumes', 'cgroup_leaf', 'clone', 'sync'])
    const again = planStart(replanInput(input(s), s, pathKind))
    // a -v source removed since is made again, as Docker does at every start
    expect(again.host.map((h) => h.kind)).toEqual(['bind_source', 'cgroup_leaf', 'clone', 'sync'])
    expect(again.host[0]).toMatchObject({ path: '/definitely/not/here/mini-run-test' })
    // the child's half is the same
    expect(again.child.map(describeStep)).toEqual(first.child.map(describeStep))
  })

  it('runs under a monitor, which holds the output only when this start asks', () => {
    const s = spec()
    const clone = (p: ReturnType<typeof planStart>) => p.host.find((h) => h.kind === 'clone')
    expect(clone(planStart(replanInput(input(s), s, pathKind)))).toMatchObject({ via: { monitor } })
    expect((clone(planStart(replanInput(input(s), s, pathKind))) as { via: { monitor: object } }).via.monitor).not.toHaveProperty('waitAttach')
    expect(clone(planStart(replanInput(input(s), s, pathKind, { waitAttach: true })))).toMatchObject({ via: { monitor: { ...monitor, waitAttach: true } } })
  })

  it('--userns=auto: the idmapped layers are opened again at every start (an fd lives one start), their mount points are not made again', () => {
    const idmapped: RootfsSource = { ...overlay, idmapped: { mountDir: '/c/lower' } }
    const s = spec({ idMaps: { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }] } })
    const again = planStart(replanInput({ ...input(s), rootfs: idmapped, volumes: undefined, createSources: [] }, s, pathKind))
    expect(again.host.map((h) => h.kind)).toEqual(['idmapped_mount', 'idmapped_mount', 'cgroup_leaf', 'clone', 'proc_write', 'proc_write', 'sync'])
    expect(again.host[0]).toMatchObject({ source: '/s/layers/b/fs', slot: 'layer-0' })
  })
})

describe('the view of a stopped container\'s files (cp)', () => {
  it('mounts its root filesystem and bind mounts in a mount namespace of its own, and nothing else', () => {
    const s = spec({ mounts: volumesFromFlags({ volumes: ['/host/dir:/in'], tmpfs: ['/scratch'] }).map((v) => v.mount) })
    const p = planRootfsView({ spec: s, rootfs: { ...overlay, idmapped: { mountDir: '/c/lower' } }, pathKind })
    expect(p.child.at(-1)).toMatchObject({ op: 'exec', args: ['sleep', 'infinity'] })
    expect(p.host.map((h) => h.kind)).toEqual(['clone', 'sync'])
    expect(p.host[0]).toMatchObject({ flags: 0x00020000, keep: [], via: { runtime: true } })
    expect(p.child.map(describeStep)).toEqual([
      'pdeathsig', 'mount none on /', 'chdir /s/layers', 'mount overlay on /c/rootfs',
      // the bind as the container has it: its flags (nosuid, nodev...) and propagation
      'mkdir /c/rootfs/in', 'mount /host/dir on /c/rootfs/in', 'remount /c/rootfs/in', 'mount none on /c/rootfs/in', 'close_fds', 'exec "sleep"',
    ])
    // rootless: the caller's user namespace, as the container had it
    const rootless = planRootfsView({ spec: s, rootfs: overlay, pathKind, userns: true })
    expect(rootless.host.map((h) => h.kind)).toEqual(['clone', 'proc_write', 'proc_write', 'proc_write', 'sync'])
  })
})
