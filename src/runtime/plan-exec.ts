/**
 * `exec`: a new process in a running container, as a step list. It joins
 * each of the container's namespaces with setns(2) (the user namespace
 * first, so that the others are joined with its capabilities), forks so
 * that the PID namespace applies (setns on a PID namespace only affects
 * children), then becomes the command with the container's own
 * restrictions: capabilities, no_new_privs, user.
 */
import { CLONE, processSteps } from './plan-start.js'
import type { NamespaceType, Spec, SpecProcess } from './spec.js'
import type { ChildStep, StartPlan } from './steps.js'

/** setns(2) wants the namespace's type, /proc/<pid>/ns/ its name. */
const NS: Record<NamespaceType, { file: string; flag: number }> = {
  user: { file: 'user', flag: CLONE.NEWUSER },
  ipc: { file: 'ipc', flag: CLONE.NEWIPC },
  uts: { file: 'uts', flag: CLONE.NEWUTS },
  network: { file: 'net', flag: CLONE.NEWNET },
  pid: { file: 'pid', flag: CLONE.NEWPID },
  cgroup: { file: 'cgroup', flag: CLONE.NEWCGROUP },
  mount: { file: 'mnt', flag: CLONE.NEWNS },
  time: { file: 'time', flag: CLONE.NEWTIME },
}
const ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount']

export interface ExecInput {
  /** The container's spec, as recorded at its start. */
  spec: Spec
  /** The container's PID 1, as the host sees it. */
  pid: number
  /** The exec'd process: the container's, with exec's overrides applied. */
  process: SpecProcess
  setgroupsAllowed: boolean
  ptySocketFd?: number
  cgroupPath?: string
}

export function planExec(input: ExecInput): StartPlan {
  const steps: ChildStep[] = []
  const joined = new Set(input.spec.linux.namespaces.map((n) => n.type))
  for (const type of ORDER) {
    if (!joined.has(type)) continue
    const { file, flag } = NS[type]
    steps.push({
      op: 'setns', path: `/proc/${input.pid}/ns/${file}`, nstype: flag,
      why: type === 'user' ? 'join the container\'s user namespace first: its capabilities are needed to join the rest' : `join the container's ${type} namespace`,
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
        what: `clone3(CLONE_INTO_CGROUP ${input.cgroupPath ?? '(none)'})`,
        why: 'a new process, no new namespaces: it joins the container\'s, and its cgroup (and limits)',
      },
    ],
    parentAfterClone: [],
    steps,
  }
}
