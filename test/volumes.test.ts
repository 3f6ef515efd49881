// Docker's -v, --mount and --tmpfs as OCI mounts (src/runtime/spec/volumes.ts): pure.
import { describe, expect, it } from 'vitest'
import { parseMount, parseTmpfs, parseVolume, volumesFromFlags } from '../src/runtime/spec/volumes.js'

const cwd = '/home/u/project'

describe('-v HOST:CONTAINER[:OPTIONS]', () => {
  it('binds a host path, bind (not recursive), rw, nodev and rprivate by default, creating a missing host dir', () => {
    expect(parseVolume('/srv/data:/data', cwd)).toEqual({
      mount: { destination: '/data', type: 'bind', source: '/srv/data', options: ['bind', 'rw', 'nodev', 'rprivate'] },
      createSource: true,
    })
  })

  it('takes ro, a propagation mode, and ignores the SELinux labels z and Z', () => {
    expect(parseVolume('/srv:/srv:ro,rslave,Z', cwd).mount.options).toEqual(['bind', 'ro', 'nodev', 'rslave'])
  })

  it('resolves ./ and ../ against the working directory, and normalises both paths', () => {
    expect(parseVolume('./data:/data/', cwd).mount).toMatchObject({ source: '/home/u/project/data', destination: '/data' })
    expect(parseVolume('../x:/a/../b', cwd).mount).toMatchObject({ source: '/home/u/x', destination: '/b' })
  })

  it('refuses volumes it has no store for, relative container paths, / and unknown options', () => {
    expect(() => parseVolume('/data', cwd)).toThrow('-v /data: anonymous volumes are not supported; bind a host directory: -v /host/dir:/data')
    expect(() => parseVolume('cache:/data', cwd)).toThrow('-v cache:/data: named volumes are not supported')
    expect(() => parseVolume('/srv:data', cwd)).toThrow('invalid -v /srv:data: the container path "data" is not absolute')
    expect(() => parseVolume('/srv:/', cwd)).toThrow("cannot mount over the container's /")
    expect(() => parseVolume('/dev:/dev', cwd)).toThrow('invalid -v /dev:/dev: /dev is mounted by mini-run for every container')
    expect(() => parseTmpfs('/proc/')).toThrow('/proc is mounted by mini-run for every container')
    expect(() => parseVolume('/srv:/srv:rx', cwd)).toThrow('unknown option "rx"')
    expect(() => parseVolume('/a:/b:ro:x', cwd)).toThrow('expected HOST:CONTAINER[:OPTIONS]')
  })
})

describe('--mount', () => {
  it('binds with source and target (or src/dst), readonly, bind-propagation; the source must exist', () => {
    expect(parseMount('type=bind,src=/srv,dst=/srv,readonly,bind-propagation=shared', cwd)).toEqual({
      mount: { destination: '/srv', type: 'bind', source: '/srv', options: ['bind', 'ro', 'nodev', 'shared'] },
    })
    expect(parseMount('type=bind,source=/a,target=/b,readonly=false', cwd).mount.options).toContain('rw')
  })

  it('mounts a tmpfs with a size and a mode, nodev', () => {
    expect(parseMount('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770', cwd).mount).toEqual({
      destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'rw', 'size=64m', 'mode=1770', 'nodev'],
    })
  })

  it('refuses volumes, unknown fields and fields of the other type', () => {
    expect(() => parseMount('type=volume,src=v,dst=/v', cwd)).toThrow('type=volume is not supported')
    expect(() => parseMount('target=/v', cwd)).toThrow('type=volume is not supported')
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
    expect(() => parseTmpfs('/run:rbind')).toThrow('invalid --tmpfs /run:rbind: option "rbind"')
  })
})

describe('all of them together', () => {
  it('sorts parents before children and refuses a mount point given twice', () => {
    const planned = volumesFromFlags({ volumes: ['/x:/a/b/c', '/y:/a'], tmpfs: ['/a/b'] }, cwd)
    expect(planned.map((v) => v.mount.destination)).toEqual(['/a', '/a/b', '/a/b/c'])
    expect(() => volumesFromFlags({ volumes: ['/x:/a'], tmpfs: ['/a/'] }, cwd)).toThrow('duplicate mount point: /a')
  })
})
