/**
 * The namespaces a container is born in (namespaces(7)): their clone flags,
 * and what each one gives the process.
 */
import type { NamespaceType } from '../spec/spec.js'

export const CLONE = {
  NEWTIME: 0x00000080,
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const

export const NAMESPACE_FLAGS: Record<NamespaceType, number> = {
  user: CLONE.NEWUSER,
  mount: CLONE.NEWNS,
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  cgroup: CLONE.NEWCGROUP,
  time: CLONE.NEWTIME,
}

export const NAMESPACE_WHY: Record<NamespaceType, string> = {
  pid: 'its own process numbers: the command is PID 1 and sees no host process',
  mount: 'its own mount table: mounts made inside never reach the host and vanish with it',
  uts: 'its own hostname',
  ipc: 'its own System V IPC objects and POSIX message queues',
  network: 'its own network stack: its own interfaces, addresses, routes and ports',
  user: 'its own user ids: root inside is an unprivileged user outside',
  cgroup: 'its own view of the cgroup tree, rooted at its leaf',
  time: 'its own monotonic and boot clocks',
}

const NAMES: [number, string][] = (Object.entries(NAMESPACE_FLAGS) as [NamespaceType, number][]).map(([type, flag]) => [
  flag,
  `CLONE_NEW${type === 'network' ? 'NET' : type === 'mount' ? 'NS' : type.toUpperCase()}`,
])

/** CLONE_NEW* flags by name: "CLONE_NEWUSER|CLONE_NEWNS". */
export function namespaceNames(flags: number): string {
  return NAMES.filter(([bit]) => flags & bit).map(([, name]) => name).join('|') || 'no new namespace'
}
