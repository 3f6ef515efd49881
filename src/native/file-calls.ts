/**
 * The native calls on files that Node's fs lacks: mknod for whiteouts and
 * device nodes, the l*xattr family (binary values, never following a
 * symlink), openat2 confined to a root, and syncfs.
 */
import { call, callInThread, check, DataType, failedWith } from './lib.js'

/** mknod(2): used for overlay whiteouts (char 0:0) and device nodes in layers. */
export function mknod(path: string, mode: number, major: number, minor: number): void {
  check('mknod', call('mr_mknod', [DataType.String, DataType.I32, DataType.I32, DataType.I32], [path, mode, major, minor]), path)
}

/** lsetxattr(2). */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(
    'lsetxattr',
    call('mr_lsetxattr', [DataType.String, DataType.String, DataType.U8Array, DataType.I32], [path, name, value, value.length]),
    `${name} on ${path}`,
  )
}

/** lgetxattr(2); null when the attribute is absent. `max`: the largest value expected (ERANGE beyond). */
export function lgetxattr(path: string, name: string, max = 65536): Buffer | null {
  const buf = Buffer.alloc(max)
  const n = call('mr_lgetxattr', [DataType.String, DataType.String, DataType.U8Array, DataType.I32], [path, name, buf, buf.length])
  if (failedWith(n, 'ENODATA')) return null
  check('lgetxattr', n, `${name} on ${path}`)
  return buf.subarray(0, n)
}

/** llistxattr(2): the names of the attributes of path (not following a symlink). */
export function llistxattr(path: string): string[] {
  const buf = Buffer.alloc(65536) // XATTR_LIST_MAX
  const n = check('llistxattr', call('mr_llistxattr', [DataType.String, DataType.U8Array, DataType.I32], [path, buf, buf.length]), path)
  return buf.subarray(0, n).toString('latin1').split('\0').filter(Boolean)
}

/** openat2(2) O_PATH with RESOLVE_IN_ROOT: path as if rootFd were "/" (see mr_open_in_root). */
export function openInRoot(rootFd: number, path: string): number {
  return check('openat2', call('mr_open_in_root', [DataType.I32, DataType.String], [rootFd, path]), path)
}

/** The regular file an O_PATH fd names, at most maxBytes (EFBIG over it; see mr_read_regular). */
export function readRegular(pathFd: number, maxBytes: number): Buffer {
  const buf = Buffer.alloc(maxBytes)
  const n = check('read', call('mr_read_regular', [DataType.I32, DataType.U8Array, DataType.I32], [pathFd, buf, maxBytes]))
  return buf.subarray(0, n)
}

/**
 * syncfs(2): everything written to fd's file system is on disk when it
 * resolves (see mr_syncfs). Off the JS thread: writeback can take a while,
 * and a pull's other downloads go on meanwhile.
 */
export async function syncfs(fd: number): Promise<void> {
  check('syncfs', await callInThread('mr_syncfs', [DataType.I32], [fd]))
}

/**
 * rm -r of a tree, a symlink removed and never followed (mr_remove_tree),
 * on a thread of its own: a container's writable layer goes while the
 * runtime gives back the rest. Rejects with the first failure, the tree
 * then partly removed.
 */
export async function removeTreeInThread(path: string): Promise<void> {
  check('remove', await callInThread('mr_remove_tree', [DataType.String], [path]), path)
}

/** mr_remove_tree on the JS thread: a tree known to be small. */
export function removeTreeHere(path: string): void {
  check('remove', call('mr_remove_tree', [DataType.String], [path]), path)
}
