/**
 * rtnetlink sockets and requests (native/netlink.c): the requests
 * themselves are built in src/network/netlink.ts.
 */
import { closeSync } from 'node:fs'
import { call, check, DataType } from './lib.js'

/** A NETLINK_ROUTE socket in the network namespace netnsFd names (-1: this process's). */
export function netlinkOpen(netnsFd: number): number {
  return check('netlink socket', call('mr_netlink_open', [DataType.I32], [netnsFd]))
}

/** Send one request; 0, or the index of the link an RTM_NEWLINK answer names. Throws the kernel's error. */
export function netlinkRequest(fd: number, message: Buffer, what: string): number {
  return check('netlink', call('mr_netlink_request', [DataType.I32, DataType.U8Array, DataType.I32], [fd, message, message.length]), what)
}

/** An RTM_GETLINK request: the link's ifinfomsg and attributes (netlink.ts reads them). Throws the kernel's error. */
export function netlinkLink(fd: number, message: Buffer, what: string): Buffer {
  const out = Buffer.alloc(16384)
  const n = check('netlink', call('mr_netlink_link', [DataType.I32, DataType.U8Array, DataType.I32, DataType.U8Array, DataType.I32], [fd, message, message.length, out, out.length]), what)
  return out.subarray(0, n)
}

/** Run fn with a netlink socket in that namespace, closed after. */
export function withNetlink<T>(netnsFd: number, fn: (fd: number) => T): T {
  const fd = netlinkOpen(netnsFd)
  try {
    return fn(fd)
  } finally {
    closeSync(fd)
  }
}

/** The interface's index in this process's network namespace; undefined when there is none by that name. */
export function interfaceIndex(name: string): number | undefined {
  const r = call('mr_if_index', [DataType.String], [name])
  if (r === -19 /* ENODEV */ || r === -6 /* ENXIO */) return undefined
  return check('if_nametoindex', r, name)
}
