// run/create --volumes-from CONTAINER[:ro|rw] as Docker's (moby
// daemon/volumes.go registerMountPoints): the other container's volumes
// and binds at the same paths, ro making them all read-only, a missing
// container refused with exit 125 and nothing made; and compose's
// volumes_from, which starts the service after the one it names.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadProject } from '../src/compose/load.js'
import { parseVolumesFrom } from '../src/runtime/container/volumes-from.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('--volumes-from: its value (no root)', () => {
  it('takes CONTAINER[:ro|rw], and refuses what Docker refuses', () => {
    expect(parseVolumesFrom('data')).toEqual({ ref: 'data', readOnly: false })
    expect(parseVolumesFrom('data:ro')).toEqual({ ref: 'data', readOnly: true })
    expect(parseVolumesFrom('data:rw,z')).toEqual({ ref: 'data', readOnly: false })
    // moby's ParseVolumesFrom: no propagation, no copy mode
    expect(() => parseVolumesFrom('data:shared')).toThrow('invalid mode: shared')
    expect(() => parseVolumesFrom('data:nocopy')).toThrow('invalid mode: nocopy')
    expect(() => parseVolumesFrom('data:ro,rw')).toThrow('invalid mode: ro,rw')
    expect(() => parseVolumesFrom('')).toThrow('volumes-from specification cannot be an empty string')
  })
})

describe('compose volumes_from: loading (no root)', () => {
  const dirs: string[] = []
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
  const load = (yaml: string) => {
    const dir = mkdtempSync('/tmp/mini-run-volumes-from-')
    dirs.push(dir)
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    return loadProject({ cwd: dir, env: {}, projectName: 'vf' }).project
  }

  it('names a service\'s first container and starts after it; container: names one as it is', () => {
    const p = load(`services:
  app:
    image: busybox
    volumes_from: [store, "keeper:ro", "container:outside", "container:other:ro"]
  store: {image: busybox}
  keeper: {image: busybox, container_name: kept}
`)
    expect(p.services.app!.volumesFrom).toEqual([
      { service: 'store', container: 'vf-store-1', readOnly: false },
      { service: 'keeper', container: 'kept', readOnly: true },
      { container: 'outside', readOnly: false },
      { container: 'other', readOnly: true },
    ])
    expect(Object.keys(p.services.app!.dependsOn).sort()).toEqual(['keeper', 'store'])
    expect(p.services.app!.dependsOn.store).toEqual({ condition: 'service_started', required: true, restart: false })
  })

  it('refuses an undefined service and a mode that is not ro or rw, with the path in the file', () => {
    expect(() => load('services:\n  app: {image: busybox, volumes_from: [nothere]}\n')).toThrow(
      /services\.app\.volumes_from\[0\].*service "app" mounts volumes from undefined service "nothere"/,
    )
    expect(() => load('services:\n  app: {image: busybox, volumes_from: ["b:shared"]}\n  b: {image: busybox}\n')).toThrow(
      /services\.app\.volumes_from\[0\].*"b:shared" is not service\[:ro\|rw\] or container:name\[:ro\|rw\]/,
    )
  })
})

