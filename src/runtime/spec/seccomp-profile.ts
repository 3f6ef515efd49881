/**
 * The default seccomp profile: the syscalls Docker's default profile keeps
 * from a container, as a denylist in OCI form (linux.seccomp).
 *
 * Why a filter on top of capabilities: most of these fail without a
 * capability anyway, but some do not need one at all (a user namespace,
 * the kernel keyring, userfaultfd, io_uring) and are where container
 * escapes through kernel bugs have started. Docker's profile is an
 * allowlist of some 370 syscalls; this one denies the ones that profile
 * denies, in the same groups: a group is allowed when the container has
 * one of its capabilities (--cap-add SYS_ADMIN gives mount and unshare
 * back, as in Docker). A denied syscall fails with EPERM; clone3 fails
 * with ENOSYS, so that glibc falls back to clone, whose flags a filter can
 * see (clone3 passes them in memory).
 *
 * Compared with moby's profiles/seccomp/default.json v0.2.3 (moby commit
 * 35797366d7, May 2026), syscall by syscall for x86-64 and i386 with each
 * capability group. Left out on purpose:
 * - syscalls the kernel never implemented (afs_syscall, getpmsg, putpmsg,
 *   security, tuxcall, vserver): they answer ENOSYS already;
 * - i386's pre-2.2 calls (signal, sigaction, nice, olduname, readdir...)
 *   and its arch_prctl: absent from Docker's allowlist rather than denied
 *   for a reason, and harmless (their modern equivalents are allowed);
 * - lsm_get_self_attr and friends (Linux 6.8, CAP_SYS_ADMIN in Docker):
 *   newer than our syscall tables, so they get ENOSYS (seccomp-bpf.ts);
 * - name_to_handle_at: Docker allows it since moby PR #45766 (June 2023):
 *   it only names a file, systemd needs it, and the dangerous half,
 *   open_by_handle_at (the 2014 "shocker" escape), stays denied below.
 * - socketcall: Docker allows it and relies on AppArmor against the
 *   family bypass (v0.2.3 dropped its socketcall rule); mini-run has no
 *   LSM, so it keeps a rule of its own (defaultSeccompProfile).
 *
 * Syscalls of other ABIs than the native one and i386 kill the process
 * (seccomp-bpf.ts): their numbers differ, and a denylist keyed on the wrong
 * numbers would let them through.
 */
import type { SpecSeccomp, SpecSyscallRule } from './spec.js'

const EPERM = 1
const ENOSYS = 38

