// The runtime's side of a start, without root: the host steps a plan holds
// and what the interpreter does with them, recorded by a Host double.
import { describe, expect, it } from 'vitest'
import { decodeProgram } from './helpers/decode-program.js'
import { recordingHost } from './helpers/recording-host.js'
import { planStart, type PlanInput } from '../src/runtime/plan/plan-start.js'
import type { StartPlan } from '../src/runtime/plan/steps.js'
import { runHostSteps } from '../src/runtime/process/run-host-steps.js'
import { buildSpec, type ContainerOptions } from '../src/runtime/spec/container-spec.js'

const C = '/store/containers/c0ffee'
const idMaps = { uid: [{ containerID: 0, hostID: 1879048192, size: 65536 }], gid: [{ containerID: 0, hostID: 1879048192, size: 65536 }] }

function plan(options: Partial<ContainerOptions> = {}, input: Partial<PlanInput> = {}): StartPlan {
  const spec = buildSpec({ id: 'c0ffee', rootfsPath: `${C}/rootfs`, image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], cgroup2: true, ...options })
  return planStart({
    spec,
    rootfs: { kind: 'overlay', layersDir: '/store/layers', lowerDirs: ['b/fs', 'a/fs'], upperDir: `${C}/upper`, workDir: `${C}/work`, userxattr: false },
    writableLayer: { containerDir: C, upperMode: 0o755, upperOwner: { uid: 0, gid: 0 } },
    cgroupPath: '/cg/mini-run/c0ffee',
    cgroupMount: '/cg',
    setgroupsAllowed: true,
    pathKind: () => 'dir',
    ...input,
  })
}

