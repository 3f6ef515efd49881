// Docker's -v, --mount and --tmpfs as OCI mounts (src/runtime/spec/volumes.ts): pure.
import { describe, expect, it } from 'vitest'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { resolveVolumes } from '../src/runtime/container/container-volumes.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { describeStep } from '../src/runtime/plan/child-kinds.js'
import { dockerMountRecord, parseMount, parseTmpfs, parseVolume, volumesFromFlags, withImageVolumes } from '../src/runtime/spec/volumes.js'
import { userMounts } from '../src/runtime/container/user-mounts.js'
import type { Spec } from '../src/runtime/spec/spec.js'

const cwd = '/home/u/project'

describe('-v HOST:CONTAINER[:OPTIONS]', () => {
  it('binds a host path, bind (not recursive), rw, nodev and rprivate by default, creating a missing host dir', () => {
    expect(parseVolume('/srv/data:/data', cwd)).toEqual({
      mount: { destination: '/data', type: 'bind', source: '/srv/data', options: ['bind', 'rw', 'nodev', 'rprivate'] },
      createSource: true,
      mode: '',
    })
  })

  it('takes ro, a propagation mode, and ignores the SELinux labels z and Z', () => {
    expect(parseVolume('/srv:/srv:ro,rslave,Z', cwd).mount.options).toEqual(['bind', 'ro', 'nodev', 'rslave'])
  })

  it('resolves ./ and ../ against the working directory, and normalises both paths', () => {
    expect(parseVolume('./data:/data/', cwd).mount).toMatchObject({ source: '/home/u/project/data', destination: '/data' })
    expect(parseVolume('../x:/a/../b', cwd).mount).toMatchObject({ source: '/home/u/x', destination: '/b' })
  })

  it('refuses relative container paths, / and unknown options', () => {
    expect(() => parseVolume('/srv:data', cwd)).toThrow('invalid -v /srv:data: the container path "data" is not absolute')
    expect(() => parseVolume('/srv:/', cwd)).toThrow("cannot mount over the container's /")
    expect(() => parseVolume('/dev:/dev', cwd)).toThrow('invalid -v /dev:/dev: /dev is mounted by mini-run for every container')
    expect(() => parseTmpfs('/proc/')).toThrow('/proc is mounted by mini-run for every container')
    expect(() => parseVolume('/srv:/srv:rx', cwd)).toThrow('unknown option "rx"')
    expect(() => parseVolume('/a:/b:ro:x', cwd)).toThrow('expected HOST:CONTAINER[:OPTIONS]')
  })
})

