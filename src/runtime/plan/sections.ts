/**
 * The sections --explain prints a start in: what each part of a container
 * is, in the order the steps make it. A note that holds for every step of
 * a section is printed once, under its heading.
 */
export const SECTIONS = {
  // the runtime, the parent process
  prepare: {
    title: 'The runtime prepares what the container will use',
    note: 'done by mini-run itself, before the container process exists',
  },
  clone: {
    title: 'A new process, born in new namespaces',
    note: 'everything a container "is" starts here: clone3(2) with CLONE_NEW* flags gives the child its own view of the system',
  },
  handshake: {
    title: 'While the child waits',
    note: 'the child blocks on a pipe until the runtime has done these; no JavaScript runs in it (Node is multithreaded), so it only replays the steps below',
  },
  overlap: {
    title: 'While the child sets up its filesystem',
    note: 'the child runs its steps up to the wait on the sync pipe at the same time; no JavaScript runs in it (Node is multithreaded), so it only replays the steps below',
  },
  // the container process
  join: {
    title: 'Joining a running container',
    note: 'exec makes no namespaces of its own: it enters those of the container\'s process',
  },
  rootfs: {
    title: 'The root filesystem',
    note: 'a target in the rootfs is resolved inside it (openat2 RESOLVE_IN_ROOT): a symlink in the image cannot point a mount at the host',
  },
  mounts: {
    title: '/proc, /dev, /sys and the other mounts',
    note: 'fresh instances for the new namespaces, then your volumes; a target in the rootfs is resolved inside it, as above',
  },
  'switch-root': {
    title: 'The switch of root',
    note: 'after this the host\'s filesystem is out of reach',
  },
  sysctl: {
    title: 'Kernel parameters of its own namespaces',
    note: 'written under /proc/sys while it is still writable: only parameters that belong to a namespace of the container\'s own (linux.sysctl)',
  },
  hide: {
    title: 'Hiding host kernel state',
    note: '/proc and /sys still show some of the host kernel: these paths are masked or made read-only (skipped where the kernel lacks them)',
  },
  identity: {
    title: 'Identity',
    note: 'the names the container has, in its own UTS and network namespaces',
  },
  session: {
    title: 'Session, terminal and working directory',
    note: 'made while the process is still root in its namespaces',
  },
  privileges: {
    title: 'Privileges: who it runs as, and what it may still do',
    note: 'in this order because each step needs what the next takes away: limits and the bounding set need capabilities, setresuid(2) drops them, seccomp comes last',
  },
  command: {
    title: 'The command',
    note: 'execve(2): from here on the process is the container',
  },
} as const

export type SectionName = keyof typeof SECTIONS

