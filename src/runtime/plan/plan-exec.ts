/**
 * `exec`: a new process in a running container, as a step list. It joins
 * the container's namespaces with one setns(2) through a pidfd of the
 * container's process (kept open by the runtime, checked to be that
 * process: container-process.ts), forks so that the PID namespace applies
 * (setns on a PID namespace only affects children), then becomes the
 * command with the container's own restrictions: capabilities,
 * no_new_privs, user.
 */
import { CLONE, processSteps } from './plan-start.js'
import type { NamespaceType, Spec, SpecProcess } from '../spec/spec.js'
import type { ChildStep, StartPlan } from './steps.js'

const NS_FLAGS: Record<NamespaceType, number> = {
  user: CLONE.NEWUSER,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  network: CLONE.NEWNET,
  pid: CLONE.NEWPID,
  cgroup: CLONE.NEWCGROUP,
  mount: CLONE.NEWNS,
  time: CLONE.NEWTIME,
}

export interface ExecInput {
  /** The container's spec, as recorded at its start. */
  spec: Spec
  /** The container's PID 1, as the host sees it (for the record). */
  pid: number
  /** A pidfd of that process, checked to be it; the child inherits it by number. */
  pidfd: number
  /** The exec'd process: the container's, with exec's overrides applied. */
  process: SpecProcess
  setgroupsAllowed: boolean
  ptySocketFd?: number
  cgroupPath?: string
}

export function planExec(input: ExecInput): StartPlan {
  const steps: ChildStep[] = []
  const nstype = input.spec.linux.namespaces.reduce((flags, n) => flags | NS_FLAGS[n.type], 0)
  if (nstype !== 0) {
    steps.push({
      op: 'setns', pidfd: input.pidfd, pid: input.pid, nstype,
      why: 'join all the container\'s namespaces at once through a pidfd of its process (Linux 5.8), which names that process and never one that took its pid later; the kernel joins the user namespace first, so that its capabilities count for the rest',
    })
  }
  steps.push(
    ...processSteps({ ...input.spec, process: input.process }, {
      setgroupsAllowed: input.setgroupsAllowed,
      // setns on a PID namespace only moves children: fork just before execve
      // (after setsid, which the forked child could no longer call) and wait
      init: true,
      ...(input.ptySocketFd !== undefined ? { ptySocketFd: input.ptySocketFd } : {}),
      createCwd: false,
    }),
  )
  return {
    cloneFlags: 0,
    parentBefore: [
      {
        what: `pidfd_open(${input.pid}), then /proc/${input.pid}/stat: its start time is the one recorded`,
        why: 'the pid still names the container\'s own process (a pid is reused once its process is reaped); the pidfd pins that process for the steps below',
      },
      {
        what: `clone3(CLONE_INTO_CGROUP ${input.cgroupPath ?? '(none)'}), keeping the pidfd as fd ${input.pidfd}`,
        why: 'a new process, no new namespaces: it joins the container\'s, and its cgroup (and limits)',
      },
    ],
    parentAfterClone: [],
    steps,
  }
}
