/**
 * The steps a container start performs, as data.
 *
 * `ChildStep`s run in the cloned child, in order, by native/stage.c (one
 * entry of native/steps.h each). `ParentAction`s are what the runtime does on
 * its side while the child waits; they are listed for --explain only. Every
 * step carries `why`: the one-line reason that --explain prints.
 */

export type ChildStep =
  | { op: 'mount'; source?: string; root?: string; target: string; fstype?: string; flags: number; data?: string; optional?: boolean; keepLocked?: boolean; why: string }
  | { op: 'mkdir'; root?: string; path: string; mode: number; why: string }
  | { op: 'mkfile'; root?: string; path: string; mode: number; why: string }
  | { op: 'symlink'; root?: string; path: string; target: string; why: string }
  | { op: 'chdir'; path: string; why: string }
  | { op: 'pivot_root'; newRoot: string; putOld: string; why: string }
  | { op: 'umount'; path: string; flags: number; why: string }
  | { op: 'sethostname'; name: string; why: string }
  | { op: 'setdomainname'; name: string; why: string }
  | { op: 'link_up'; ifname: string; why: string }
  | { op: 'setgroups'; gids: number[]; why: string }
  | { op: 'setresgid'; gid: number; why: string }
  | { op: 'setresuid'; uid: number; why: string }
  | { op: 'keepcaps'; value: number; why: string }
  | { op: 'cap_bounding'; caps: string[]; why: string }
  | { op: 'capset'; effective: string[]; permitted: string[]; inheritable: string[]; why: string }
  | { op: 'cap_ambient'; caps: string[]; why: string }
  | { op: 'no_new_privs'; why: string }
  | { op: 'seccomp'; filter: Buffer; why: string }
  | { op: 'setsid'; why: string }
  | { op: 'open_pty'; socketFd: number; rows: number; cols: number; why: string }
  | { op: 'close_fds'; from: number; why: string }
  | { op: 'fork_init'; why: string }
  | { op: 'exec'; path: string; args: string[]; env: string[]; why: string }
  | { op: 'setrlimit'; resource: number; name: string; soft: bigint; hard: bigint; why: string }
  | { op: 'write_file'; root?: string; path: string; content: string; why: string }
  | { op: 'unshare'; flags: number; why: string }
  | { op: 'move_mount'; fd: number; root?: string; target: string; why: string }
  | { op: 'pdeathsig'; signal: number; why: string }
  | { op: 'setns'; pidfd: number; pid: number; nstype: number; why: string }

export type ChildOp = ChildStep['op']

/** What the runtime does itself, around clone(): listed by --explain. */
export interface ParentAction {
  what: string
  why: string
}

export interface StartPlan {
  /** clone3() flags: the namespaces the child is born in. */
  cloneFlags: number
  /** In order: actions before clone, then while the child waits. */
  parentBefore: ParentAction[]
  parentAfterClone: ParentAction[]
  steps: ChildStep[]
}

/** The path a step acts on, for error messages ("mount /proc on /x/proc"). */
export function describeStep(step: ChildStep): string {
  const inRoot = (root: string | undefined, path: string) =>
    root && root !== '/' ? `${root.replace(/\/$/, '')}${path.startsWith('/') ? '' : '/'}${path}` : path
  switch (step.op) {
    case 'mount':
      return step.flags & 32 /* MS_REMOUNT */
        ? `remount ${inRoot(step.root, step.target)}`
        : `mount ${step.source || step.fstype || 'none'} on ${inRoot(step.root, step.target)}`
    case 'mkdir':
    case 'mkfile':
      return `${step.op} ${inRoot(step.root, step.path)}`
    case 'symlink':
      return `symlink ${inRoot(step.root, step.path)} -> ${step.target}`
    case 'chdir':
      return `chdir ${step.path}`
    case 'pivot_root':
      return `pivot_root ${step.newRoot} ${step.putOld}`
    case 'umount':
      return `umount ${step.path}`
    case 'sethostname':
    case 'setdomainname':
      return `${step.op} ${step.name}`
    case 'link_up':
      return `set link ${step.ifname} up`
    case 'setgroups':
      return `setgroups [${step.gids.join(' ')}]`
    case 'setresgid':
      return `setresgid ${step.gid}`
    case 'setresuid':
      return `setresuid ${step.uid}`
    case 'exec':
      return `exec ${JSON.stringify(step.args[0] ?? '')}`
    case 'setns':
      return `setns pidfd of pid ${step.pid}`
    case 'write_file':
      return `write ${inRoot(step.root, step.path)}`
    case 'setrlimit': {
      const show = (v: bigint) => (v === (1n << 64n) - 1n ? 'unlimited' : String(v))
      return `setrlimit ${step.name} ${show(step.soft)}/${show(step.hard)}`
    }
    case 'move_mount':
      return `move_mount fd ${step.fd} to ${inRoot(step.root, step.target)}`
    default:
      return step.op
  }
}
