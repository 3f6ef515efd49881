/**
 * What Docker gives every container unless told otherwise (moby's
 * oci/defaults.go and daemon/oci_linux.go): mounts, device nodes, masked and
 * read-only paths. Kept as data so a reader can see the whole policy at once.
 */
import type { SpecDevice, SpecMount } from './spec.js'

/** --ipc host: the host's /dev/shm, as Docker shares it (not a mount of the user's: inspect leaves it out). */
export const HOST_SHM_MOUNT: Readonly<SpecMount> = { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['bind', 'rw', 'nosuid', 'nodev', 'noexec', 'rprivate'] }

export function defaultMounts(options: { devptsGid5: boolean; cgroup2: boolean; privileged?: boolean; deviceCgroup?: boolean }): SpecMount[] {
  // --privileged: /sys and the cgroup tree writable, as in Docker
  const ro = options.privileged ? [] : ['ro']
  const mounts: SpecMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    // Docker's /dev tmpfs is not nodev: its device cgroup decides which nodes
    // open. Ours is nodev unless a device cgroup is in force (--device,
    // --device-cgroup-rule, --privileged); without one the allowed nodes are
    // bind mounts, which keep the host's flags, and a node made with mknod
    // (CAP_MKNOD) must not open whatever device it names.
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', ...(options.deviceCgroup ? [] : ['nodev']), 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      // gid=5 (tty) only when group 5 exists in the container's user namespace
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(options.devptsGid5 ? ['gid=5'] : [])],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...ro] },
  ]
  if (options.cgroup2) {
    mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', ...ro] })
  }
  return mounts
}

/** The device nodes every container gets (runc's AllowedDevices without a cgroup). */
export const DEFAULT_DEVICES: SpecDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
]

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
]

export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']
