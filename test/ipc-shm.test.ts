// --ipc container:X shares X's /dev/shm, where POSIX shared memory lives
// (shm_open's files), as Docker binds a donor's: what either writes there
// the other reads, on the one tmpfs, whether X is --ipc shareable or not;
// --shm-size is X's; a joiner's own --tmpfs /dev/shm stays its own; a donor
// whose /dev/shm is a mount of its own is refused in Docker's words; --ipc
// host is the host's /dev/shm. The bind is made inside the containers'
// mount namespaces only: nothing is mounted on the host, nothing is left.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('--ipc container:X and /dev/shm (needs root)', () => {
  const cli = useCliEnv()
  const run = (args: string[]) => cli.env.run(['run', '--cgroup-parent', cli.env.cgroupParent, '--network', 'none', ...args])
  const detached = (args: string[]) => cli.ok(['run', '-d', '--cgroup-parent', cli.env.cgroupParent, '--network', 'none', ...args]).trim()
  /** The device number of /dev/shm's filesystem (each tmpfs has its own). */
  const shmDevice = 'stat -c %d /dev/shm'
  const written = (ref: string, file: string) => until(`${ref}'s ${file}`, () => cli.env.run(['exec', ref, 'test', '-e', file]).status === 0)

  for (const mode of [['--ipc', 'shareable'], []]) {
    it(`the joiner's /dev/shm is X's tmpfs: each reads what the other wrote (X ${mode.join(' ') || 'of the default mode'})`, async () => {
      detached(['--name', 'web', ...mode, BUSYBOX, 'sh', '-c', 'echo from-web > /dev/shm/web-seg; exec sleep 1000'])
      await written('web', '/dev/shm/web-seg')
      const joiner = cli.ok(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, '--network', 'none', '--ipc', 'container:web', BUSYBOX, 'sh', '-c', `cat /dev/shm/web-seg; echo from-side > /dev/shm/side-seg; ${shmDevice}`])
      const [fromWeb, device] = joiner.trim().split('\n')
      expect(fromWeb).toBe('from-web')
      expect(cli.ok(['exec', 'web', 'cat', '/dev/shm/side-seg'])).toBe('from-side\n')
      expect(cli.ok(['exec', 'web', 'sh', '-c', shmDevice]).trim()).toBe(device)
      // exec into a detached joiner: the same; a container of its own IPC namespace has a tmpfs of its own
      detached(['--name', 'side', '--ipc', 'container:web', BUSYBOX, 'sleep', '1000'])
      expect(cli.ok(['exec', 'side', 'cat', '/dev/shm/web-seg'])).toBe('from-web\n')
      expect(cli.ok(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, '--network', 'none', BUSYBOX, 'ls', '/dev/shm'])).toBe('')
    })
  }

  it('--explain shows the bind from inside X\'s mount namespace, in place of a tmpfs of its own', () => {
    detached(['--name', 'web', BUSYBOX, 'sleep', '1000'])
    const explain = cli.ok(['run', '--rm', '--explain', '--ipc', 'container:web', BUSYBOX, 'true'])
    expect(explain).toMatch(/setns <ipc-of> CLONE_NEWNS; open_tree \/dev\/shm OPEN_TREE_CLONE \(no symlink followed, refused unless a tmpfs\); setns back; move_mount the clone to \S+\/dev\/shm\n/)
    expect(explain).toContain('why: --ipc container:web: its /dev/shm')
    expect(explain).not.toMatch(/mount shm \S+\/dev\/shm -t tmpfs/)
    expect(cli.ok(['run', '--rm', '--explain', BUSYBOX, 'true'])).toMatch(/mount shm \S+\/dev\/shm -t tmpfs/)
  })

  it('--shm-size is X\'s, as in Docker; the joiner\'s own --tmpfs /dev/shm stays its own; a donor with a /dev/shm of its own is refused (125)', async () => {
    detached(['--name', 'web', '--shm-size', '2m', BUSYBOX, 'sh', '-c', 'touch /dev/shm/web-seg; exec sleep 1000'])
    await written('web', '/dev/shm/web-seg')
    const mountinfo = cli.ok(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, '--network', 'none', '--ipc', 'container:web', '--shm-size', '8m', BUSYBOX, 'grep', ' /dev/shm ', '/proc/self/mountinfo'])
    expect(mountinfo).toMatch(/ tmpfs shm rw,.*size=2048k/)
    expect(cli.ok(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, '--network', 'none', '--ipc', 'container:web', '--tmpfs', '/dev/shm', BUSYBOX, 'ls', '/dev/shm'])).toBe('')

    detached(['--name', 'own', '--tmpfs', '/dev/shm', BUSYBOX, 'sleep', '1000'])
    const refused = run(['--rm', '--ipc', 'container:own', BUSYBOX, 'true'])
    expect([refused.status, refused.stderr]).toEqual([125, 'mini-run: failed to join IPC namespace: container own: non-shareable IPC (its /dev/shm is a mount of its own: -v, --mount or --tmpfs)\n'])
    expect(cli.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort()).toEqual(['own', 'web'])
  })

  it('a donor that changed its /dev/shm itself (--privileged): no symlink of its is followed, another filesystem is refused; 125, nothing left', async () => {
    // followed, the link would bind X's /etc into the joiner as its /dev/shm
    detached(['--name', 'linked', '--privileged', BUSYBOX, 'sh', '-c', 'umount /dev/shm && rmdir /dev/shm && ln -s /etc /dev/shm && exec sleep 1000'])
    detached(['--name', 'other', '--privileged', BUSYBOX, 'sh', '-c', 'mount --bind /etc /dev/shm && exec sleep 1000'])
    await until('the donors\' changes', () => cli.env.run(['exec', 'linked', 'test', '-L', '/dev/shm']).status === 0 && cli.env.run(['exec', 'other', 'test', '-e', '/dev/shm/passwd']).status === 0)
    const linked = run(['--rm', '--ipc', 'container:linked', BUSYBOX, 'true'])
    expect([linked.status, linked.stderr]).toEqual([125, 'mini-run: bind /dev/shm of container linked on /dev/shm: Too many levels of symbolic links\n'])
    const other = run(['--rm', '--ipc', 'container:other', BUSYBOX, 'true'])
    expect([other.status, other.stderr]).toEqual([125, 'mini-run: bind /dev/shm of container other on /dev/shm: Wrong medium type\n'])
    expect(cli.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort()).toEqual(['linked', 'other'])
  })

  it.skipIf(!existsSync('/dev/shm'))('--ipc host: the host\'s /dev/shm', () => {
    const device = cli.ok(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, '--ipc', 'host', BUSYBOX, 'sh', '-c', shmDevice]).trim()
    expect(Number(device)).toBe(statSync('/dev/shm').dev)
  })

  it('mounts nothing on the host: once X and its joiner are gone, /proc/self/mountinfo is as it was', async () => {
    // the host's mounts, but for those of the other test files running beside this one (in temporary directories of their own)
    const others = (point: string) => /^\/(var\/)?tmp\//.test(point) && !point.startsWith(`${cli.env.dir}/`)
    const mounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ').slice(3, 5)).filter(([, point]) => point && !others(point)).map((f) => f.join(' ')).sort()
    const before = mounts()
    detached(['--name', 'web', BUSYBOX, 'sh', '-c', 'touch /dev/shm/web-seg; exec sleep 1000'])
    await written('web', '/dev/shm/web-seg')
    detached(['--name', 'side', '--ipc', 'container:web', BUSYBOX, 'sleep', '1000'])
    expect(cli.ok(['exec', 'side', 'ls', '/dev/shm'])).toBe('web-seg\n')
    cli.ok(['rm', '-f', 'side', 'web'])
    expect(mounts()).toEqual(before)
  })
})