describe.skipIf(!isRoot)('--volumes-from (needs root: containers)', () => {
  let env: TestEnv
  let host: string
  const cli = (args: string[]) => env.run(args[0] === 'run' || args[0] === 'create' ? [args[0], '--cgroup-parent', env.cgroupParent, ...args.slice(1)] : args)
  const ok = (args: string[]) => {
    const r = cli(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const volumes = () => ok(['volume', 'ls', '-q']).split('\n').filter(Boolean)

  beforeAll(async () => {
    env = await makeTestEnv()
    host = join(env.dir, 'host')
    mkdirSync(host)
    writeFileSync(join(host, 'from-host'), 'host file\n')
  })
  // every test removes what it made; whatever is left is removed here, and fails the test
  afterEach(() => {
    const left = [...env.leftovers(), ...volumes().map((v) => `volume: ${v}`)]
    const ids = env.run(['ps', '-aq']).stdout.split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', '-v', ...ids])
    env.run(['volume', 'prune', '-a', '-f'])
    expect(left).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('shows another container\'s named and anonymous volumes and its binds, at the same paths, to read and write', () => {
    ok(['run', '--name', 'store', '-v', 'data:/data', '-v', '/anon', '-v', `${host}:/host`, BUSYBOX, 'sh', '-c', 'echo written by store > /data/f; echo anon > /anon/g'])
    const out = ok(['run', '--rm', '--volumes-from', 'store', BUSYBOX, 'sh', '-c', 'cat /data/f /anon/g /host/from-host; echo from reader >> /data/f'])
    expect(out).toBe('written by store\nanon\nhost file\n')
    // the reader's write is in the volume the store container has
    expect(ok(['run', '--rm', '-v', 'data:/d', BUSYBOX, 'cat', '/d/f'])).toBe('written by store\nfrom reader\n')
    // create records it; the volumes are claimed by the new container too: not removable while it exists
    const id = ok(['create', '--name', 'reader', '--volumes-from', 'store', BUSYBOX, 'cat', '/data/f']).trim()
    const inspected = JSON.parse(ok(['inspect', id]))[0]
    expect(inspected.HostConfig.VolumesFrom).toEqual(['store'])
    expect(inspected.Mounts.map((m: { Destination: string; Type: string; RW: boolean }) => `${m.Type} ${m.Destination} ${m.RW}`).sort()).toEqual(['bind /host true', 'volume /anon true', 'volume /data true'])
    ok(['rm', 'store'])
    expect(cli(['volume', 'rm', 'data']).stderr).toMatch(/volume is in use/)
    expect(ok(['start', '-a', 'reader'])).toBe('written by store\nfrom reader\n')
    ok(['rm', '-v', 'reader'])
    ok(['volume', 'rm', 'data'])
  })

  it(':ro makes every mount read-only; rw keeps a read-only one so; -v at the same path wins', () => {
    ok(['create', '--name', 'store', '-v', 'data:/data', '-v', `${host}:/host:ro`, BUSYBOX, 'true'])
    const ro = cli(['run', '--rm', '--volumes-from', 'store:ro', BUSYBOX, 'sh', '-c', 'touch /data/x; touch /host/x'])
    expect(ro.status).toBe(1)
    expect(ro.stderr).toBe("touch: /data/x: Read-only file system\ntouch: /host/x: Read-only file system\n")
    // Docker's RW = the source's RW and the mode's: rw cannot make the read-only bind writable
    const rw = cli(['run', '--rm', '--volumes-from', 'store:rw', BUSYBOX, 'sh', '-c', 'touch /data/x && touch /host/x'])
    expect(rw.status).toBe(1)
    expect(rw.stderr).toBe('touch: /host/x: Read-only file system\n')
    expect(readdirSync(host)).toEqual(['from-host'])
    // a flag's mount at an inherited path replaces it
    expect(ok(['run', '--rm', '--volumes-from', 'store', '-v', 'other:/data', BUSYBOX, 'ls', '/data'])).toBe('')
    ok(['rm', '-v', 'store'])
    ok(['volume', 'rm', 'data', 'other'])
  })

  it('a container that does not exist: Docker\'s error, exit 125, nothing made, the image never looked at', () => {
    for (const verb of ['run', 'create']) {
      const r = cli([verb, '--name', 'never', '--volumes-from', 'nosuch', '-v', 'wanted:/w', BUSYBOX, 'true'])
      expect([r.status, r.stdout, r.stderr]).toEqual([125, '', 'mini-run: no such container: nosuch\n'])
    }
    // checked before the image: an image that is nowhere is not pulled
    const r = cli(['run', '--volumes-from', 'nosuch', '--pull', 'never', 'localhost/nothing/here:1', 'true'])
    expect([r.status, r.stderr]).toEqual([125, 'mini-run: no such container: nosuch\n'])
    const mode = cli(['run', '--volumes-from', 'x:shared', BUSYBOX, 'true'])
    expect([mode.status, mode.stderr]).toEqual([125, 'mini-run: invalid mode: shared\n'])
    expect(ok(['ps', '-aq'])).toBe('')
    expect(volumes()).toEqual([])
  })

  it('compose volumes_from: the service started after the one it reads from, with its volume', () => {
    const dir = join(env.dir, 'proj')
    mkdirSync(dir)
    writeFileSync(join(dir, 'compose.yaml'), `services:
  reader:
    image: ${BUSYBOX}
    command: [cat, /data/f]
    network_mode: none
    cgroup_parent: ${env.cgroupParent}
    volumes_from: ["writer:ro"]
  writer:
    image: ${BUSYBOX}
    command: [sh, -c, "echo from writer > /data/f"]
    network_mode: none
    cgroup_parent: ${env.cgroupParent}
    volumes: ["shared:/data"]
volumes:
  shared:
`)
    const compose = (args: string[]) => env.run(['compose', '-p', 'vf', ...args], { cwd: dir })
    try {
      const up = compose(['up', '-d'])
      expect(up.status, up.stderr).toBe(0)
      expect(up.stderr.indexOf('Container vf-reader-1  Started')).toBeGreaterThan(up.stderr.indexOf('Container vf-writer-1  Started'))
      expect(ok(['wait', 'vf-reader-1'])).toBe('0\n')
      expect(compose(['logs', '--no-log-prefix', 'reader']).stdout).toBe('from writer\n')
      expect(JSON.parse(ok(['inspect', 'vf-reader-1']))[0].HostConfig.VolumesFrom).toEqual(['vf-writer-1:ro'])
    } finally {
      expect(compose(['down', '-v']).status).toBe(0)
    }
  })
})