describe('-v NAME:CONTAINER and -v CONTAINER: volumes', () => {
  const volume = (destination: string, options: string[]) => ({ destination, type: 'bind', source: '', options: ['bind', ...options, 'nodev', 'rprivate'] })

  it('takes a source without a "/" (and not . or ..) for a volume name, its source filled in later', () => {
    expect(parseVolume('cache:/data', cwd)).toEqual({ mount: volume('/data', ['rw']), volume: { name: 'cache', nocopy: false }, mode: 'z' })
    expect(parseVolume('my_vol.2-x:/data:ro,nocopy', cwd)).toEqual({ mount: volume('/data', ['ro']), volume: { name: 'my_vol.2-x', nocopy: true }, mode: 'ro,nocopy' })
  })

  it('makes one container path, with or without options, an anonymous volume', () => {
    expect(parseVolume('/data', cwd)).toEqual({ mount: volume('/data', ['rw']), volume: { nocopy: false }, mode: '' })
    expect(parseVolume('/data/:ro', cwd)).toEqual({ mount: volume('/data', ['ro']), volume: { nocopy: false }, mode: 'ro' })
  })

  it('refuses invalid names in one line, and options of the other kind', () => {
    const invalid = 'is not a valid volume name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, two characters at least'
    expect(() => parseVolume('bad!name:/data', cwd)).toThrow(`invalid -v bad!name:/data: "bad!name" ${invalid}`)
    expect(() => parseVolume('a:/data', cwd)).toThrow(`"a" ${invalid}`) // Docker's two characters at least
    expect(() => parseVolume('_x:/data', cwd)).toThrow(`"_x" ${invalid}`)
    expect(() => parseVolume('foo/bar:/data', cwd)).toThrow(`"foo/bar" ${invalid}`)
    expect(() => parseVolume('~/x:/data', cwd)).toThrow(`"~/x" ${invalid}`)
    for (const spec of ['bad!name:/data', 'a:/data']) expect(() => parseVolume(spec, cwd)).not.toThrow(/\n/)
    expect(() => parseVolume('vol:/data:rslave', cwd)).toThrow('unknown option "rslave" (ro, rw, nocopy, z or Z for a volume)')
    expect(() => parseVolume('/srv:/data:nocopy', cwd)).toThrow('unknown option "nocopy" (ro, rw, z, Z or a propagation mode)')
    expect(() => parseVolume('vol:data', cwd)).toThrow('the container path "data" is not absolute')
  })

  it('adds the image\'s VOLUME paths as anonymous volumes, except where a flag mounts something there', () => {
    const flags = volumesFromFlags({ volumes: ['named:/var/lib/db', '/srv:/a'], tmpfs: ['/cache'] }, cwd)
    const planned = withImageVolumes(flags, ['/var/lib/db', '/logs/', '/cache', '/a/b'])
    expect(planned.map((p) => [p.mount.destination, p.volume?.name ?? (p.volume ? 'anonymous' : p.mount.type)])).toEqual([
      ['/a', 'bind'], ['/cache', 'tmpfs'], ['/logs', 'anonymous'], ['/a/b', 'anonymous'], ['/var/lib/db', 'named'],
    ])
    expect(() => withImageVolumes([], ['/proc'])).toThrow('invalid VOLUME /proc of the image: /proc is mounted by mini-run for every container')
  })

  it('gives each volume its _data as source, and a random 64-hex-digit name to an anonymous one', () => {
    const planned = volumesFromFlags({ volumes: ['cache:/c', '/anon', '/srv:/srv'] }, cwd)
    const { mounts, volumes } = resolveVolumes(planned, '/store')
    const anon = volumes.find((v) => v.anonymous)!
    expect(anon.name).toMatch(/^[0-9a-f]{64}$/)
    expect(volumes).toEqual([
      { name: 'cache', destination: '/c', anonymous: false, nocopy: false },
      { name: anon.name, destination: '/anon', anonymous: true, nocopy: false },
    ])
    expect(mounts.map((m) => m.source)).toEqual(['/store/volumes/cache/_data', `/store/volumes/${anon.name}/_data`, '/srv'])
  })

  it('under --userns=auto, attaches a volume as an idmapped mount the parent makes, then applies ro and nodev', () => {
    const idMaps = { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 100000, size: 65536 }] }
    const { mounts } = resolveVolumes(volumesFromFlags({ volumes: ['cache:/c:ro', '/srv:/srv'] }, cwd), '/store', idMaps)
    expect(mounts[0]).toMatchObject({ uidMappings: idMaps.uid, gidMappings: idMaps.gid })
    expect(mounts[1]!.uidMappings).toBeUndefined() // a host path is bound as it is
    const spec = buildSpec({ id: 'abcdef0123456789', rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], idMaps, mounts })
    const rootfs = { kind: 'overlay' as const, layersDir: '/s', lowerDirs: ['a'], upperDir: '/u', workDir: '/w', userxattr: true }
    const plan = planStart({ spec, rootfs, setgroupsAllowed: true, pathKind: () => 'missing' })
    const steps = plan.child.map(describeStep)
    const at = steps.indexOf('mkdir /c/rootfs/c')
    const slot = `mount-${spec.mounts.findIndex((m) => m.destination === '/c')}`
    expect(steps.slice(at, at + 4)).toEqual(['mkdir /c/rootfs/c', `move_mount ${slot} to /c/rootfs/c`, 'remount /c/rootfs/c', 'mount none on /c/rootfs/c'])
    expect(steps).toContain('mount /srv on /c/rootfs/srv')
    // the parent makes the idmapped mount into that slot, and the child keeps it
    expect(plan.host.find((s) => s.kind === 'idmapped_mount')).toMatchObject({ source: '/store/volumes/cache/_data', slot })
    expect(plan.host.find((s) => s.kind === 'clone')).toMatchObject({ keep: [{ slot }] })
  })
})

