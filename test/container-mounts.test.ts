// A container's mounts as Docker shows them: inspect's Mounts, ps's MOUNTS
// column and ps --filter volume= name the user's volumes, binds and --mount
// tmpfs (src/runtime/container/user-mounts.ts), each with Docker's Mode;
// --tmpfs is HostConfig.Tmpfs, no mount point; never what mini-run mounts in
// every container (/proc, /dev, /sys...), the host's /dev/shm of --ipc
// host, or the network's /etc/hosts, resolv.conf and hostname. On the
// default bridge, so that the network's files are there: in a network
// namespace of the test's own (helpers/netns.ts).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('the user\'s mounts in inspect and ps (needs root and netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const ok = (args: string[]) => {
    const r = mr(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const detached = (args: string[]) => ok(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args]).trim()
  const mounts = (ref: string) => (JSON.parse(ok(['inspect', ref])) as { Mounts: unknown[] }[])[0]!.Mounts
  const filtered = (value: string) => ok(['ps', '-a', '--filter', `volume=${value}`, '--format', '{{.Names}}']).split('\n').filter(Boolean).sort()

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', '-v', ...ids])
    ok(['volume', 'prune', '-f'])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('inspect lists volumes, binds and a --mount tmpfs in Docker\'s shape with its Mode; --tmpfs in HostConfig.Tmpfs; nothing of the runtime\'s or the network\'s', () => {
    const host = join(env.dir, 'host-data')
    mkdirSync(host)
    detached(['--name', 'user', '-v', 'data:/data', '-v', 'other:/other:ro', '-v', `${host}:/host:ro`, '-v', `${host}:/plain`, '-v', `${host}:/label:z`,
      '--mount', `type=bind,source=${host},target=/mounted`, '--mount', 'type=tmpfs,target=/mem', '--tmpfs', '/scratch', '--tmpfs', '/sized:size=1m', BUSYBOX, 'sleep', '100'])
    // the network's files are mounted all the same
    expect(ok(['exec', 'user', 'sh', '-c', 'grep -c " /etc/hosts " /proc/mounts'])).toBe('1\n')
    // a local volume without a mode is "z" (moby's setBindModeIfNull); a bind's is -v's text, or ""
    const volume = (name: string) => join(env.storeRoot, 'volumes', name, '_data')
    const byPlace = (list: { Destination: string }[]) => [...list].sort((a, b) => (a.Destination < b.Destination ? -1 : 1))
    expect(byPlace(mounts('user') as { Destination: string }[])).toEqual(byPlace([
      { Type: 'volume', Name: 'data', Source: volume('data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'bind', Source: host, Destination: '/host', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/mem', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'other', Source: volume('other'), Destination: '/other', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
      { Type: 'bind', Source: host, Destination: '/label', Mode: 'z', RW: true, Propagation: 'rprivate' },
      { Type: 'bind', Source: host, Destination: '/plain', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'bind', Source: host, Destination: '/mounted', Mode: '', RW: true, Propagation: 'rprivate' },
    ]))
    expect(JSON.parse(ok(['inspect', 'user']))[0].HostConfig.Tmpfs).toEqual({ '/scratch': '', '/sized': 'size=1m' })
    expect(ok(['exec', 'user', 'sh', '-c', 'grep -c " /scratch tmpfs " /proc/mounts'])).toBe('1\n')
    detached(['--name', 'bare', BUSYBOX, 'sleep', '100'])
    expect(mounts('bare')).toEqual([])
    // --ipc host binds the host's /dev/shm: Docker's, not the user's
    detached(['--name', 'ipc', '--ipc', 'host', '--network', 'none', BUSYBOX, 'sleep', '100'])
    expect(mounts('ipc')).toEqual([])
    // a --mount tmpfs of the user's at /dev/shm replaces the default one, and is listed
    detached(['--name', 'shm', '--mount', 'type=tmpfs,target=/dev/shm,tmpfs-size=1m', '--network', 'none', BUSYBOX, 'sleep', '100'])
    expect(mounts('shm')).toEqual([{ Type: 'tmpfs', Source: '', Destination: '/dev/shm', Mode: '', RW: true, Propagation: '' }])
    expect(JSON.parse(ok(['inspect', 'shm']))[0].HostConfig.Tmpfs).toBeUndefined()
  })

  it('ps\'s MOUNTS shows volume names and bind sources (truncated as Docker does); --filter volume= a name, a bind\'s source or a destination of the user\'s', () => {
    const host = join(env.dir, 'a-long-host-directory')
    mkdirSync(host)
    detached(['--name', 'user', '-v', 'data:/data', '-v', `${host}:/host`, '--tmpfs', '/scratch', BUSYBOX, 'sleep', '100'])
    detached(['--name', 'bare', BUSYBOX, 'sleep', '100'])
    expect(ok(['ps', '--no-trunc', '--filter', 'name=user', '--format', '{{.Mounts}}'])).toBe(`data,${host}\n`)
    expect(ok(['ps', '--filter', 'name=user', '--format', '{{.Mounts}}'])).toBe(`data,${host.slice(0, 14)}…\n`)
    expect(ok(['ps', '--filter', 'name=bare', '--format', '{{.Mounts}}'])).toBe('\n')
    expect(filtered('data')).toEqual(['user'])
    expect(filtered('/data')).toEqual(['user'])
    expect(filtered(host)).toEqual(['user'])
    expect(filtered('/host')).toEqual(['user'])
    // --tmpfs is no mount point of Docker's
    expect(filtered('/scratch')).toEqual([])
    // what mini-run mounts in every container is no volume of theirs
    for (const runtime of ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/proc', '/dev/shm', '/sys', 'proc', 'shm']) expect(filtered(runtime)).toEqual([])
  })
})