/** Freeze the plan, to the last step: the interpreter must never patch it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

describe('the host steps of a start', () => {
  it('make the writable layer, the cgroup leaf and its limits, then clone, then sync', () => {
    const p = plan({ resources: { pids: { limit: 64 } } })
    expect(p.host.map((s) => `${s.kind} ${'path' in s ? s.path : ''}`.trim())).toEqual([
      'private_dir /store/containers', `mkdir ${C}`, `mkdir ${C}/work`, `mkdir ${C}/rootfs`, `mkdir ${C}/upper`,
      'cgroup_leaf /cg/mini-run/c0ffee', 'cgroup_enable', 'cgroup_enable', 'cgroup_write /cg/mini-run/c0ffee/pids.max', 'clone', 'sync',
    ])
    // pids is delegated from the v2 root down to mini-run's parent, for the leaf to have it
    expect(p.host.filter((s) => s.kind === 'cgroup_enable')).toMatchObject([{ dir: '/cg', controllers: ['pids'] }, { dir: '/cg/mini-run', controllers: ['pids'] }])
    expect(p.host.map((s) => s.section)).toEqual([...Array(9).fill('prepare'), 'clone', 'handshake'])
  })

  it('under --userns=auto: idmapped layers in slots that the child attaches, its own dirs, then the maps', () => {
    const p = plan(
      { idMaps },
      {
        rootfs: { kind: 'overlay', layersDir: '/store/layers', lowerDirs: ['b/fs', 'a/fs'], upperDir: `${C}/upper`, workDir: `${C}/work`, userxattr: true, idmapped: { mountDir: `${C}/lower` } },
        writableLayer: { containerDir: C, upperMode: 0o755, upperOwner: { uid: 1879048192, gid: 1879048192 }, owner: { uid: 1879048192, gid: 1879048192 } },
      },
    )
    const idmapped = p.host.filter((s) => s.kind === 'idmapped_mount')
    expect(idmapped).toMatchObject([{ source: '/store/layers/b/fs', slot: 'layer-0' }, { source: '/store/layers/a/fs', slot: 'layer-1' }])
    expect(p.child.filter((s) => s.op === 'move_mount')).toMatchObject([
      { fd: { slot: 'layer-0' }, target: `${C}/lower/0` },
      { fd: { slot: 'layer-1' }, target: `${C}/lower/1` },
    ])
    expect(p.host.find((s) => s.kind === 'mkdir' && s.path === C)).toMatchObject({ owner: { uid: 1879048192 } })
    expect(p.host.find((s) => s.kind === 'clone')).toMatchObject({ keep: [{ slot: 'layer-0' }, { slot: 'layer-1' }] })
    expect(p.host.slice(-3).map((s) => (s.kind === 'proc_write' ? s.file : s.kind))).toEqual(['uid_map', 'gid_map', 'sync'])
  })
})

describe('runHostSteps, through a recording Host', () => {
  it('carries a plan out in order, fills the slots at the clone, and closes what the child inherited', async () => {
    const p = deepFreeze(plan({ idMaps, tty: true }, {
      rootfs: { kind: 'overlay', layersDir: '/store/layers', lowerDirs: ['a/fs'], upperDir: `${C}/upper`, workDir: `${C}/work`, userxattr: true, idmapped: { mountDir: `${C}/lower` } },
    }))
    const host = recordingHost()
    const launched = await runHostSteps(p, host, { stdio: [0, 1, 2] })
    expect(await launched.started).toBeNull()
    expect(launched.pid).toBe(4242)
    const calls = host.calls.map((c) => c.call)
    expect(calls.slice(0, 8)).toEqual(['ensurePrivateDir', 'mkdir', 'mkdir', 'mkdir', 'mkdir', 'mkdir', 'mkdir', 'idmappedMount'])
    expect(calls.slice(calls.indexOf('spawn') - 4, calls.indexOf('spawn'))).toEqual(['pipe', 'pipe', 'memfd', 'stage'])
    // the program names the slots by the fds they got: layer-0 is fd 100, the pty socket's child end 103
    const program = decodeProgram(host.calls.find((c) => c.call === 'memfd')!.args[0] as Buffer)
    expect(program.find((s) => s.op === 'MOVE_MOUNT')?.args[0]).toBe(100n)
    expect(program.find((s) => s.op === 'OPEN_PTY')?.args[0]).toBe(103n)
    const spawn = host.calls.find((c) => c.call === 'spawn')!.args[1] as { keep: number[]; cgroup: number }
    expect(spawn.keep).toEqual([100, 103])
    expect(spawn.cgroup).toBe(101)
    // after the clone: the maps, then the sync byte; only the runtime's pty end stays open
    const after = host.calls.slice(calls.indexOf('spawn') + 1).filter((c) => c.call === 'writeFile' || c.call === 'write')
    expect(after.map((c) => c.args[0])).toEqual(['/proc/4242/uid_map', '/proc/4242/gid_map', expect.any(Number)])
    expect([...launched.resources.fds.keys()]).toEqual(['pty-receiver'])
    launched.resources.closeFds()
    expect(host.open()).toEqual([])
  })

  it('undoes what it made, in reverse, when a step before the clone fails, and names the step', async () => {
    const host = recordingHost()
    host.failOn('writeFile', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))
    const p = plan({ resources: { pids: { limit: 64 } } })
    // one line: the step, the errno's words (Node's message would repeat the path), the step's place in the plan
    await expect(runHostSteps(p, host, { stdio: [0, 1, 2] })).rejects.toThrow(/^write "64" to \/cg\/mini-run\/c0ffee\/pids\.max: Permission denied \(runtime step P9 of 11\)$/)
    const undo = host.calls.slice(host.calls.findIndex((c) => c.call === 'writeFile') + 1)
    expect(undo.map((c) => `${c.call} ${String(c.args[0])}`)).toEqual([
      'close 100', 'destroyCgroupLeaf /cg/mini-run/c0ffee',
      `removeTree ${C}/upper`, `removeTree ${C}/rootfs`, `removeTree ${C}/work`, `removeTree ${C}`,
    ])
    expect(host.calls.some((c) => c.call === 'spawn')).toBe(false)
  })

  it('hands the clone to a monitor for run -d, which keeps the pty socket', async () => {
    const monitor = { log: '/s/c0ffee/container.log', exitFile: '/s/c0ffee/exit.json', logMaxSize: 20_000_000, logMaxFile: 5, interactive: false }
    const p = plan({ tty: true }, { via: { monitor } })
    const host = recordingHost()
    const launched = await runHostSteps(p, host, { stdio: [0, 1, 2] })
    expect(launched.monitorPid).toBe(4241)
    const call = host.calls.find((c) => c.call === 'spawnMonitor')!
    expect(call.args[0]).toEqual(monitor)
    expect(call.args[3]).toBe(101) // the runtime's end of the pty socket (the cgroup leaf is 100) goes to the monitor
    expect(launched.resources.fds.size).toBe(0)
  })

  it('kills the child when a map cannot be written, and reports it once the child is gone', async () => {
    const host = recordingHost()
    const p = plan({ idMaps }, { cgroupPath: undefined })
    host.failOn('writeFile', Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' }))
    const launched = await runHostSteps(p, host, { stdio: [0, 1, 2] })
    await expect(launched.started).rejects.toThrow('write /proc/4242/uid_map: Operation not permitted (runtime step P7 of 9)')
    expect(host.calls.find((c) => c.call === 'kill')?.args).toEqual([4242, 'SIGKILL'])
  })

  it('says a child gone before its sync byte, without a report, was killed, and by which signal; it is not reaped here', async () => {
    const epipe = () => Object.assign(new Error('EPIPE: broken pipe, write'), { code: 'EPIPE' })
    const started = async (host: ReturnType<typeof recordingHost>, input: Partial<PlanInput> = {}) =>
      (await runHostSteps(plan({}, input), host, { stdio: [0, 1, 2] })).started.then((failure) => failure ?? undefined, (e: unknown) => e as { message: string; exitCode?: number; signal?: number })
    // SIGKILL (a cgroup.kill, the OOM killer): the wait status is the signal's number
    const killed = recordingHost({ exitStatus: 9 })
    killed.failOn('write', epipe())
    const err = await started(killed)
    expect(err?.message).toBe('sync with the child: the child was killed by SIGKILL (runtime step P8 of 8)')
    // a start that failed, as any other (125), its signal for whoever asks
    expect(err).toMatchObject({ signal: 9 })
    expect(err?.exitCode).toBeUndefined()
    // EPIPE is the child's doing: it is not killed again; its status is looked at, once, not reaped
    expect(killed.calls.some((c) => c.call === 'kill')).toBe(false)
    expect(killed.calls.filter((c) => c.call === 'peekExitStatus').map((c) => c.args)).toEqual([[4242]])
    // an exit of its own (no signal), or no status to see: the pipe's error as it was
    for (const exitStatus of [125 << 8, undefined]) {
      const host = recordingHost({ exitStatus })
      host.failOn('write', epipe())
      expect((await started(host))?.message).toBe('sync with the child: Broken pipe (runtime step P8 of 8)')
    }
    // its own report says why: that is the failure (a StepError the caller throws), whatever its status
    const reported = recordingHost({ exitStatus: 125 << 8, report: { step: 0, errno: 20 } })
    reported.failOn('write', epipe())
    expect((await started(reported))?.message).toMatch(/Not a directory/)
    // a monitor's child is not ours to look at
    const monitored = recordingHost({ exitStatus: 9 })
    monitored.failOn('write', epipe())
    const monitor = { log: '/s/c0ffee/container.log', exitFile: '/s/c0ffee/exit.json', logMaxSize: 20_000_000, logMaxFile: 5, interactive: false }
    expect((await started(monitored, { via: { monitor } }))?.message).toBe('sync with the child: Broken pipe (runtime step P8 of 8)')
    expect(monitored.calls.some((c) => c.call === 'peekExitStatus')).toBe(false)
  })

  it('hands the sync pipe to the stage when its program waits itself (a bridge network): the trampoline does not wait', async () => {
    const mounts = [{ destination: '/etc/hosts', type: 'bind', source: `${C}/hosts`, options: ['bind', 'rw'] }]
    const network = {
      mode: 'bridge' as const, attachments: [], ports: [], dnsServers: [], resolv: { nameservers: [], search: [], options: [] }, hostsExtra: [], hostsNames: [],
      hostname: 'c0ffee', files: { hosts: `${C}/hosts` }, mounts, explain: [],
    }
    const p = deepFreeze(plan({ mounts }, { network }))
    const host = recordingHost()
    const launched = await runHostSteps(p, host, { stdio: [0, 1, 2], network: { stateRoot: '/run/mr', id: 'c0ffee', name: 'n', save: () => undefined } })
    expect(await launched.started).toBeNull()
    const spawn = host.calls.find((c) => c.call === 'spawn')!.args[1] as { keep: number[]; sync: number }
    expect(spawn.sync).toBe(-1)
    // the first pipe made at the clone is the sync pipe (the recording host numbers fds in order): its read end is the one kept
    expect(spawn.keep).toHaveLength(1)
    const [syncRead] = spawn.keep as [number]
    const syncWrite = syncRead + 1
    const program = decodeProgram(host.calls.find((c) => c.call === 'memfd')!.args[0] as Buffer)
    expect(program.find((s) => s.op === 'SYNC_WAIT')?.args[0]).toBe(BigInt(syncRead))
    // the network, then the byte the stage waits for; the read end is closed here once the child has it
    const after = host.calls.slice(host.calls.findIndex((c) => c.call === 'spawn') + 1)
    expect(after.findIndex((c) => c.call === 'attachNetwork')).toBeLessThan(after.findIndex((c) => c.call === 'write' && c.args[0] === syncWrite))
    expect(after.some((c) => c.call === 'close' && c.args[0] === syncRead)).toBe(true)
  })

  it('kills the stage, which runs meanwhile, when the network cannot be attached; then reports the attach', async () => {
    const mounts = [{ destination: '/etc/hosts', type: 'bind', source: `${C}/hosts`, options: ['bind', 'rw'] }]
    const network = {
      mode: 'bridge' as const, attachments: [], ports: [], dnsServers: [], resolv: { nameservers: [], search: [], options: [] }, hostsExtra: [], hostsNames: [],
      hostname: 'c0ffee', files: { hosts: `${C}/hosts` }, mounts, explain: [],
    }
    const host = recordingHost()
    host.failOn('attachNetwork', new Error('netavark: the bridge is gone'))
    const launched = await runHostSteps(plan({ mounts }, { network, cgroupPath: undefined }), host, {
      stdio: [0, 1, 2], network: { stateRoot: '/run/mr', id: 'c0ffee', name: 'n', save: () => undefined },
    })
    await expect(launched.started).rejects.toThrow('netavark: the bridge is gone')
    expect(host.calls.find((c) => c.call === 'kill')?.args).toEqual([4242, 'SIGKILL'])
    // no byte for a stage that must not go on: its write end is closed, so a stage not yet killed reads end of file
    const syncWrite = (host.calls.find((c) => c.call === 'spawn')!.args[1] as { keep: number[] }).keep[0]! + 1
    expect(host.calls.some((c) => c.call === 'write' && c.args[0] === syncWrite)).toBe(false)
    expect(host.calls.some((c) => c.call === 'close' && c.args[0] === syncWrite)).toBe(true)
  })

  it('removes the writable layer on a thread, and the usual way, dir by dir, when that stops half-way', async () => {
    const host = recordingHost()
    const launched = await runHostSteps(plan({}, { cgroupPath: undefined }), host, { stdio: [0, 1, 2] })
    await launched.resources.removeDirsInThread()
    expect(host.calls.filter((c) => c.call === 'removeTreeInThread').map((c) => c.args[0])).toEqual([C])
    expect(host.calls.some((c) => c.call === 'removeTree')).toBe(false)
    const again = recordingHost()
    again.failOn('removeTreeInThread', Object.assign(new Error('EBUSY'), { code: 'EBUSY' }))
    const other = await runHostSteps(plan({}, { cgroupPath: undefined }), again, { stdio: [0, 1, 2] })
    await other.resources.removeDirsInThread()
    expect(again.calls.filter((c) => c.call === 'removeTree').map((c) => c.args[0])).toEqual([`${C}/upper`, `${C}/rootfs`, `${C}/work`, C])
  })
})
