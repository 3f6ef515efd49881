/**
 * The native calls that fence a container in from the parent's side: user
 * namespace fds and idmapped mounts, bind and tmpfs mounts and umount, unshare, and
 * the cgroup device filter (a BPF program).
 */
import { call, check, DataType } from './lib.js'

/** Load a device cgroup program and attach it to a cgroup v2 directory (see mr_bpf_device_filter). */
export function bpfDeviceFilter(program: Buffer, cgroupFd: number): void {
  check('bpf', call('mr_bpf_device_filter', [DataType.U8Array, DataType.I32, DataType.I32], [program, program.length, cgroupFd]))
}

/** A user namespace fd with these maps (for idmapped mounts). */
export function usernsFd(uidMap: string, gidMap: string): number {
  return check('userns', call('mr_userns_fd', [DataType.String, DataType.String], [uidMap, gidMap]))
}

/** A detached idmapped clone of the mount at path. */
export function idmappedTree(path: string, usernsFd: number, recursive: boolean): number {
  return check(
    'mount_setattr',
    call('mr_idmapped_tree', [DataType.String, DataType.I32, DataType.I32], [path, usernsFd, recursive ? 1 : 0]),
    path,
  )
}

/** mount --bind source target (see mr_bind_mount). */
export function bindMount(source: string, target: string): void {
  check('mount', call('mr_bind_mount', [DataType.String, DataType.String], [source, target]), `${source} on ${target}`)
}

/** mount -t tmpfs -o nosuid,nodev[,noexec],DATA tmpfs TARGET (see mr_mount_tmpfs). */
export function mountTmpfs(target: string, data: string, options: { exec?: boolean } = {}): void {
  check('mount', call('mr_mount_tmpfs', [DataType.String, DataType.I32, DataType.String], [target, options.exec ? 1 : 0, data]), `tmpfs on ${target}`)
}

/** umount2(2); flags 2 is MNT_DETACH. */
export function umount(target: string, flags = 0): void {
  check('umount', call('mr_umount', [DataType.String, DataType.I32], [target, flags]), target)
}

/** unshare(2) of the calling (main) thread; see mr_unshare. */
export function unshare(flags: number): void {
  check('unshare', call('mr_unshare', [DataType.I32], [flags]))
}
