// Docker's local volume driver options (moby volume/local): `volume create
// --opt type=tmpfs|none --opt device= --opt o=`, --mount's volume-opt
// (repeatable, CSV-quoted) and volume-driver, and compose's driver_opts.
// Such a volume is mounted from its options by the start plan; the
// kernel's refusal of them is one line naming the volume.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadProject } from '../src/compose/load.js'
import { csvFields } from '../src/runtime/spec/csv-fields.js'
import { checkLocalOptions, localVolumeMount } from '../src/runtime/spec/local-volume.js'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { describeStep } from '../src/runtime/plan/child-kinds.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { parseMount } from '../src/runtime/spec/volumes.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('local driver options and --mount volume-opt (no root)', () => {
  it('--mount keeps every volume-opt, reads quoted fields as CSV, and takes volume-driver=local', () => {
    const m = parseMount('type=volume,src=cache,dst=/c,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"volume-opt=o=size=10m,uid=1000"', '/')
    expect(m.volume).toEqual({ name: 'cache', nocopy: false, options: { type: 'tmpfs', device: 'tmpfs', o: 'size=10m,uid=1000' } })
    expect(() => parseMount('type=volume,dst=/c,volume-driver=nfs', '/')).toThrow('error looking up volume plugin nfs: plugin "nfs" not found')
    expect(() => parseMount('type=volume,dst=/c,volume-opt=colour=red', '/')).toThrow('invalid option: "colour"')
    expect(() => parseMount('type=volume,dst=/c,volume-opt=type=tmpfs', '/')).toThrow('missing required option: "device"')
    expect(() => parseMount('type=bind,src=/a,dst=/c,volume-opt=type=tmpfs', '/')).toThrow("cannot mix 'volume-*' options with mount type 'bind'")
    expect(() => parseMount('type=tmpfs,dst=/c,volume-driver=local', '/')).toThrow("cannot mix 'volume-*' options with mount type 'tmpfs'")
  })

  it('splits --mount as Go\'s encoding/csv does', () => {
    expect(csvFields('a=1,"b=2,3",c', 'f')).toEqual(['a=1', 'b=2,3', 'c'])
    expect(csvFields('"say ""hi""",x', 'f')).toEqual(['say "hi"', 'x'])
    expect(() => csvFields('a="b"', 'f')).toThrow('bare " in non-quoted-field')
    expect(() => csvFields('"open,x', 'f')).toThrow('extraneous or missing " in quoted-field')
  })

  it('checks options as the local driver does, and mounts them: a tmpfs, or a bind of the device', () => {
    expect(() => checkLocalOptions({ o: 'size=1m' }, 'create v')).toThrow('create v: missing required option: "device"')
    expect(() => checkLocalOptions({ type: 'none', o: 'bind', device: 'rel/dir' }, 'create v')).toThrow('must be an absolute path')
    expect(() => checkLocalOptions({ type: 'tmpfs', device: 'tmpfs', size: '1g' }, 'create v')).toThrow('option "size"')
    expect(() => checkLocalOptions({ type: 'nfs', o: 'addr=server', device: ':/export' }, 'create v')).toThrow('create v: type=nfs: a network filesystem would be mounted from the container\'s own network')
    expect(localVolumeMount({ type: 'tmpfs', device: 'tmpfs', o: 'size=100m,uid=1000' }, '/t', true)).toEqual({
      destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=100m', 'uid=1000', 'ro', 'nodev'],
    })
    // never recursive (volumes.ts says why), and nodev whatever o says
    expect(localVolumeMount({ type: 'none', device: '/srv', o: 'rbind,dev' }, '/b', false)).toEqual({
      destination: '/b', type: 'bind', source: '/srv', options: ['bind', 'dev', 'rw', 'nodev', 'rprivate'],
    })
  })

  it('the start plan mounts such a volume itself, a step whose error names the volume', () => {
    const options = { type: 'tmpfs', device: 'tmpfs', o: 'size=1m,uid=7' }
    const spec = buildSpec({
      id: 'abcdef0123456789', rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], cgroup2: true,
      mounts: [localVolumeMount(options, '/t', false)],
    })
    const volumes = { storeRoot: '/s', stateRoot: '/r', container: 'abcdef0123456789', volumes: [{ name: 'scratch', destination: '/t', anonymous: false, nocopy: false, options }] }
    const p = planStart({ spec, rootfs: { kind: 'directory' }, setgroupsAllowed: true, pathKind: () => 'dir', volumes })
    const mount = p.child.find((s) => s.op === 'mount' && s.target.endsWith('/t'))!
    expect(mount).toMatchObject({ op: 'mount', source: 'tmpfs', fstype: 'tmpfs', flags: 4 /* MS_NODEV */, data: 'size=1m,uid=7', volume: 'scratch' })
    expect(describeStep(mount)).toBe("error while mounting volume 'scratch': mount tmpfs on /c/rootfs/t (tmpfs, size=1m,uid=7)")
    // the claim makes the volume with its options if it is missing
    expect(p.host.find((s) => s.kind === 'volumes')).toMatchObject({ volumes: [{ name: 'scratch', options }] })
  })

  it('compose driver_opts: a relative bind device made absolute against the project directory', () => {
    const dir = mkdtempSync('/tmp/mini-run-volume-opts-')
    try {
      writeFileSync(join(dir, 'compose.yaml'), 'services:\n  a: {image: busybox, volumes: ["d:/d"]}\nvolumes:\n  d:\n    driver_opts: {type: none, o: bind, device: ./site}\n  t:\n    driver: local\n    driver_opts: {type: tmpfs, device: tmpfs, o: "size=1m"}\n')
      const p = loadProject({ cwd: dir, env: {}, projectName: 'vo' }).project
      expect(p.volumes.d!.driverOpts).toEqual({ type: 'none', o: 'bind', device: join(dir, 'site') })
      expect(p.volumes.t!.driverOpts).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' })
      writeFileSync(join(dir, 'compose.yaml'), 'services:\n  a: {image: busybox}\nvolumes:\n  d:\n    driver_opts: {type: tmpfs}\n')
      expect(() => loadProject({ cwd: dir, env: {}, projectName: 'vo' })).toThrow(/volumes\.d\.driver_opts.*missing required option: "device"/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!isRoot)('volumes with the local driver\'s options (needs root: containers)', () => {
  let env: TestEnv
  let host: string
  const cli = (args: string[]) => env.run(args[0] === 'run' ? ['run', '--cgroup-parent', env.cgroupParent, ...args.slice(1)] : args)
  const ok = (args: string[]) => {
    const r = cli(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const volumes = () => ok(['volume', 'ls', '-q']).split('\n').filter(Boolean)
  const mountLine = (path: string) => (out: string) => out.split('\n').find((l) => l.split(' ')[1] === path)

  beforeAll(async () => {
    env = await makeTestEnv()
    host = join(env.dir, 'host')
    mkdirSync(host)
    writeFileSync(join(host, 'from-host'), 'host file\n')
  })
  afterEach(() => {
    const left = [...env.leftovers(), ...volumes().map((v) => `volume: ${v}`)]
    const ids = env.run(['ps', '-aq']).stdout.split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', '-v', ...ids])
    env.run(['volume', 'prune', '-a', '-f'])
    expect(left).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('a tmpfs volume: mounted with its options, seen in /proc/mounts inside; inspect shows them', () => {
    expect(ok(['volume', 'create', '--driver', 'local', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=100m,uid=1000', 'scratch'])).toBe('scratch\n')
    expect(JSON.parse(ok(['volume', 'inspect', 'scratch']))[0].Options).toEqual({ device: 'tmpfs', o: 'size=100m,uid=1000', type: 'tmpfs' })
    const line = mountLine('/scratch')(ok(['run', '--rm', '-v', 'scratch:/scratch', BUSYBOX, 'cat', '/proc/mounts']))
    expect(line).toMatch(/^tmpfs \/scratch tmpfs rw,nodev,.*size=102400k.*,uid=1000/)
    const ro = mountLine('/s')(ok(['run', '--rm', '-v', 'scratch:/s:ro', BUSYBOX, 'cat', '/proc/mounts']))
    expect(ro).toMatch(/^tmpfs \/s tmpfs ro,nodev,/)
    // nothing of it on the host: the store's _data stays an empty directory, nothing mounted there
    expect(ok(['run', '--rm', '-v', 'scratch:/s', BUSYBOX, 'sh', '-c', 'echo x > /s/f && cat /s/f'])).toBe('x\n')
    expect(ok(['volume', 'rm', 'scratch'])).toBe('scratch\n')
  })

  it('a bind volume (type=none, o=bind): the host directory\'s files, in every container that mounts it', () => {
    ok(['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${host}`, 'site'])
    expect(ok(['run', '--rm', '-v', 'site:/site', BUSYBOX, 'sh', '-c', 'cat /site/from-host; echo back > /site/written'])).toBe('host file\n')
    expect(ok(['run', '--rm', '--mount', 'source=site,target=/w,readonly', BUSYBOX, 'cat', '/w/written'])).toBe('back\n')
    rmSync(join(host, 'written'))
    ok(['volume', 'rm', 'site'])
  })

  it('--mount volume-opt makes the volume with its options, anonymous or named', () => {
    const out = ok(['run', '--rm', '--mount', 'type=volume,dst=/m,volume-driver=local,volume-opt=type=tmpfs,volume-opt=device=tmpfs,"volume-opt=o=size=5m,mode=700"', BUSYBOX, 'cat', '/proc/mounts'])
    expect(mountLine('/m')(out)).toMatch(/^tmpfs \/m tmpfs rw,nodev,.*size=5120k,mode=700/)
    expect(volumes()).toEqual([]) // the anonymous one went with --rm
    ok(['run', '--rm', '--mount', 'src=made,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m', BUSYBOX, 'true'])
    expect(JSON.parse(ok(['volume', 'inspect', 'made']))[0].Options).toEqual({ device: 'tmpfs', o: 'size=1m', type: 'tmpfs' })
    ok(['volume', 'rm', 'made'])
  })

  it('refusals: a driver other than local, a bad option, and options the kernel refuses, naming the volume', () => {
    const driver = cli(['volume', 'create', '-d', 'nfs', 'v1'])
    expect([driver.status, driver.stderr]).toEqual([1, 'mini-run: create v1: error looking up volume plugin nfs: plugin "nfs" not found\n'])
    const opt = cli(['volume', 'create', '-o', 'colour=red', 'v1'])
    expect([opt.status, opt.stderr]).toEqual([1, 'mini-run: create v1: invalid option: "colour"\n'])
    const needs = cli(['volume', 'create', '-o', 'type=tmpfs', 'v1'])
    expect([needs.status, needs.stderr]).toEqual([1, 'mini-run: create v1: missing required option: "device"\n'])
    expect(volumes()).toEqual([])

    ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=lots', 'bad'])
    const r = cli(['run', '--rm', '--name', 'failing', '-v', 'bad:/b', BUSYBOX, 'true'])
    expect([r.status, r.stdout, r.stderr]).toEqual([125, '', "mini-run: error while mounting volume 'bad': mount tmpfs on /b (tmpfs, size=lots): Invalid argument\n"])
    const missing = join(env.dir, 'not-there')
    ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${missing}`, 'gone'])
    const m = cli(['run', '--rm', '-v', 'gone:/g', BUSYBOX, 'true'])
    expect([m.status, m.stderr]).toEqual([125, `mini-run: error while mounting volume 'gone': mount ${missing} on /g (bind): No such file or directory\n`])
    // no container left, and the volumes are no one's
    expect(ok(['ps', '-aq'])).toBe('')
    ok(['volume', 'rm', 'bad', 'gone'])
  })

  it('compose: a bind volume from driver_opts with a relative device', () => {
    const dir = join(env.dir, 'proj')
    mkdirSync(join(dir, 'site'), { recursive: true })
    writeFileSync(join(dir, 'site', 'index'), 'from the project\n')
    writeFileSync(join(dir, 'compose.yaml'), `services:
  web:
    image: ${BUSYBOX}
    command: [cat, /www/index]
    network_mode: none
    cgroup_parent: ${env.cgroupParent}
    volumes: ["site:/www"]
volumes:
  site:
    driver_opts: {type: none, o: bind, device: ./site}
`)
    const compose = (args: string[]) => env.run(['compose', '-p', 'vo', ...args], { cwd: dir })
    try {
      const up = compose(['up', '-d'])
      expect(up.status, up.stderr).toBe(0)
      expect(ok(['wait', 'vo-web-1'])).toBe('0\n')
      expect(compose(['logs', '--no-log-prefix', 'web']).stdout).toBe('from the project\n')
      expect(JSON.parse(ok(['volume', 'inspect', 'vo_site']))[0].Options).toEqual({ device: join(dir, 'site'), o: 'bind', type: 'none' })
    } finally {
      expect(compose(['down', '-v']).status).toBe(0)
    }
  })
})
