// run's device and privilege flags (issue 11): --device and
// --device-cgroup-rule through the device cgroup, --privileged, --cap-add ALL
// as the runtime's own bounding set, --security-opt no-new-privileges=false
// and seccomp=FILE in Docker's profile format. Parsing without root; the
// flags' effect in real containers as root.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCapBnd } from '../src/runtime/spec/host-capabilities.js'
import { parseDeviceCgroupRule, parseDeviceFlag } from '../src/runtime/spec/device-flags.js'
import { dockerSeccompProfile } from '../src/runtime/spec/docker-seccomp.js'
import { cliEnv } from './helpers/cli.js'
import { cgroupDirs } from './helpers/oci.js'
import { isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const fuse = (path: string) => (path === '/dev/fuse' ? { type: 'c' as const, major: 10, minor: 229 } : undefined)

describe('parsing', () => {
  it('--device HOST[:CONTAINER][:PERMISSIONS]: the node to bind and its device cgroup rule', () => {
    expect(parseDeviceFlag('/dev/fuse', fuse)).toEqual({ device: { path: '/dev/fuse', type: 'c', major: 10, minor: 229 }, rule: { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' } })
    expect(parseDeviceFlag('/dev/fuse:/dev/f2:r', fuse)).toEqual({
      device: { path: '/dev/f2', type: 'c', major: 10, minor: 229, hostPath: '/dev/fuse' },
      rule: { allow: true, type: 'c', major: 10, minor: 229, access: 'r' },
    })
    expect(parseDeviceFlag('/dev/fuse:rw', fuse).rule.access).toBe('rw')
    expect(() => parseDeviceFlag('/dev/nothing', fuse)).toThrow('--device /dev/nothing: /dev/nothing is not a device node on this host')
    expect(() => parseDeviceFlag('/dev/fuse:/x:rwx', fuse)).toThrow(/permissions are made of r, w and m/)
  })

  it('--device-cgroup-rule', () => {
    expect(parseDeviceCgroupRule('c 10:229 rwm')).toEqual({ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' })
    expect(parseDeviceCgroupRule('b 8:* r')).toEqual({ allow: true, type: 'b', major: 8, access: 'r' })
    expect(() => parseDeviceCgroupRule('c 10 rwm')).toThrow(/invalid --device-cgroup-rule "c 10 rwm"/)
  })

  it('the runtime\'s bounding set, which --cap-add ALL means', () => {
    expect(parseCapBnd('Name:\tx\nCapBnd:\t000001fffeffffff\n')).not.toContain('CAP_SYS_RESOURCE')
    expect(parseCapBnd('CapBnd:\t000001ffffffffff\n')).toContain('CAP_SYS_RESOURCE')
  })

  it('a Docker profile: its archMap, rules kept by capability, architecture and kernel', () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN'] }, args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['io_uring_setup'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '9.0' } },
      ],
    }
    const plain = dockerSeccompProfile(profile, 'p.json', [], 'x64', '6.1.0')
    expect(plain.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'])
    expect(plain.syscalls!.map((r) => r.names[0])).toEqual(['read', 'arch_prctl', 'clone'])
    const admin = dockerSeccompProfile(profile, 'p.json', ['CAP_SYS_ADMIN'], 'arm64', '9.1')
    expect(admin.architectures).toEqual(['SCMP_ARCH_AARCH64'])
    expect(admin.syscalls!.map((r) => r.names[0])).toEqual(['read', 'mount', 'io_uring_setup'])
    expect(() => dockerSeccompProfile({ defaultAction: 'SCMP_ACT_NOTIFY' }, 'p.json', [])).toThrow(/--security-opt seccomp=p\.json: .*unsupported action SCMP_ACT_NOTIFY/)
  })
})

describe.skipIf(!isRoot)('the flags in real containers', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env.cleanup())
  const run = (flags: string[], script: string) => env.run(env.runArgs([...flags, 'localhost/test/busybox', 'sh', '-c', script]))

  it.runIf(existsSync('/dev/fuse'))('--device /dev/fuse works, read-only when asked; another device is not there', () => {
    const r = run(['--device', '/dev/fuse'], 'exec 3</dev/fuse && echo fuse-ok; exec 4</dev/kmsg && echo kmsg-ok; true')
    expect(r.stdout).toBe('fuse-ok\n')
    expect(r.stderr).toMatch(/kmsg/)
    const ro = run(['--device', '/dev/fuse:/dev/myfuse:r'], 'exec 3</dev/myfuse && echo read-ok; exec 4>/dev/myfuse && echo write-ok; true')
    expect(ro.stdout).toBe('read-ok\n')
    expect(ro.stderr).toMatch(/myfuse: Operation not permitted/)
    expect(env.leftovers()).toEqual([])
    // the device cgroup's v1 leaf went, and the parent made for it
    expect(cgroupDirs(env.cgroupParent).filter((d) => existsSync(d))).toEqual([])
  })

  it.runIf(existsSync('/dev/fuse'))('--device-cgroup-rule widens what the device cgroup allows', () => {
    // read-only through --device; the rule adds write
    const r = run(['--device', '/dev/fuse:/dev/fuse:r', '--device-cgroup-rule', 'c 10:229 w'], 'exec 4>/dev/fuse && echo write-ok')
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('write-ok\n')
    expect(env.leftovers()).toEqual([])
  })

  it.runIf(existsSync('/dev/fuse'))('a node made with mknod opens when the device cgroup allows it, as in Docker; without a device cgroup /dev is nodev', () => {
    const script = 'mknod /dev/f c 10 229 && echo made; exec 3<>/dev/f && echo open-ok; true'
    // the rule lets it open: /dev is not nodev under a device cgroup
    const allowed = run(['--cap-add', 'MKNOD', '--device-cgroup-rule', 'c 10:229 rw'], script)
    expect(allowed.stdout).toBe('made\nopen-ok\n')
    // a device cgroup without that rule: made (mknod is allowed for all), not opened
    const denied = run(['--cap-add', 'MKNOD', '--device-cgroup-rule', 'c 1:3 rwm'], script)
    expect(denied.stdout).toBe('made\n')
    expect(denied.stderr).toMatch(/\/dev\/f: Operation not permitted/)
    // no device cgroup: nodev keeps the node shut
    const plain = run(['--cap-add', 'MKNOD'], script)
    expect(plain.stdout).toBe('made\n')
    expect(plain.stderr).toMatch(/\/dev\/f: Permission denied/)
    expect(env.leftovers()).toEqual([])
  })

  // a hybrid host's two places a device cgroup can come from, which a test can hide
  const hide = ['/sys/fs/cgroup/devices', '/sys/fs/cgroup/unified']
  const hybrid = existsSync('/dev/fuse') && hide.every((m) => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${m} `))
  it.runIf(hybrid)('on a host with no device cgroup to use, /dev stays nodev with --device, and --device-cgroup-rule is refused (a hybrid host, /dev/fuse)', () => {
    // the host as one without a v1 devices hierarchy or a cgroup v2 mount: both unmounted in a
    // private mount namespace of this test's own (the host's mounts stay as they are)
    const without = (flags: string[], script: string) => {
      const argv = env.runArgs([...flags, 'localhost/test/busybox', 'sh', '-c', script])
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `for m in ${hide.join(' ')}; do umount -l "$m" || exit 99; done; exec mini-run "$@"`, 'sh', ...argv], { encoding: 'utf8', env: cliEnv(), timeout: 60_000 })
      return { status: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    const made = without(['--device', '/dev/fuse', '--cap-add', 'MKNOD'], 'exec 3</dev/fuse && echo fuse-ok; mknod /dev/f c 10 229 && exec 4<>/dev/f && echo open-ok; true')
    expect(made.stdout).toBe('fuse-ok\n')
    expect(made.stderr).toMatch(/\/dev\/f: Permission denied/)
    const rule = without(['--device-cgroup-rule', 'c 10:229 rw'], 'true')
    expect([rule.status, rule.stderr]).toEqual([125, 'mini-run: --device-cgroup-rule needs a device cgroup: this host has neither a v1 devices hierarchy nor a cgroup v2 mount\n'])
    expect(env.leftovers()).toEqual([])
  })

  it('--cap-add ALL gives the runtime\'s own bounding set, not capabilities it lacks', () => {
    const own = /^CapBnd:\s+(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]
    const r = run(['--cap-add', 'ALL'], 'grep CapEff /proc/self/status')
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`CapEff:\t${own}\n`)
  })

  it('--privileged: every capability the runtime holds, no seccomp, no masked paths, /sys writable, the host\'s devices', () => {
    const own = /^CapBnd:\s+(\w+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]
    const r = run(['--privileged'], 'grep -E "^(CapEff|Seccomp):" /proc/self/status; grep " /sys sysfs" /proc/self/mounts | grep -c "rw,"; grep -c " /proc/kcore " /proc/self/mounts; test -c /dev/kmsg && echo kmsg')
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`CapEff:\t${own}\nSeccomp:\t0\n1\n0\nkmsg\n`)
    expect(env.leftovers()).toEqual([])
  })

  it('no_new_privs is on by default, off with --security-opt no-new-privileges=false', () => {
    expect(run([], 'grep NoNewPrivs /proc/self/status').stdout).toBe('NoNewPrivs:\t1\n')
    expect(run(['--security-opt', 'no-new-privileges=false'], 'grep NoNewPrivs /proc/self/status').stdout).toBe('NoNewPrivs:\t0\n')
    expect(run(['--security-opt', 'no-new-privileges=maybe'], 'true').stderr).toMatch(/--security-opt no-new-privileges=maybe: not supported/)
  })

  it('--security-opt seccomp=FILE applies a Docker-format profile', () => {
    const file = join(env.dir, 'profile.json')
    writeFileSync(file, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }],
      syscalls: [
        { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['chmod', 'fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o777, op: 'SCMP_CMP_GT' }] },
        { names: ['chmod', 'fchmodat', 'fchmodat2'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o777, op: 'SCMP_CMP_GT' }] },
      ],
    }))
    const r = run(['--security-opt', `seccomp=${file}`], 'mkdir /tmp/d; touch /tmp/f; chmod 4755 /tmp/f || echo setuid-refused; chmod 755 /tmp/f && echo chmod-ok')
    expect(r.stderr).toMatch(/mkdir: can't create directory '\/tmp\/d': Permission denied/)
    expect(r.stdout).toBe('setuid-refused\nchmod-ok\n')
  })
})
