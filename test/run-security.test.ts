// What a container's process may do: Docker's capability set, no_new_privs,
// no inherited descriptors, and no way to reach a host binary through
// /proc/self/exe (the CVE-2019-5736 class).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

/** Docker's default set as /proc/self/status prints it (chown ... setfcap). */
const DOCKER_CAPS = '00000000a80425fb'

function statusField(status: string, field: string): string | undefined {
  return status.match(new RegExp(`^${field}:\\s*(\\S+)`, 'm'))?.[1]
}

describe.skipIf(!isRoot)('run: security (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('gives root Docker\'s default capabilities, nothing inheritable or ambient, no_new_privs set', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'cat', '/proc/self/status']))
    expect(statusField(r.stdout, 'CapEff')).toBe(DOCKER_CAPS)
    expect(statusField(r.stdout, 'CapPrm')).toBe(DOCKER_CAPS)
    expect(statusField(r.stdout, 'CapBnd')).toBe(DOCKER_CAPS)
    expect(statusField(r.stdout, 'CapInh')).toBe('0000000000000000')
    expect(statusField(r.stdout, 'CapAmb')).toBe('0000000000000000')
    expect(statusField(r.stdout, 'NoNewPrivs')).toBe('1')
  })

  it('installs the default seccomp filter, the build\'s precompiled program (one filter, in filter mode)', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'cat', '/proc/self/status']))
    expect(r.status).toBe(0)
    expect(statusField(r.stdout, 'Seccomp')).toBe('2')
    expect(statusField(r.stdout, 'Seccomp_filters')).toBe('1')
    // and none with seccomp=unconfined
    const u = env.run(env.runArgs(['--security-opt', 'seccomp=unconfined', BUSYBOX, 'cat', '/proc/self/status']))
    expect(statusField(u.stdout, 'Seccomp')).toBe('0')
  })

  it('gives a non-root user no effective capabilities, and the bounding set still limits', () => {
    const r = env.run(env.runArgs(['-u', '1000', BUSYBOX, 'cat', '/proc/self/status']))
    expect(statusField(r.stdout, 'CapEff')).toBe('0000000000000000')
    expect(statusField(r.stdout, 'CapPrm')).toBe('0000000000000000')
    expect(statusField(r.stdout, 'CapBnd')).toBe(DOCKER_CAPS)
  })

  it('applies --cap-add and --cap-drop', () => {
    const r = env.run(env.runArgs(['--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN', BUSYBOX, 'sh', '-c',
      'grep CapEff /proc/self/status; chown 5 /tmp 2>&1; ip link set lo down && echo netadmin-ok']))
    // + bit 12 (net_admin), - bit 0 (chown)
    expect(statusField(r.stdout, 'CapEff')).toBe('00000000a80435fa')
    expect(r.stdout).toMatch(/Operation not permitted/)
    expect(r.stdout).toMatch(/netadmin-ok/)
  })

  it('leaks no file descriptor of the runtime into the container', () => {
    // open extra descriptors in the runtime's process: they must not arrive
    const r = env.run(env.runArgs([BUSYBOX, 'ls', '/proc/self/fd']), { stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'] })
    // ls's own directory fd is the only one past 2
    expect(r.stdout.trim().split(/\s+/)).toEqual(['0', '1', '2', '3'])
  })

  it('does not run a host binary for an image entrypoint "#!/proc/self/exe" (CVE-2019-5736)', () => {
    // A rootfs with everything the host's node needs to start, so that a
    // vulnerable runtime (one that execs from a copy of node) would really run it.
    const rootfs = join(env.dir, 'cve-2019-5736')
    execFileSync('cp', ['-a', BUSYBOX_ROOTFS, rootfs])
    const libs = execFileSync('ldd', [process.execPath], { encoding: 'utf8' }).match(/\/\S+/g) ?? []
    for (const lib of libs) {
      mkdirSync(join(rootfs, dirname(lib)), { recursive: true })
      copyFileSync(lib, join(rootfs, lib))
    }
    writeFileSync(join(rootfs, 'evil'), '#!/proc/self/exe\nconsole.log("pwned by", process.execPath)\n')
    chmodSync(join(rootfs, 'evil'), 0o755)
    const before = createHash('sha256').update(readFileSync(process.execPath)).digest('hex')
    const r = env.run(env.runArgs(['--rootfs', rootfs, '/evil']))
    expect(r.stdout).not.toContain('pwned')
    expect(r.status).not.toBe(0)
    expect(createHash('sha256').update(readFileSync(process.execPath)).digest('hex')).toBe(before)
  })

  it('runs its init from a sealed memfd that cannot be written, not from a host binary', () => {
    const r = env.run(env.runArgs(['--init', BUSYBOX, 'sh', '-c', 'readlink /proc/1/exe; echo x >> /proc/1/exe && echo written || echo refused']))
    expect(r.stdout).toMatch(/^\/memfd:mini-run-stage \(deleted\)\nrefused\n$/)
  })

  it('filters syscalls as Docker\'s default seccomp profile does; --cap-add and seccomp=unconfined lift it', () => {
    const probe = 'grep "^Seccomp:" /proc/self/status; unshare -U true 2>&1; echo "user=$?"; unshare -m true 2>&1; echo "mount=$?"'
    const filtered = env.run(env.runArgs([BUSYBOX, 'sh', '-c', probe]))
    expect(filtered.stdout).toBe(
      'Seccomp:\t2\nunshare: unshare(0x10000000): Operation not permitted\nuser=1\nunshare: unshare(0x20000): Operation not permitted\nmount=1\n',
    )
    // CAP_SYS_ADMIN gives back the namespace syscalls, as in Docker
    const admin = env.run(env.runArgs(['--cap-add', 'SYS_ADMIN', BUSYBOX, 'sh', '-c', probe]))
    expect(admin.stdout).toBe('Seccomp:\t2\nuser=0\nmount=0\n')
    // a user namespace needs no capability at all: only the filter stood in the way
    const unconfined = env.run(env.runArgs(['--security-opt', 'seccomp=unconfined', BUSYBOX, 'sh', '-c', probe]))
    expect(unconfined.stdout).toMatch(/^Seccomp:\t0\nuser=0\n/)
    const bad = env.run(env.runArgs(['--security-opt', 'seccomp=/etc/profile.json', BUSYBOX, 'true']))
    // a profile file is read (test/run-privileges.test.ts): a missing one is named
    expect(bad.stderr).toBe('mini-run: --security-opt seccomp=/etc/profile.json: ENOENT: no such file or directory, open \'/etc/profile.json\'\n')
    expect(bad.status).toBe(125)
  })
})
