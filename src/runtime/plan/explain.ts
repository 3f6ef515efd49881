/**
 * `run --explain`: the start sequence as a numbered, commented list. This is
 * the teaching view of a container: every line is a syscall (or a file
 * write) and the reason for it.
 */
import { mountFlagNames } from '../spec/mount-options.js'
import { CLONE } from './plan-start.js'
import { describeStep, type ChildStep, type StartPlan } from './steps.js'

/** The names in /proc/<pid>/ns/ of CLONE_NEW* flags. */
const NAMESPACES: [number, string][] = [
  [CLONE.NEWUSER, 'user'], [CLONE.NEWNS, 'mnt'], [CLONE.NEWPID, 'pid'], [CLONE.NEWNET, 'net'],
  [CLONE.NEWIPC, 'ipc'], [CLONE.NEWUTS, 'uts'], [CLONE.NEWCGROUP, 'cgroup'], [CLONE.NEWTIME, 'time'],
]

function detail(step: ChildStep): string {
  const at = (root: string | undefined, path: string) => (root && root !== '/' ? `${root}${path.startsWith('/') ? '' : '/'}${path}` : path)
  switch (step.op) {
    case 'mount': {
      const parts = [`mount ${step.source || 'none'} -> ${at(step.root, step.target)}`]
      if (step.fstype) parts.push(`type=${step.fstype}`)
      parts.push(`flags=${mountFlagNames(step.flags)}`)
      if (step.data) parts.push(`data=${step.data}`)
      if (step.root) parts.push('(target resolved inside the rootfs, symlinks cannot leave it)')
      if (step.optional) parts.push('(skipped if absent)')
      return parts.join(' ')
    }
    case 'mkdir':
      return `mkdir -p ${at(step.root, step.path)} mode=${step.mode.toString(8)}`
    case 'mkfile':
      return `create file ${at(step.root, step.path)}`
    case 'symlink':
      return `symlink ${at(step.root, step.path)} -> ${step.target}`
    case 'chdir':
      return `chdir ${step.path}`
    case 'pivot_root':
      return `pivot_root ${step.newRoot} ${step.putOld}`
    case 'umount':
      return `umount2 ${step.path} MNT_DETACH`
    case 'sethostname':
      return `sethostname ${JSON.stringify(step.name)}`
    case 'setdomainname':
      return `setdomainname ${JSON.stringify(step.name)}`
    case 'link_up':
      return `ip link set ${step.ifname} up`
    case 'setgroups':
      return `setgroups [${step.gids.join(', ')}]`
    case 'setresgid':
      return `setresgid ${step.gid}`
    case 'setresuid':
      return `setresuid ${step.uid}`
    case 'keepcaps':
      return `prctl PR_SET_KEEPCAPS ${step.value}`
    case 'cap_bounding':
      return `bounding set = {${step.caps.map((c) => c.slice(4).toLowerCase()).join(', ')}}`
    case 'capset':
      return `capset effective=${step.effective.length} permitted=${step.permitted.length} inheritable=${step.inheritable.length} capabilities`
    case 'cap_ambient':
      return `ambient set = {${step.caps.join(', ')}}`
    case 'no_new_privs':
      return 'prctl PR_SET_NO_NEW_PRIVS 1'
    case 'seccomp':
      return `seccomp filter (${step.filter.length / 8} instructions)`
    case 'setsid':
      return 'setsid'
    case 'open_pty':
      return `open /dev/ptmx, window ${step.cols}x${step.rows}`
    case 'close_fds':
      return `close_range ${step.from}.. CLOSE_RANGE_CLOEXEC`
    case 'fork_init':
      return 'fork: parent stays as init'
    case 'exec':
      return `execve ${JSON.stringify(step.args)} env=${JSON.stringify(step.env)}`
    case 'setrlimit':
      return describeStep(step)
    case 'write_file':
      return `write ${at(step.root, step.path)} = ${JSON.stringify(step.content)}`
    case 'unshare':
      return `unshare 0x${step.flags.toString(16)}`
    case 'move_mount':
      return `move_mount fd ${step.fd} -> ${at(step.root, step.target)}`
    case 'pdeathsig':
      return `prctl PR_SET_PDEATHSIG ${step.signal}`
    case 'setns':
      return `setns pidfd ${step.pidfd} (pid ${step.pid}) ${NAMESPACES.filter(([flag]) => step.nstype & flag).map(([, name]) => name).join('+')}`
  }
}

export function formatPlan(plan: StartPlan): string {
  const lines: string[] = []
  lines.push('# The runtime (the parent process):')
  let n = 0
  for (const a of [...plan.parentBefore, ...plan.parentAfterClone]) {
    lines.push(`  P${++n}. ${a.what}`)
    lines.push(`       why: ${a.why}`)
  }
  lines.push('', `# The container process, in order (${plan.steps.length} steps; the first failure stops it and is reported):`)
  plan.steps.forEach((step, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}. ${detail(step)}`)
    lines.push(`      why: ${step.why}`)
  })
  return lines.join('\n') + '\n'
}
