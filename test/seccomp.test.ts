// The default seccomp profile (seccomp-profile.ts), its compilation to BPF
// (seccomp-bpf.ts), and the syscall numbers it uses: no root, no kernel.
// The compiled program runs here on a small classic-BPF interpreter.
import { runInNewContext } from 'node:vm'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { compileSeccomp, precompiledProgram } from '../src/runtime/spec/seccomp-bpf.js'
import { defaultSeccompProfile, PROFILE_SYSCALLS } from '../src/runtime/spec/seccomp-profile.js'
import { SYSCALL_MAX, syscallNumbers } from '../src/runtime/spec/seccomp-syscalls.js'
import { DOCKER_DEFAULT_CAPABILITIES } from '../src/runtime/spec/capabilities.js'
// @ts-expect-error: a plain .mjs script without types
import { HEADERS, headerNumbers } from '../scripts/gen-syscalls.mjs'

const AUDIT = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7, arm: 0x40000028 }
const ALLOW = 0x7fff0000
const KILL = 0x80000000
const EPERM = 0x00050000 | 1
const ENOSYS = 0x00050000 | 38

/** Run a sock_filter[] on seccomp_data { nr, arch, ip, args[6] }, as the kernel would. */
function run(program: Buffer, arch: number, nr: number, args: number[] = []): number {
  const data = Buffer.alloc(64)
  data.writeUInt32LE(nr >>> 0, 0)
  data.writeUInt32LE(arch >>> 0, 4)
  args.forEach((a, i) => data.writeBigUInt64LE(BigInt(a), 16 + 8 * i))
  const n = program.length / 8
  let A = 0
  for (let pc = 0; pc < n; pc++) {
    const code = program.readUInt16LE(pc * 8)
    const jt = program.readUInt8(pc * 8 + 2)
    const jf = program.readUInt8(pc * 8 + 3)
    const k = program.readUInt32LE(pc * 8 + 4)
    switch (code) {
      case 0x20: // ld [k]
        A = data.readUInt32LE(k)
        break
      case 0x54: // and #k
        A = (A & k) >>> 0
        break
      case 0x15: // jeq #k
        pc += A === k ? jt : jf
        break
      case 0x35: // jge #k
        pc += A >= k ? jt : jf
        break
      case 0x05: // ja
        pc += k
        break
      case 0x06: // ret #k
        return k
      default:
        throw new Error(`unknown instruction ${code.toString(16)} at ${pc}`)
    }
    if (pc + 1 > n) throw new Error(`jump out of the program at ${pc}`)
  }
  throw new Error('fell off the end of the program')
}

const x64 = (name: string) => syscallNumbers().x86_64![name]!
const CLONE_NEWUSER = 0x10000000
const CLONE_NEWNS = 0x00020000
// what glibc's fork() passes: SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID
const FORK_FLAGS = 17 | 0x01000000 | 0x00200000

