// Volumes of the store (issue 16): `-v NAME:/path`, `--mount type=volume`,
// anonymous volumes for an image's VOLUME paths, pre-population from the
// image, `volume create|ls|inspect|rm|prune`, `rm -v`, --userns=auto.
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { copyImageDir } from '../src/runtime/container/copy-image-dir.js'
import { claimVolumes } from '../src/runtime/container/volume-store.js'
import * as fileCalls from '../src/native/file-calls.js'
import { CAP_NET_RAW, multiLayerImage } from '../rootfs-fixtures/layers.js'
import { openTempDir, runAs, stageCli, type StagedCli } from './helpers/as-user.js'
import { BUSYBOX, BUSYBOX_OCI, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const IMAGE = 'localhost/test/volumes:latest'
const LAYERS_IMAGE = 'localhost/test/layers:latest'
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const HEX64 = /^[0-9a-f]{64}$/

describe.skipIf(!isRoot)('volumes (needs root: image owners, idmapped mounts)', () => {
  let env: TestEnv
  const volumesDir = () => join(env.storeRoot, 'volumes')
  const volumeNames = () => env.run(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean)
  // mini-run with the env's store and state; every run in the env's cgroup parent
  const cli = (args: string[]) => env.run(args[0] === 'run' ? ['run', '--cgroup-parent', env.cgroupParent, ...args.slice(1)] : args)
  const ok = (args: string[]) => {
    const r = cli(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    // busybox, and on top: /data (33:33 0750) holding a 0640 file of uid 33
    // and a symlink; VOLUME /anon, which holds a seed file; /data-link and
    // /links/up, symlinks to /data (the second through ".." above the root)
    const layout = mkdtempSync(join(env.dir, 'layout-'))
    await writeOciLayout(layout, {
      name: IMAGE,
      config: { config: { Env: [PATH_ENV], Cmd: ['sh'], Volumes: { '/anon': {} } } },
      layers: [
        { dir: BUSYBOX_ROOTFS },
        [
          { path: 'data', type: 'dir', mode: 0o750, uid: 33, gid: 33 },
          { path: 'data/secret', type: 'file', mode: 0o640, uid: 33, gid: 33, content: 'from the image\n' },
          { path: 'data/link', type: 'symlink', linkname: '../etc/passwd' },
          { path: 'anon', type: 'dir' },
          { path: 'anon/seed', type: 'file', content: 'seed\n' },
          { path: 'data-link', type: 'symlink', linkname: '/data' },
          { path: 'links', type: 'dir' },
          { path: 'links/up', type: 'symlink', linkname: '../../../data' },
        ],
      ],
    })
    const store = new ImageStore({ root: env.storeRoot })
    await loadArchive(store, layout, { name: IMAGE })
    await writeOciLayout(join(env.dir, 'layers-oci'), { name: LAYERS_IMAGE, config: { config: { Cmd: ['sh'] } }, layers: multiLayerImage })
    await loadArchive(store, join(env.dir, 'layers-oci'), { name: LAYERS_IMAGE })
  }, 60_000)

  // every test removes its containers and volumes; whatever is left is removed here, and fails the test
  afterEach(() => {
    const left = [...env.leftovers(), ...volumeNames().map((v) => `volume: ${v}`)]
    for (const line of env.run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) env.run(['rm', '-f', '-v', line])
    env.run(['volume', 'prune', '-a', '-f'])
    expect(left).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('creates a named volume on first use; its data outlives rm and a second container sees it', () => {
    expect(volumeNames()).toEqual([])
    ok(['run', '--name', 'writer', '-v', 'keep:/data', BUSYBOX, 'sh', '-c', 'echo kept > /data/f'])
    expect(volumeNames()).toEqual(['keep'])
    // a run that fails before its container exists (the name is taken: checked first, as Docker does) makes no volume
    const taken = cli(['run', '--name', 'writer', '-v', '/anon', '-v', 'new-one:/n', BUSYBOX, 'true'])
    expect([taken.status, taken.stderr]).toEqual([125, expect.stringContaining('The container name "/writer" is already in use')])
    expect(volumeNames()).toEqual(['keep'])
    ok(['rm', 'writer'])
    expect(ok(['run', '--rm', '-v', 'keep:/elsewhere', BUSYBOX, 'cat', '/elsewhere/f'])).toBe('kept\n')
    expect(ok(['volume', 'rm', 'keep'])).toBe('keep\n')
    expect(existsSync(join(volumesDir(), 'keep'))).toBe(false)
  })

  it('mounts a parent before what lies in it: a volume at /etc keeps the network\'s /etc files, -v at /x/y stays over -v at /x', () => {
    // the image's /etc in the volume, and the container's own hostname, hosts and resolv.conf over it (Docker sorts mounts by depth)
    const out = ok(['run', '--rm', '-v', 'etc:/etc', '-v', 'inner:/x/y', '-v', 'outer:/x', BUSYBOX, 'sh', '-c',
      'cat /etc/hostname; grep -c . /etc/passwd >/dev/null && echo passwd; test -s /etc/resolv.conf && echo resolv; grep -q localhost /etc/hosts && echo hosts; echo in > /x/y/f; echo out > /x/g'])
    const [hostname, ...rest] = out.split('\n')
    expect(hostname).toMatch(/^[0-9a-f]{12}$/)
    expect(rest).toEqual(['passwd', 'resolv', 'hosts', ''])
    expect(ok(['run', '--rm', '-v', 'inner:/v', BUSYBOX, 'ls', '/v'])).toBe('f\n')
    expect(ok(['run', '--rm', '-v', 'outer:/v', BUSYBOX, 'ls', '/v'])).toBe('g\ny\n')
    ok(['volume', 'rm', 'etc', 'inner', 'outer'])
  })

  it('pre-populates an empty volume from the image with owners, modes and symlinks, the first time only', () => {
    const show = 'stat -c "%u:%g %a %n" /data /data/secret; readlink /data/link; cat /data/secret'
    expect(ok(['run', '--rm', '-v', 'pop:/data', IMAGE, 'sh', '-c', show]).split('\n')).toEqual([
      '33:33 750 /data', '33:33 640 /data/secret', '../etc/passwd', 'from the image', '',
    ])
    const secret = statSync(join(volumesDir(), 'pop', '_data', 'secret'))
    expect([secret.uid, secret.gid, secret.mode & 0o7777]).toEqual([33, 33, 0o640])
    expect(readlinkSync(join(volumesDir(), 'pop', '_data', 'link'))).toBe('../etc/passwd')
    // a volume with content is never copied into again
    ok(['run', '--rm', '-v', 'pop:/data', IMAGE, 'sh', '-c', 'rm /data/secret /data/link; echo mine > /data/mine'])
    expect(ok(['run', '--rm', '-v', 'pop:/data', IMAGE, 'ls', '-A', '/data'])).toBe('mine\n')
    ok(['volume', 'rm', 'pop'])
  })

  it('pre-populates a volume whose path is a symlink from the link\'s target, resolved inside the image\'s root, where it is mounted', () => {
    for (const [name, path] of [['via-abs', '/data-link'], ['via-rel', '/links/up']]) {
      expect(ok(['run', '--rm', '-v', `${name}:${path}`, IMAGE, 'cat', '/data/secret']), path).toBe('from the image\n')
      const data = join(volumesDir(), name!, '_data')
      expect(readdirSync(data).sort(), path).toEqual(['link', 'secret'])
      const root = statSync(data)
      expect([root.uid, root.gid, root.mode & 0o7777], path).toEqual([33, 33, 0o750])
    }
    ok(['volume', 'rm', 'via-abs', 'via-rel'])
  })

  it('does not pre-populate with volume-nocopy or :nocopy', () => {
    expect(ok(['run', '--rm', '--mount', 'type=volume,src=nocopy1,dst=/data,volume-nocopy', IMAGE, 'ls', '-A', '/data'])).toBe('')
    expect(ok(['run', '--rm', '-v', 'nocopy2:/data:nocopy', IMAGE, 'ls', '-A', '/data'])).toBe('')
    expect(readdirSync(join(volumesDir(), 'nocopy1', '_data'))).toEqual([])
    ok(['volume', 'rm', 'nocopy1', 'nocopy2'])
  })

  it('copies the merged view of the layers: whiteouts, opaque dirs, hard links, setuid and file capabilities', async () => {
    const image = await new ImageStore({ root: env.storeRoot }).resolve(LAYERS_IMAGE)
    const layers = [...image.layerDirs].reverse()
    const dest = mkdtempSync(join(env.dir, 'copy-'))
    try {
      const data = join(dest, 'data')
      const opaque = join(dest, 'opaque')
      const bin = join(dest, 'bin')
      for (const dir of [data, opaque, bin]) mkdirSync(dir)
      expect(copyImageDir(layers, '/data', data, { chown: true })).toBe(true)
      expect(readdirSync(data).sort()).toEqual(['hardlink', 'kept.txt', 'original']) // deleted.txt is whited out
      expect(statSync(join(data, 'hardlink')).ino).toBe(statSync(join(data, 'original')).ino)
      expect(copyImageDir(layers, 'opaque', opaque, { chown: true })).toBe(true)
      expect(readdirSync(opaque)).toEqual(['new.txt']) // the lower layer's files are hidden
      const o = statSync(opaque)
      expect([o.uid, o.gid, o.mode & 0o7777]).toEqual([1000, 2000, 0o750])
      expect(fileCalls.lgetxattr(opaque, 'trusted.overlay.opaque')).toBeNull() // overlayfs's marks stay in the layer
      expect(copyImageDir(layers, 'usr/bin', bin, { chown: true })).toBe(true)
      expect(statSync(join(bin, 'suid-tool')).mode & 0o7777).toBe(0o4755)
      expect(statSync(join(bin, 'sgid-tool')).gid).toBe(2000)
      expect(fileCalls.lgetxattr(join(bin, 'cap-tool'), 'security.capability')).toEqual(CAP_NET_RAW)
      expect(copyImageDir(layers, 'data/kept.txt', join(dest, 'none'), { chown: true })).toBe(false) // not a directory
      expect(copyImageDir(layers, 'missing', join(dest, 'none'), { chown: true })).toBe(false)
    } finally {
      rmSync(dest, { recursive: true, force: true })
    }
  })

  it('refuses `volume rm` of a volume a running or a stopped container uses, and removes it after rm', () => {
    const id = ok(['run', '-d', '--name', 'busy-run', '-v', 'busy:/d', BUSYBOX, 'sleep', '30']).trim()
    expect(id).toMatch(HEX64)
    const refused = env.run(['volume', 'rm', 'busy'])
    expect(refused.stderr).toBe(`mini-run: remove busy: volume is in use - [${id}]\n`)
    expect(refused.status).toBe(1)
    ok(['rm', '-f', 'busy-run'])
    ok(['run', '--name', 'busy-stopped', '-v', 'busy:/d', BUSYBOX, 'true'])
    const stopped = JSON.parse(ok(['inspect', 'busy-stopped'])) as { Id: string }[]
    expect(env.run(['volume', 'rm', 'busy']).stderr).toBe(`mini-run: remove busy: volume is in use - [${stopped[0]!.Id}]\n`)
    expect(env.run(['volume', 'prune', '-a', '-f']).stdout).not.toContain('busy')
    ok(['rm', 'busy-stopped'])
    expect(ok(['volume', 'rm', 'busy'])).toBe('busy\n')
  })

  it('counts a container being started (a claim, no state yet) as a user while the process starting it lives', () => {
    const starting = 'f'.repeat(64)
    // what prepareContainer does before the container's state exists; this process is the owner
    claimVolumes(env.storeRoot, env.stateRoot, starting, [{ name: 'starting', anonymous: false }])
    expect(env.run(['volume', 'rm', 'starting']).stderr).toBe(`mini-run: remove starting: volume is in use - [${starting}]\n`)
    // a runtime killed before the container had a state: its claim is stale
    const claim = join(volumesDir(), 'starting', 'users', starting)
    writeFileSync(claim, JSON.stringify({ id: starting, stateRoot: env.stateRoot, owner: '999999999.1' }))
    expect(ok(['volume', 'rm', 'starting'])).toBe('starting\n')
  })

  it('mounts -v NAME:/p:ro read-only, and --mount type=volume; inspect lists the volume mounts', () => {
    const ro = cli(['run', '--rm', '-v', 'rov:/p:ro', BUSYBOX, 'touch', '/p/x'])
    expect(ro.stderr).toContain('Read-only file system')
    expect(ro.status).toBe(1)
    const roMount = cli(['run', '--rm', '--mount', 'type=volume,src=rov,dst=/p,readonly', BUSYBOX, 'touch', '/p/x'])
    expect(roMount.stderr).toContain('Read-only file system')
    ok(['run', '--name', 'mounter', '--mount', 'type=volume,src=mv,dst=/m', '-v', 'rov:/r:ro', BUSYBOX, 'sh', '-c', 'echo hi > /m/f'])
    const [info] = JSON.parse(ok(['inspect', 'mounter'])) as { Mounts: Record<string, unknown>[] }[]
    expect(info!.Mounts).toEqual([
      { Type: 'volume', Name: 'rov', Source: join(volumesDir(), 'rov', '_data'), Destination: '/r', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
      { Type: 'volume', Name: 'mv', Source: join(volumesDir(), 'mv', '_data'), Destination: '/m', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    ])
    ok(['rm', 'mounter'])
    expect(ok(['run', '--rm', '-v', 'mv:/m', BUSYBOX, 'cat', '/m/f'])).toBe('hi\n')
    ok(['volume', 'rm', 'mv', 'rov'])
  })

  it('gives an image\'s VOLUME an anonymous, pre-populated volume: rm keeps it, rm -v and run --rm remove it', () => {
    expect(ok(['run', '--name', 'anon1', IMAGE, 'cat', '/anon/seed'])).toBe('seed\n')
    const [anon] = volumeNames()
    expect(anon).toMatch(HEX64)
    const [inspected] = JSON.parse(ok(['volume', 'inspect', anon!])) as { Labels: unknown }[]
    expect(inspected!.Labels).toEqual({ 'com.docker.volume.anonymous': '' })
    ok(['rm', 'anon1'])
    expect(volumeNames()).toEqual([anon]) // rm without -v keeps it, as Docker does
    expect(ok(['volume', 'prune', '-f'])).toBe(`Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 5B\n`)

    ok(['run', '--name', 'anon2', '-v', '/extra', IMAGE, 'true'])
    expect(volumeNames()).toHaveLength(2) // the image's and -v /extra
    ok(['rm', '-v', 'anon2'])
    expect(volumeNames()).toEqual([])

    ok(['run', '--rm', IMAGE, 'true'])
    expect(volumeNames()).toEqual([])
    const detached = ok(['run', '-d', '--rm', IMAGE, 'true']).trim()
    const end = Date.now() + 10_000
    while (existsSync(join(env.stateRoot, detached)) && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50)
    expect(volumeNames()).toEqual([])

    // a flag's mount at the VOLUME path replaces the anonymous volume
    expect(ok(['run', '--rm', '-v', 'named-anon:/anon', IMAGE, 'cat', '/anon/seed'])).toBe('seed\n')
    expect(volumeNames()).toEqual(['named-anon'])
    ok(['volume', 'rm', 'named-anon'])
  })

  it('prunes unused anonymous volumes, and with -a every unused volume', () => {
    ok(['volume', 'create', 'unused'])
    ok(['run', '--name', 'user', '-v', 'used:/u', IMAGE, 'true'])
    const usedAnon = volumeNames().find((n) => HEX64.test(n))!
    ok(['run', '--name', 'gone', IMAGE, 'true'])
    ok(['rm', 'gone'])
    const unusedAnon = volumeNames().find((n) => HEX64.test(n) && n !== usedAnon)!
    // the bytes they held, as Docker reports them: the anonymous one holds the image's seed file
    expect(ok(['volume', 'prune', '-f'])).toBe(`Deleted Volumes:\n${unusedAnon}\n\nTotal reclaimed space: 5B\n`)
    expect(ok(['volume', 'prune', '-a', '-f'])).toBe('Deleted Volumes:\nunused\n\nTotal reclaimed space: 0B\n')
    expect(volumeNames().sort()).toEqual([usedAnon, 'used'].sort())
    ok(['rm', '-v', 'user'])
    expect(volumeNames()).toEqual(['used'])
    ok(['volume', 'rm', 'used'])
  })

  it('--userns=auto: the container\'s root writes a named volume, whose files keep their ids for every container', () => {
    // another --userns=auto container holds the first range: the writer gets another one
    const holder = ok(['run', '-d', '--userns=auto', BUSYBOX, 'sleep', '30']).trim()
    const script = 'stat -c "%u %a" /data/secret; echo w > /data/new && chown 5:5 /data/new && stat -c "%u:%g" /data/new; awk \'{print $2}\' /proc/self/uid_map'
    const [secret, created, hostBase] = ok(['run', '--rm', '--userns=auto', '-v', 'uns:/data', IMAGE, 'sh', '-c', script]).trim().split('\n')
    expect([secret, created]).toEqual(['33 640', '5:5'])
    expect(Number(hostBase)).toBeGreaterThan(65535) // root inside was an unprivileged host uid
    const onHost = statSync(join(volumesDir(), 'uns', '_data', 'new'))
    expect([onHost.uid, onHost.gid]).toEqual([5, 5])
    expect(statSync(join(volumesDir(), 'uns')).mode & 0o777).toBe(0o700) // the container's root never needed to reach it
    expect(ok(['run', '--rm', '-v', 'uns:/data', BUSYBOX, 'stat', '-c', '%u:%g', '/data/new'])).toBe('5:5\n')
    ok(['rm', '-f', holder])
    expect(ok(['run', '--rm', '--userns=auto', '-v', 'uns:/data', BUSYBOX, 'sh', '-c', 'echo again >> /data/new && cat /data/new'])).toBe('w\nagain\n')
    ok(['volume', 'rm', 'uns'])
  })

  it('refuses an invalid volume name in one line with exit 125 (run) or 1 (volume create), creating nothing', () => {
    const tries: [string[], string, number][] = [
      [['run', '--rm', '-v', 'bad!name:/data', BUSYBOX, 'true'], 'invalid -v bad!name:/data: "bad!name" is not a valid volume name', 125],
      [['run', '--rm', '--mount', 'type=volume,src=-x,dst=/data', BUSYBOX, 'true'], '"-x" is not a valid volume name', 125],
      [['volume', 'create', 'x'], 'volume create: "x" is not a valid volume name', 1],
      [['volume', 'create', 'a/b'], 'volume create: "a/b" is not a valid volume name', 1],
    ]
    for (const [args, message, status] of tries) {
      const r = cli(args)
      expect(r.status).toBe(status)
      expect(r.stderr).toContain(message)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
    expect(volumeNames()).toEqual([])
    expect(existsSync(volumesDir()) ? readdirSync(volumesDir()) : []).toEqual([])
  })

  it('prints volume ls as Docker\'s table and volume inspect as Docker\'s JSON', () => {
    expect(ok(['volume', 'create', '--label', 'tier=db', 'lsvol'])).toBe('lsvol\n')
    expect(ok(['volume', 'create', 'lsvol'])).toBe('lsvol\n') // exists: no error, as in Docker
    const generated = ok(['volume', 'create']).trim()
    expect(generated).toMatch(HEX64)
    // Docker's tabwriter: a column at least 10 wide (docker/cli formatter.Context)
    expect(ok(['volume', 'ls'])).toBe(`DRIVER    VOLUME NAME\nlocal     ${generated}\nlocal     lsvol\n`)
    expect(ok(['volume', 'ls', '-q'])).toBe(`${generated}\nlsvol\n`)
    const [v] = JSON.parse(ok(['volume', 'inspect', 'lsvol'])) as Record<string, unknown>[]
    expect(Object.keys(v!)).toEqual(['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope'])
    expect(v).toMatchObject({ Driver: 'local', Labels: { tier: 'db' }, Mountpoint: join(volumesDir(), 'lsvol', '_data'), Name: 'lsvol', Options: null, Scope: 'local' })
    expect(v!.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(statSync(volumesDir()).mode & 0o777).toBe(0o700)
    const missing = env.run(['volume', 'inspect', 'nosuch'])
    expect([missing.status, missing.stderr]).toEqual([1, 'mini-run: no such volume: nosuch\n'])
    expect(env.run(['volume', 'rm', 'nosuch']).status).toBe(1)
    expect(ok(['volume', 'rm', '-f', 'nosuch'])).toBe('')
    expect(ok(['volume', 'rm', 'lsvol', generated])).toBe(`lsvol\n${generated}\n`)
  })
})

describe.skipIf(!isRoot)('volumes of a rootless user (needs root to become nobody)', () => {
  const NOBODY = 65534
  let dir: string
  let staged: StagedCli
  const asNobody = (args: string[]) =>
    runAs(NOBODY, NOBODY, [staged.cli, '--root', join(dir, 'home', 'store'), '--state', join(dir, 'home', 'state'), ...args], {
      HOME: join(dir, 'home'),
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    })
  beforeAll(() => {
    dir = openTempDir('mini-run-volumes-rootless-')
    staged = stageCli(dir)
    execFileSync('cp', ['-a', BUSYBOX_OCI, join(dir, 'oci')])
    execFileSync('chmod', ['-R', 'a+rX', join(dir, 'oci')])
    mkdirSync(join(dir, 'home'))
    chownSync(join(dir, 'home'), NOBODY, NOBODY)
    expect(asNobody(['load', '-q', '-i', join(dir, 'oci')]).status).toBe(0)
  }, 60_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps a volume in the user\'s store, its files the user\'s own, pre-populated from the image', () => {
    const image = 'localhost/mini-run/busybox'
    const first = asNobody(['run', '--rm', '-v', 'mine:/etc', image, 'sh', '-c', 'head -1 /etc/passwd; echo x > /etc/added; id -u'])
    // nobody has no /etc/subuid range: one id, and the one warning that says so (issue 12)
    expect(first.stderr).toMatch(/^mini-run: no subordinate ids for nobody in \/etc\/subuid: .*\n$/)
    expect(first.stdout).toBe('root:x:0:0:root:/root:/bin/sh\n0\n')
    const added = statSync(join(dir, 'home', 'store', 'volumes', 'mine', '_data', 'added'))
    expect([added.uid, added.gid]).toEqual([NOBODY, NOBODY])
    expect(asNobody(['run', '--rm', '-v', 'mine:/v', image, 'cat', '/v/added']).stdout).toBe('x\n')
    expect(asNobody(['volume', 'rm', 'mine'])).toEqual({ status: 0, stdout: 'mine\n', stderr: '' })
    expect(asNobody(['volume', 'ls', '-q']).stdout).toBe('')
  })
})