describe('--mount', () => {
  it('binds with source and target (or src/dst), readonly, bind-propagation; the source must exist', () => {
    expect(parseMount('type=bind,src=/srv,dst=/srv,readonly,bind-propagation=shared', cwd)).toEqual({
      mount: { destination: '/srv', type: 'bind', source: '/srv', options: ['bind', 'ro', 'nodev', 'shared'] },
      mode: '',
    })
    expect(parseMount('type=bind,source=/a,target=/b,readonly=false', cwd).mount.options).toContain('rw')
  })

  it('mounts a tmpfs with a size and a mode, nodev', () => {
    expect(parseMount('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770', cwd).mount).toEqual({
      destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'rw', 'size=64m', 'mode=1770', 'nodev'],
    })
  })

  it('mounts a named or anonymous volume (the default type, as in Docker), readonly, volume-nocopy', () => {
    const options = (ro: boolean) => ['bind', ro ? 'ro' : 'rw', 'nodev', 'rprivate']
    expect(parseMount('type=volume,src=data,dst=/data,ro,volume-nocopy', cwd)).toEqual({
      mount: { destination: '/data', type: 'bind', source: '', options: options(true) },
      volume: { name: 'data', nocopy: true },
      mode: 'z',
    })
    expect(parseMount('target=/v,volume-nocopy=false', cwd)).toEqual({
      mount: { destination: '/v', type: 'bind', source: '', options: options(false) },
      volume: { nocopy: false },
      mode: 'z',
    })
    expect(() => parseMount('type=volume,src=/srv,dst=/v', cwd)).toThrow('invalid --mount type=volume,src=/srv,dst=/v: "/srv" is not a valid volume name')
    expect(() => parseMount('type=volume,src=v1,dst=/v,bind-propagation=shared', cwd)).toThrow('bind-propagation is not for volumes')
    expect(() => parseMount('type=volume,src=v1,dst=/v,volume-nocopy=maybe', cwd)).toThrow('volume-nocopy=maybe')
    expect(() => parseMount('type=bind,src=/a,dst=/v,volume-nocopy', cwd)).toThrow("cannot mix 'volume-*' options with mount type 'bind'")
  })

  it('refuses unknown types, unknown fields and fields of the other type', () => {
    expect(() => parseMount('type=npipe,src=v,dst=/v', cwd)).toThrow('type=npipe is not supported (bind, volume or tmpfs)')
    expect(() => parseMount('type=bind,src=/a,dst=/b,colour=red', cwd)).toThrow('unknown field "colour"')
    expect(() => parseMount('type=bind,dst=/b', cwd)).toThrow('source is required')
    expect(() => parseMount('type=tmpfs,src=/a,dst=/b', cwd)).toThrow('a tmpfs has no source')
    expect(() => parseMount('type=bind,src=/a,dst=/b,tmpfs-size=1m', cwd)).toThrow('tmpfs-size is for tmpfs')
    expect(() => parseMount('type=tmpfs,dst=/b,tmpfs-mode=rwx', cwd)).toThrow('tmpfs-mode=rwx (octal)')
    expect(() => parseMount('type=bind,src=/a,dst=/b,dst=/c', cwd)).toThrow('"target" given twice')
  })
})