describe('the default seccomp profile, compiled', () => {
  const program = compileSeccomp(defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES, 'x64'))

  it('fails what Docker denies with EPERM, clone3 with ENOSYS, and allows the rest', () => {
    for (const name of ['unshare', 'setns', 'mount', 'keyctl', 'add_key', 'bpf', 'userfaultfd', 'io_uring_setup', 'kexec_load', 'open_by_handle_at']) {
      expect(run(program, AUDIT.x86_64, x64(name)), name).toBe(EPERM)
    }
    expect(run(program, AUDIT.x86_64, x64('clone3'))).toBe(ENOSYS)
    for (const nr of [0 /* read */, 1 /* write */, 39 /* getpid */, 59 /* execve */, 101 /* ptrace */, 161 /* chroot */]) {
      expect(run(program, AUDIT.x86_64, nr), `syscall ${nr}`).toBe(ALLOW)
    }
  })

  it('checks arguments: no vsock socket, only Docker\'s personalities', () => {
    expect(run(program, AUDIT.x86_64, x64('socket'), [40 /* AF_VSOCK */])).toBe(EPERM)
    expect(run(program, AUDIT.x86_64, x64('socket'), [2 /* AF_INET */])).toBe(ALLOW)
    for (const p of [0, 8, 0x20000, 0x20008, 0xffffffff]) expect(run(program, AUDIT.x86_64, x64('personality'), [p])).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, x64('personality'), [0x0040000 /* ADDR_NO_RANDOMIZE */])).toBe(EPERM)
  })

  it('refuses AF_ALG too, and i386 socketcall(SYS_SOCKET), whose family a filter cannot read', () => {
    expect(run(program, AUDIT.x86_64, x64('socket'), [38 /* AF_ALG */])).toBe(EPERM)
    expect(run(program, AUDIT.i386, syscallNumbers().i386!.socket!, [40])).toBe(EPERM)
    const socketcall = syscallNumbers().i386!.socketcall!
    expect(socketcall).toBe(102)
    expect(run(program, AUDIT.i386, socketcall, [1 /* SYS_SOCKET */, 0x4a40d0 /* the args, in memory */])).toBe(EPERM)
    for (const call of [2 /* SYS_BIND */, 3 /* SYS_CONNECT */, 16 /* SYS_SENDMSG */]) expect(run(program, AUDIT.i386, socketcall, [call])).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, 102 /* getuid: x86-64 has no socketcall */, [1])).toBe(ALLOW)
    expect(syscallNumbers().x86_64!.socketcall).toBeUndefined()
  })

  it('matches Docker\'s current profile (moby/profiles seccomp v0.2.3) where the two used to differ', () => {
    // name_to_handle_at: allowed since moby PR #45766; its dangerous half stays denied
    expect(run(program, AUDIT.x86_64, 303 /* name_to_handle_at */)).toBe(ALLOW)
    expect(run(program, AUDIT.i386, 341 /* name_to_handle_at */)).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, x64('open_by_handle_at'))).toBe(EPERM)
    // clock_adjtime only reads the clock without CAP_SYS_TIME: Docker allows it
    expect(run(program, AUDIT.x86_64, 305 /* clock_adjtime */)).toBe(ALLOW)
    for (const name of ['sethostname', 'setdomainname', 'migrate_pages', 'move_pages']) expect(run(program, AUDIT.x86_64, x64(name)), name).toBe(EPERM)
    // denied whatever the capabilities, as in Docker
    const all = compileSeccomp(defaultSeccompProfile([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE'], 'x64'))
    for (const name of ['pivot_root', 'swapon', 'swapoff', 'kexec_load', 'kexec_file_load', 'migrate_pages', 'move_pages']) {
      expect(run(all, AUDIT.x86_64, x64(name)), name).toBe(EPERM)
    }
    for (const name of ['sethostname', 'reboot', 'mbind']) expect(run(all, AUDIT.x86_64, x64(name)), name).toBe(ALLOW)
    // chroot goes with CAP_SYS_CHROOT, which the default set has
    const noChroot = compileSeccomp(defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'), 'x64'))
    expect(run(noChroot, AUDIT.x86_64, x64('chroot'))).toBe(EPERM)
    expect(run(program, AUDIT.x86_64, x64('chroot'))).toBe(ALLOW)
  })

  it('lets syscall -1 through (a tracer skipping a call), and gives ENOSYS to syscalls newer than its table', () => {
    expect(run(program, AUDIT.x86_64, 0xffffffff)).toBe(ALLOW)
    expect(run(program, AUDIT.i386, 0xffffffff)).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, SYSCALL_MAX.x86_64! + 1)).toBe(ENOSYS)
    expect(run(program, AUDIT.x86_64, 457 /* statmount, Linux 6.8 */)).toBe(ENOSYS)
    expect(run(program, AUDIT.x86_64, x64('set_mempolicy_home_node'))).toBe(EPERM)
  })

  it('lets clone fork and make threads, but not namespaces', () => {
    expect(run(program, AUDIT.x86_64, x64('clone'), [FORK_FLAGS])).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, x64('clone'), [0x3d0f00 /* pthread_create's flags */])).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, x64('clone'), [FORK_FLAGS | CLONE_NEWUSER])).toBe(EPERM)
    expect(run(program, AUDIT.x86_64, x64('clone'), [CLONE_NEWNS])).toBe(EPERM)
    expect(run(program, AUDIT.x86_64, x64('clone'), [0x80 /* CLONE_NEWTIME */])).toBe(EPERM)
  })

  it('applies the i386 numbers to 32-bit syscalls, and kills x32 and unknown ABIs', () => {
    expect(run(program, AUDIT.i386, syscallNumbers().i386!.unshare!)).toBe(EPERM)
    expect(run(program, AUDIT.i386, syscallNumbers().i386!.clone!, [CLONE_NEWUSER])).toBe(EPERM)
    expect(run(program, AUDIT.i386, 20 /* getpid on i386; x86-64's 20 is writev */)).toBe(ALLOW)
    expect(run(program, AUDIT.x86_64, 0x40000000 + x64('unshare'))).toBe(KILL)
    expect(run(program, AUDIT.arm, 1)).toBe(KILL)
  })

  it('gives a group back with its capability, as Docker does', () => {
    const admin = compileSeccomp(defaultSeccompProfile([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'x64'))
    expect(run(admin, AUDIT.x86_64, x64('unshare'))).toBe(ALLOW)
    expect(run(admin, AUDIT.x86_64, x64('mount'))).toBe(ALLOW)
    expect(run(admin, AUDIT.x86_64, x64('clone'), [CLONE_NEWUSER])).toBe(ALLOW)
    expect(run(admin, AUDIT.x86_64, x64('clone3'))).toBe(ALLOW)
    expect(run(admin, AUDIT.x86_64, x64('keyctl'))).toBe(EPERM) // no capability lifts this one
    expect(run(admin, AUDIT.x86_64, x64('init_module'))).toBe(EPERM) // that takes CAP_SYS_MODULE
  })

  it('has an arm64 table of its own', () => {
    const arm64 = compileSeccomp(defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES, 'arm64'))
    expect(run(arm64, AUDIT.aarch64, syscallNumbers().aarch64!.unshare!)).toBe(EPERM)
    expect(run(arm64, AUDIT.aarch64, 172 /* getpid */)).toBe(ALLOW)
    expect(run(arm64, AUDIT.x86_64, x64('getpid') ?? 39)).toBe(KILL)
  })

  it('refuses what it cannot compile', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_MIPS'] })).toThrow('unsupported architecture SCMP_ARCH_MIPS')
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [] })).toThrow('names no architecture')
    expect(() => compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }],
    })).toThrow('is not an unsigned 64-bit value')
    expect(() => compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['clone'], action: 'SCMP_ACT_NOTIFY' as 'SCMP_ACT_ALLOW' }],
    })).toThrow('unsupported action SCMP_ACT_NOTIFY')
  })
})

