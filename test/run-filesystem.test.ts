// The container's filesystem: an overlay of the image, nodev everywhere
// writable, Docker's masked and read-only paths, and mount targets that an
// image cannot redirect with a symlink.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { kernelAtLeast } from '../src/runtime/kernel-version.js'

describe.skipIf(!isRoot)('run: filesystem (needs root: mounts and mknod)', () => {
  let env: TestEnv
  /** A private copy of the busybox rootfs, for cases an image would ship. */
  const copyRootfs = (name: string) => {
    const dir = join(env.dir, name)
    execFileSync('cp', ['-a', BUSYBOX_ROOTFS, dir])
    return dir
  }
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('masks Docker\'s paths (those this kernel has) and makes /proc/sys read-only', () => {
    // which of the masked files exist depends on the kernel's config (no /proc/kcore here)
    const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/interrupts'].filter((p) => existsSync(p))
    expect(masked.length).toBeGreaterThan(0)
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c',
      `for f in ${masked.join(' ')}; do wc -c < $f; done; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo writable || echo ro; ls /sys/firmware | wc -l; ls /proc/acpi | wc -l`]))
    expect(r.stdout.trim().split('\n')).toEqual([...masked.map(() => '0'), 'ro', '0', '0'])
  })

  it('cannot open a device node made inside with mknod', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c',
      'mknod /tmp/mem c 1 1 && mknod /dev/mem2 c 1 1 && ls -l /tmp/mem | cut -c1; head -c1 /tmp/mem; echo "rootfs=$?"; head -c1 /dev/mem2; echo "dev=$?"']))
    expect(r.stdout).toBe('c\nrootfs=1\ndev=1\n')
    expect(r.stderr).toMatch(/Permission denied/)
  })

  it('cannot open a device node shipped in the rootfs', () => {
    const rootfs = copyRootfs('devnode')
    execFileSync('mknod', [join(rootfs, 'mem'), 'c', '1', '1'])
    const r = env.run(env.runArgs(['--rootfs', rootfs, 'sh', '-c', 'head -c1 /mem; echo "status=$?"']))
    expect(r.stdout).toBe('status=1\n')
    expect(r.stderr).toMatch(/Permission denied/)
  })

  it('gives only the allowed device nodes in /dev, and they work', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c', 'ls /dev; head -c4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok']))
    const listed = r.stdout.split('\n').slice(0, -3)
    expect(listed.sort()).toEqual(['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'])
    expect(r.stdout.endsWith('4\nnull-ok\n')).toBe(true)
  })

  it('does not let an image\'s /proc symlink redirect the proc mount onto a host path', () => {
    const hostDir = join(env.dir, 'host-target')
    mkdirSync(hostDir)
    writeFileSync(join(hostDir, 'marker'), 'host')
    const rootfs = copyRootfs('procsymlink')
    rmSync(join(rootfs, 'proc'), { recursive: true, force: true })
    symlinkSync(hostDir, join(rootfs, 'proc')) // absolute: a host path if followed outside the rootfs
    const r = env.run(env.runArgs(['--rootfs', rootfs, 'sh', '-c', 'cat /proc/1/comm; true']))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('sh\n') // procfs landed inside the rootfs, where the symlink points from inside
    expect(readdirSync(hostDir)).toEqual(['marker'])
    expect(existsSync(join(rootfs, hostDir))).toBe(true) // created under the rootfs, not on the host
  })

  it('writes to an overlay: the image is never modified, --read-only refuses writes', () => {
    const w = env.run(env.runArgs([BUSYBOX, 'sh', '-c', 'echo changed > /etc/motd-test && rm /bin/ls && echo done']))
    expect(w.stdout).toBe('done\n')
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c', 'test -e /etc/motd-test || echo clean; test -e /bin/ls && echo ls-here']))
    expect(r.stdout).toBe('clean\nls-here\n')
    const ro = env.run(env.runArgs(['--read-only', BUSYBOX, 'sh', '-c', 'touch /x 2>&1; touch /tmp/y 2>&1; touch /dev/shm/z && echo shm-ok']))
    expect(ro.stdout).toMatch(/Read-only file system[\s\S]*Read-only file system[\s\S]*shm-ok/)
    // a working directory the image lacks is made before the root is read-only, as Docker makes it at create
    const wd = env.run(env.runArgs(['--read-only', '-w', '/new/wd', BUSYBOX, 'sh', '-c', 'pwd; touch x 2>/dev/null || echo ro']))
    expect(wd).toMatchObject({ status: 0, stdout: '/new/wd\nro\n', stderr: '' })
  })

  it('mounts --rm\'s writable layer volatile (no syncs: it goes at the exit), a kept container\'s not, and starts that one again', () => {
    // overlayfs shows the option as fsync=volatile (6.x) or volatile (5.10-5.x)
    const volatile = (line: string) => line.split(' ')[3]!.split(',').some((o) => o === 'volatile' || o === 'fsync=volatile')
    const mounts = 'grep "^overlay / " /proc/mounts'
    const rm = env.run(env.runArgs([BUSYBOX, 'sh', '-c', mounts]))
    expect(rm.status).toBe(0)
    expect(volatile(rm.stdout)).toBe(kernelAtLeast('5.10'))
    const kept = ['run', '--name', 'kept', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', `${mounts}; echo again >> /kept; cat /kept`]
    const first = env.run(kept)
    expect(first.status).toBe(0)
    expect(volatile(first.stdout)).toBe(false)
    expect(first.stdout.split('\n').slice(1).join('\n')).toBe('again\n')
    // the same writable layer, mounted again
    const again = env.run(['start', '-a', 'kept'])
    expect(again.status).toBe(0)
    expect(again.stdout.split('\n').slice(1).join('\n')).toBe('again\nagain\n')
    expect(env.run(['rm', 'kept']).status).toBe(0)
  })

  it('binds host paths with -v and --mount, read-only on request, and mounts --tmpfs nodev', () => {
    const host = join(env.dir, 'vol')
    mkdirSync(host)
    writeFileSync(join(host, 'in.txt'), 'from host\n')
    const created = join(env.dir, 'made-by-v')
    const r = env.run(env.runArgs([
      '-v', `${host}:/data`, '-v', `${created}:/made`, '--mount', `type=bind,source=${host},target=/ro,readonly`,
      '--tmpfs', '/scratch:size=1m', BUSYBOX, 'sh', '-c',
      'cat /data/in.txt; echo out > /data/out.txt; touch /ro/x 2>/dev/null || echo ro-refused; touch /made/m; ' +
        'mknod /scratch/mem c 1 1 && head -c1 /scratch/mem 2>/dev/null || echo nodev; grep " /scratch " /proc/mounts | cut -d" " -f4',
    ]))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('from host\nro-refused\nnodev\nrw,nosuid,nodev,noexec,relatime,size=1024k\n')
    expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('out\n') // writes reach the host
    expect(existsSync(join(created, 'm'))).toBe(true) // -v made the missing host directory
  })

  it('binds a host directory without the mounts below it, whose device nodes would not be nodev', () => {
    const host = join(env.dir, 'with-submount')
    mkdirSync(join(host, 'sub'), { recursive: true })
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'dev,size=64k', 'tmpfs', join(host, 'sub')])
    try {
      execFileSync('mknod', [join(host, 'sub', 'zero'), 'c', '1', '5'])
      const r = env.run(env.runArgs(['-v', `${host}:/data`, BUSYBOX, 'sh', '-c', 'ls -A /data/sub | wc -l; head -c1 /data/sub/zero 2>/dev/null | wc -c']))
      expect(r.stdout).toBe('0\n0\n') // the directory under the tmpfs: empty, no node to open
    } finally {
      execFileSync('umount', [join(host, 'sub')])
    }
  })

  it('binds -v into a --read-only container, and does not let an image symlink redirect the target', () => {
    const host = join(env.dir, 'vol-ro')
    mkdirSync(host)
    writeFileSync(join(host, 'f'), 'bound\n')
    const elsewhere = join(env.dir, 'elsewhere')
    mkdirSync(elsewhere)
    const rootfs = copyRootfs('volsymlink')
    symlinkSync(elsewhere, join(rootfs, 'data')) // absolute: a host path if followed outside the rootfs
    const r = env.run(env.runArgs(['--read-only', '-v', `${host}:/data`, '--rootfs', rootfs, 'cat', '/data/f']))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('bound\n')
    expect(readdirSync(elsewhere)).toEqual([]) // nothing was mounted on the host path
  })

  it('refuses a bad -v or --mount with one line, before anything starts', () => {
    for (const [args, message] of [
      [['-v', 'cache!:/data'], 'mini-run: invalid -v cache!:/data: "cache!" is not a valid volume name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, two characters at least (a host directory is an absolute or ./ path)\n'],
      [['--mount', `type=bind,source=${join(env.dir, 'nope')},target=/x`], `mini-run: bind source path does not exist: ${join(env.dir, 'nope')}\n`],
      [['-v', '/tmp:x'], 'mini-run: invalid -v /tmp:x: the container path "x" is not absolute\n'],
    ] as const) {
      const r = env.run(env.runArgs([...args, BUSYBOX, 'true']))
      expect(r.stderr).toBe(message)
      expect(r.status).toBe(125)
    }
  })
})