describe('--tmpfs', () => {
  it('defaults to nosuid,noexec; the caller may say exec, never dev', () => {
    expect(parseTmpfs('/run').mount).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'nodev'] })
    expect(parseTmpfs('/run:exec,dev,size=1m').mount.options).toEqual(['nosuid', 'noexec', 'exec', 'dev', 'size=1m', 'nodev'])
    // Docker-shaped: the flag as given, then what is wrong with it (issue 15)
    expect(() => parseTmpfs('/run:rbind')).toThrow('--tmpfs /run:rbind: invalid mount option "rbind"')
    expect(() => parseTmpfs('/scratch:bogus=1')).toThrow('--tmpfs /scratch:bogus=1: invalid mount option "bogus=1"')
    expect(parseTmpfs('/t:mode=1777,uid=1000,nr_inodes=10,ro').mount.options).toEqual(['nosuid', 'noexec', 'mode=1777', 'uid=1000', 'nr_inodes=10', 'ro', 'nodev'])
  })
})

describe('all of them together', () => {
  it('sorts parents before children and refuses a mount point given twice', () => {
    const planned = volumesFromFlags({ volumes: ['/x:/a/b/c', '/y:/a'], tmpfs: ['/a/b'] }, cwd)
    expect(planned.map((v) => v.mount.destination)).toEqual(['/a', '/a/b', '/a/b/c'])
    expect(() => volumesFromFlags({ volumes: ['/x:/a'], tmpfs: ['/a/'] }, cwd)).toThrow('duplicate mount point: /a')
  })
})

describe('the mounts as Docker records them: MountPoint.Mode, and --tmpfs apart', () => {
  const flags = {
    volumes: ['data:/a', 'ro-data:/b:ro', '/h:/c', '/h:/d:z', '/h:/e:ro,rshared', 'keep:/f:nocopy', '/anon'],
    mounts: ['type=volume,source=v2,target=/g,readonly', 'type=bind,source=/h,target=/i,readonly', 'type=tmpfs,target=/j'],
    tmpfs: ['/k', '/l:size=1m,mode=1777'],
  }
  const planned = withImageVolumes(volumesFromFlags(flags, cwd), ['/image-volume'])

  it('-v\'s text after the container path; a local volume\'s "z" when none is given; "" for --mount binds and tmpfs and anonymous volumes', () => {
    expect(dockerMountRecord(planned)).toEqual({
      mountModes: { '/a': 'z', '/b': 'ro', '/d': 'z', '/e': 'ro,rshared', '/f': 'nocopy', '/g': 'z' },
      tmpfs: { '/k': '', '/l': 'size=1m,mode=1777' },
    })
    expect(dockerMountRecord(volumesFromFlags({ mounts: ['type=bind,source=/h,target=/i'] }, cwd))).toEqual({ mountModes: {} })
    expect(dockerMountRecord([])).toEqual({})
  })

  it('inspect\'s Mounts: each with its Mode; --tmpfs is not there (HostConfig.Tmpfs), a --mount tmpfs is', () => {
    const spec = { mounts: planned.map((p) => ({ ...p.mount, source: p.volume ? `/store/volumes/${p.volume.name ?? 'anon'}/_data` : p.mount.source })) } as unknown as Spec
    const volumes = planned.filter((p) => p.volume).map((p) => ({ name: p.volume!.name ?? 'anon', destination: p.mount.destination }))
    const mounts = userMounts({ spec, volumes, ...dockerMountRecord(planned) })
    expect(mounts.map((m) => [m.destination, m.type, m.mode, m.readOnly])).toEqual([
      ['/a', 'volume', 'z', false], ['/b', 'volume', 'ro', true], ['/c', 'bind', '', false], ['/d', 'bind', 'z', false], ['/e', 'bind', 'ro,rshared', true],
      ['/f', 'volume', 'nocopy', false], ['/anon', 'volume', '', false], ['/g', 'volume', 'z', true], ['/i', 'bind', '', true], ['/j', 'tmpfs', '', false],
      ['/image-volume', 'volume', '', false],
    ])
  })
})