/** Groups of denied syscalls; `unless`: any of these capabilities allows the group. */
const DENIED: { unless: string[]; names: string[] }[] = [
  // not namespaced: one keyring for the whole host
  { unless: [], names: ['add_key', 'keyctl', 'request_key'] },
  // rarely needed, and the start of many kernel exploits
  { unless: [], names: ['userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] },
  // obsolete
  { unless: [], names: ['nfsservctl', 'sysfs', '_sysctl', 'uselib', 'ustat', 'vm86', 'vm86old', 'create_module', 'query_module', 'get_kernel_syms'] },
  // Docker denies these whatever the capabilities: swapping, replacing the
  // running kernel, moving another process's pages between NUMA nodes (a
  // host-wide effect), and pivot_root (the runtime's step, never the
  // container's: Docker's CAP_SYS_ADMIN group does not include it)
  { unless: [], names: ['pivot_root', 'swapon', 'swapoff', 'kexec_load', 'kexec_file_load', 'migrate_pages', 'move_pages'] },
  {
    unless: ['CAP_SYS_ADMIN'],
    names: [
      'unshare', 'setns', 'mount', 'umount', 'umount2', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'open_tree',
      'move_mount', 'mount_setattr', 'fanotify_init', 'lookup_dcookie', 'quotactl', 'quotactl_fd',
      // Docker's group has them: the kernel checks CAP_SYS_ADMIN over the UTS
      // namespace's owner, the filter keeps the answer the same with --uts host
      'sethostname', 'setdomainname',
    ],
  },
  { unless: ['CAP_SYS_ADMIN', 'CAP_BPF'], names: ['bpf'] },
  { unless: ['CAP_SYS_ADMIN', 'CAP_PERFMON'], names: ['perf_event_open'] },
  { unless: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'], names: ['syslog'] },
  { unless: ['CAP_SYS_MODULE'], names: ['init_module', 'finit_module', 'delete_module'] },
  { unless: ['CAP_SYS_BOOT'], names: ['reboot'] },
  { unless: ['CAP_SYS_PACCT'], names: ['acct'] },
  // chroot is in Docker's default set; --cap-drop SYS_CHROOT takes the syscall too
  { unless: ['CAP_SYS_CHROOT'], names: ['chroot'] },
  // not clock_adjtime: with modes 0 it only reads the clock (glibc's
  // adjtimex and ntp_gettime call it), the kernel wants CAP_SYS_TIME to
  // change anything, and Docker allows it
  { unless: ['CAP_SYS_TIME'], names: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'] },
  { unless: ['CAP_SYS_RAWIO'], names: ['iopl', 'ioperm'] },
  { unless: ['CAP_SYS_PTRACE'], names: ['kcmp', 'pidfd_getfd', 'process_madvise'] },
  { unless: ['CAP_SYS_NICE'], names: ['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind'] },
  { unless: ['CAP_SYS_TTY_CONFIG'], names: ['vhangup'] },
  { unless: ['CAP_DAC_READ_SEARCH'], names: ['open_by_handle_at'] },
]

/** clone(2) flags that make namespaces: refused unless CAP_SYS_ADMIN. */
const CLONE_NAMESPACE_FLAGS: [string, number][] = [
  ['CLONE_NEWNS', 0x00020000], ['CLONE_NEWCGROUP', 0x02000000], ['CLONE_NEWUTS', 0x04000000], ['CLONE_NEWIPC', 0x08000000],
  ['CLONE_NEWUSER', 0x10000000], ['CLONE_NEWPID', 0x20000000], ['CLONE_NEWNET', 0x40000000], ['CLONE_NEWTIME', 0x00000080],
]

/** personality(2) values Docker allows: Linux, with or without UNAME26 and ADDR_NO_RANDOMIZE... and the query (0xffffffff). */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff]
/** socket(2) families Docker refuses (moby/profiles seccomp v0.2.1). */
const AF_ALG = 38
const AF_VSOCK = 40
/** socketcall(2)'s call number for socket(2) (linux/net.h SYS_SOCKET). */
const SYS_SOCKET = 1

/** Every syscall the profile names (scripts/gen-syscalls.mjs looks up their numbers). */
export const PROFILE_SYSCALLS = ['clone', 'clone3', 'socket', 'socketcall', 'personality', ...DENIED.flatMap((g) => g.names)]

/** The SCMP_ARCH_* names of the architectures the filter knows, for this machine. */
export function nativeArchitectures(arch: string = process.arch): string[] {
  if (arch === 'x64') return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64']
  return []
}

/** Docker's default restrictions for a container with these bounding capabilities. */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string = process.arch): SpecSeccomp {
  const has = (caps: string[]) => caps.some((c) => capabilities.includes(c))
  const syscalls: SpecSyscallRule[] = []
  if (!has(['CAP_SYS_ADMIN'])) {
    // one rule a flag: "any of these bits" is not one comparison
    for (const [, bit] of CLONE_NAMESPACE_FLAGS) {
      syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' }] })
    }
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS })
  }
  // vsock talks to the hypervisor, past the network namespace; AF_ALG is
  // the kernel's crypto API, reachable by anyone and a recurring source of
  // kernel bugs. One rule a family: a rule's comparisons must all hold.
  for (const family of [AF_ALG, AF_VSOCK]) {
    syscalls.push({ names: ['socket'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: family, op: 'SCMP_CMP_EQ' }] })
  }
  // i386's socketcall(2) multiplexes socket(2): socketcall(SYS_SOCKET, args)
  // reads the family from memory, where a filter cannot look, so the rule
  // above would not see it (an x86-64 process reaches i386 syscalls through
  // int $0x80). Its first argument, the call number, is in a register:
  // refuse the socket call and leave the others (bind, sendmsg... on
  // sockets it already has) alone. The cost: a 32-bit program whose libc
  // creates sockets through socketcall (glibc configured for kernels before
  // 4.3: sysdeps/unix/sysv/linux/i386/kernel-features.h) cannot create
  // them; socket(2) itself, i386 syscall 359 since Linux 4.3, works. EPERM
  // like the rest of the profile: glibc falls back on no errno here, and
  // ENOSYS (moby's short-lived v0.2.2 rule) was chosen only to get past a
  // libseccomp quirk this compiler does not have.
  syscalls.push({ names: ['socketcall'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: SYS_SOCKET, op: 'SCMP_CMP_EQ' }] })
  // any other personality: one rule, every comparison must hold (none of the allowed values)
  syscalls.push({
    names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM,
    args: PERSONALITIES.map((value) => ({ index: 0, value, op: 'SCMP_CMP_NE' as const })),
  })
  const denied = DENIED.filter((g) => !has(g.unless)).flatMap((g) => g.names)
  if (denied.length) syscalls.push({ names: denied, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM })
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: nativeArchitectures(arch), syscalls }
}
