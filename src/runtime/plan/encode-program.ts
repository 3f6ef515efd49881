/**
 * Serialise a step list into the binary program that native/stage.c runs.
 * The format is documented once, in native/steps.h.
 */
import { capabilityMask } from '../spec/capabilities.js'
import { F_KEEP_LOCKED, F_OPTIONAL, Op, PROGRAM_MAGIC } from './step-codes.js'
import type { ChildStep } from './steps.js'

type Arg = string | bigint | number | Buffer

function encodeStep(step: ChildStep): { op: number; flags: number; args: Arg[] } {
  switch (step.op) {
    case 'mount': {
      const flags = (step.optional ? F_OPTIONAL : 0) | (step.keepLocked ? F_KEEP_LOCKED : 0)
      const args = [step.source ?? '', step.root ?? '', step.target, step.fstype ?? '', step.flags, step.data ?? '']
      return { op: Op.MOUNT, flags, args }
    }
    case 'mkdir':
      return { op: Op.MKDIR, flags: 0, args: [step.root ?? '', step.path, step.mode] }
    case 'mkfile':
      return { op: Op.MKFILE, flags: 0, args: [step.root ?? '', step.path, step.mode] }
    case 'symlink':
      return { op: Op.SYMLINK, flags: 0, args: [step.root ?? '', step.path, step.target] }
    case 'chdir':
      return { op: Op.CHDIR, flags: 0, args: [step.path] }
    case 'pivot_root':
      return { op: Op.PIVOT_ROOT, flags: 0, args: [step.newRoot, step.putOld] }
    case 'umount':
      return { op: Op.UMOUNT, flags: 0, args: [step.path, step.flags] }
    case 'sethostname':
      return { op: Op.SETHOSTNAME, flags: 0, args: [step.name] }
    case 'setdomainname':
      return { op: Op.SETDOMAINNAME, flags: 0, args: [step.name] }
    case 'link_up':
      return { op: Op.LINK_UP, flags: 0, args: [step.ifname] }
    case 'setgroups':
      return { op: Op.SETGROUPS, flags: 0, args: step.gids }
    case 'setresgid':
      return { op: Op.SETRESGID, flags: 0, args: [step.gid] }
    case 'setresuid':
      return { op: Op.SETRESUID, flags: 0, args: [step.uid] }
    case 'keepcaps':
      return { op: Op.KEEPCAPS, flags: 0, args: [step.value] }
    case 'cap_bounding':
      return { op: Op.CAP_BOUNDING, flags: 0, args: [capabilityMask(step.caps)] }
    case 'capset':
      return {
        op: Op.CAPSET,
        flags: 0,
        args: [capabilityMask(step.effective), capabilityMask(step.permitted), capabilityMask(step.inheritable)],
      }
    case 'cap_ambient':
      return { op: Op.CAP_AMBIENT, flags: 0, args: [capabilityMask(step.caps)] }
    case 'no_new_privs':
      return { op: Op.NO_NEW_PRIVS, flags: 0, args: [] }
    case 'seccomp':
      return { op: Op.SECCOMP, flags: 0, args: [step.filter] }
    case 'setsid':
      return { op: Op.SETSID, flags: 0, args: [] }
    case 'open_pty':
      return { op: Op.OPEN_PTY, flags: 0, args: [step.socketFd, step.rows, step.cols] }
    case 'close_fds':
      return { op: Op.CLOSE_FDS, flags: 0, args: [step.from] }
    case 'fork_init':
      return { op: Op.FORK_INIT, flags: 0, args: [] }
    case 'exec':
      return { op: Op.EXEC, flags: 0, args: [step.path, step.args.length, ...step.args, ...step.env] }
    case 'setrlimit':
      return { op: Op.SETRLIMIT, flags: 0, args: [step.resource, step.soft, step.hard] }
    case 'write_file':
      return { op: Op.WRITE_FILE, flags: 0, args: [step.root ?? '', step.path, step.content] }
    case 'unshare':
      return { op: Op.UNSHARE, flags: 0, args: [step.flags] }
    case 'move_mount':
      return { op: Op.MOVE_MOUNT, flags: 0, args: [step.fd, step.root ?? '', step.target] }
    case 'pdeathsig':
      return { op: Op.PDEATHSIG, flags: 0, args: [step.signal] }
    case 'setns':
      return { op: Op.SETNS, flags: 0, args: [step.pidfd, step.nstype] }
  }
}

function argBytes(arg: Arg): Buffer {
  if (typeof arg === 'string') {
    if (arg.includes('\0')) throw new TypeError(`step argument contains a NUL byte: ${JSON.stringify(arg)}`)
    return Buffer.from(arg, 'utf8')
  }
  if (Buffer.isBuffer(arg)) return arg
  const buf = Buffer.alloc(8)
  buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(arg)))
  return buf
}

/** The program bytes for native/stage.c (format: native/steps.h). */
export function encodeProgram(steps: readonly ChildStep[]): Buffer {
  const parts: Buffer[] = []
  const header = Buffer.alloc(8)
  header.write(PROGRAM_MAGIC, 0, 'latin1')
  header.writeUInt32LE(steps.length, 4)
  parts.push(header)
  for (const step of steps) {
    const { op, flags, args } = encodeStep(step)
    const head = Buffer.alloc(8)
    head.writeUInt16LE(op, 0)
    head.writeUInt16LE(flags, 2)
    head.writeUInt32LE(args.length, 4)
    parts.push(head)
    for (const arg of args) {
      const bytes = argBytes(arg)
      const len = Buffer.alloc(4)
      len.writeUInt32LE(bytes.length)
      parts.push(len, bytes, Buffer.alloc(1))
    }
  }
  return Buffer.concat(parts)
}