describe('the syscall numbers (src/runtime/spec/seccomp-syscalls.ts)', () => {
  const present = Object.values(HEADERS as Record<string, [string, RegExp]>).every(([file]) => existsSync(file))
  it.runIf(present)('match the Linux UAPI headers, every syscall of them (needs linux-libc-dev)', () => {
    for (const arch of Object.keys(HEADERS)) {
      const numbers = headerNumbers(arch) as Map<string, number>
      expect(syscallNumbers()[arch], arch).toEqual(Object.fromEntries(numbers))
      for (const name of PROFILE_SYSCALLS) expect(typeof syscallNumbers()[arch]![name] === 'number' || !numbers.has(name), name).toBe(true)
      expect(SYSCALL_MAX[arch], arch).toBe(Math.max(...numbers.values()))
    }
  })
})

describe('the default profile\'s program, compiled at build time (scripts/bundle.mjs)', () => {
  it('is in the bundles as compileSeccomp makes it from this source, under the profile\'s JSON, for each architecture (needs npm run build)', () => {
    for (const file of ['dist/mini-run-run.cjs', 'dist/mini-run-cli.cjs']) {
      const bundle = readFileSync(file, 'latin1')
      // as the build writes it: one literal (esbuild may make it a template), a profile's JSON and
      // its program on lines of their own, looked up where it is by compileSeccomp
      const literal = /(`\{"defaultAction(?:[^`\\$]|\\.)*`|'\{"defaultAction(?:[^'\\]|\\.)*'|"\{\\"defaultAction(?:[^"\\]|\\.)*")/.exec(bundle)?.[1]
      expect(literal, file).toBeDefined()
      const lines = (runInNewContext(literal!) as string).split('\n')
      expect(lines.length, file).toBe(4)
      for (const arch of ['x64', 'arm64']) {
        const profile = defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES, arch)
        const at = lines.indexOf(JSON.stringify(profile))
        expect(at % 2, `${file} ${arch}`).toBe(0)
        expect(lines[at + 1], `${file} ${arch}`).toBe(compileSeccomp(profile).toString('base64'))
      }
      // and compileSeccomp's lookup finds them in it, as the bundle defines it (undefined here)
      const wanted = ['x64', 'arm64'].map((arch) => defaultSeccompProfile(DOCKER_DEFAULT_CAPABILITIES, arch))
      const programs = wanted.map((profile) => compileSeccomp(profile).toString('base64'))
      vi.stubGlobal('SECCOMP_PRECOMPILED_TEXT', runInNewContext(literal!) as string)
      try {
        wanted.forEach((profile, i) => expect(precompiledProgram(JSON.stringify(profile)), file).toBe(programs[i]))
        const json = JSON.stringify(wanted[0])
        // the whole line or nothing: a prefix, a longer key, another profile
        for (const miss of [json.slice(0, -1), `${json} `, '', JSON.stringify(defaultSeccompProfile([], 'x64'))]) expect(precompiledProgram(miss)).toBeUndefined()
      } finally {
        vi.unstubAllGlobals()
      }
    }
  })
})

describe('a profile that names an Object.prototype property', () => {
  it('compiles no rule for it: toString, constructor and __proto__ are not syscalls', () => {
    const base = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [] })
    const named = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['toString', 'constructor', '__proto__', 'hasOwnProperty'], action: 'SCMP_ACT_ERRNO' }],
    })
    expect(named).toEqual(base)
    expect(run(named, AUDIT.x86_64, 0)).toBe(ALLOW)
  })
})
