/**
 * `--sysctl KEY=VALUE` and compose's `sysctls`: kernel parameters written
 * under /proc/sys in the container before its command runs (the plan's
 * sysctl steps, linux.sysctl in the spec). Only a parameter of a namespace
 * the container does not share with the host may be set, as runc's
 * validator allows: it would otherwise change the host. The IPC ones
 * (System V limits, fs.mqueue.*) need an IPC namespace that is not the
 * host's, net.* a network namespace that is not the host's (one joined
 * with container:NAME is that container's, as in Docker: a sidecar sets
 * its pod's parameters); kernel.hostname and kernel.domainname have flags
 * of their own. A key is dotted (net.ipv4.ip_forward) or, as runc takes
 * it, a path under /proc/sys (net/ipv4/conf/eth0.100/forwarding, for a
 * name with a dot).
 */
import { UsageError } from '../../errors.js'

const IPC = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'])

/** The namespace a parameter belongs to, or what names it otherwise (runc's validator's list). */
export function sysctlNamespace(given: string): 'ipc' | 'network' | 'uts' | undefined {
  const key = given.replaceAll('/', '.')
  if (IPC.has(key) || key.startsWith('fs.mqueue.')) return 'ipc'
  if (key.startsWith('net.')) return 'network'
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts'
  return undefined
}

/**
 * The --sysctl values as linux.sysctl, each checked against the container's
 * namespaces: `network` and `ipc` as given to run (host is refused).
 * Undefined when there are none.
 */
export function sysctlsOf(values: readonly string[] | Record<string, string> | undefined, o: { network?: string; ipc?: string }): Record<string, string> | undefined {
  const entries = Array.isArray(values) ? values.map(parseSysctl) : Object.entries(values ?? {})
  if (entries.length === 0) return undefined
  for (const [key] of entries) {
    const ns = sysctlNamespace(key)
    const mode = ns === 'network' ? o.network : ns === 'ipc' ? o.ipc : undefined
    if (ns === 'uts') throw new UsageError(`--sysctl ${key}: set it with --${key === 'kernel.hostname' ? 'hostname' : 'domainname'}`)
    if (ns === undefined) {
      throw new UsageError(`--sysctl ${key}: not a parameter of a namespace the container has of its own (net.*, fs.mqueue.*, kernel's System V IPC ones): it would change the host`)
    }
    if (mode === 'host') {
      throw new UsageError(`--sysctl ${key}: the container shares the host's ${ns === 'ipc' ? 'IPC' : 'network'} namespace (--${ns === 'ipc' ? 'ipc' : 'network'} host): it would change the host's`)
    }
  }
  return Object.fromEntries(entries)
}

/**
 * Docker's in a network namespace the container makes (moby's WithSysctls,
 * not with --network host or container:X): any port for any user, so an
 * image made to run as USER 1000 can still listen on 80, and ping without
 * CAP_NET_RAW, but in a user namespace, which maps too few groups for
 * that range. --sysctl's values win.
 */
export const NETWORK_DEFAULTS: Readonly<Record<string, string>> = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' }

export function withNetworkDefaults(given: Record<string, string> | undefined, o: { network?: string; userns: boolean }): Record<string, string> | undefined {
  if (o.network === 'host' || o.network?.startsWith('container:')) return given
  const { 'net.ipv4.ping_group_range': ping, ...always } = NETWORK_DEFAULTS
  return { ...always, ...(o.userns ? {} : { 'net.ipv4.ping_group_range': ping! }), ...given }
}

/** Where a key is written: a dotted one under /proc/sys by its parts, a path as it is. */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.includes('/') ? key : key.replaceAll('.', '/')}`
}

function parseSysctl(text: string): [string, string] {
  const eq = text.indexOf('=')
  const key = eq > 0 ? text.slice(0, eq) : ''
  if (!/^[a-z0-9_]+(\.[\w-]+)+$|^[a-z0-9_]+(\/[\w.-]+)+$/i.test(key)) throw new UsageError(`--sysctl ${text}: give it as KEY=VALUE, as net.ipv4.ip_unprivileged_port_start=0`)
  return [key, text.slice(eq + 1)]
}
