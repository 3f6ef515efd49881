/**
 * The container's /etc/hosts, /etc/resolv.conf and /etc/hostname, bound
 * over the image's, as Docker gives them for each --network mode:
 * - bridge, pasta: all three, written by the network step after the clone
 *   (attach.ts), once the address is known;
 * - none: all three too, as Docker's (moby/libnetwork#1928: it binds them
 *   in every mode): /etc/hosts with the localhost lines and --add-host's
 *   (no address, so no line of the container's own), the container's name,
 *   and the host's resolvers as the default bridge gets them (--dns's, if
 *   given), though nothing is reachable;
 * - host: copies of the host's /etc/hosts (with --add-host's lines) and
 *   /etc/resolv.conf, and the host's name: the container shares the host's
 *   network, so it resolves as the host does.
 * The last two are written before the clone (plan-start.ts write_file).
 * - container:X: X's files, whatever X's mode made them.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SpecMount } from '../runtime/spec/spec.js'
import { hostsFile, resolvConfFile, type HostEntry } from './etc-files.js'
import type { ResolvConf } from './host-net.js'

/** The files' paths in the container's own directory, or their texts. */
export interface EtcFiles {
  hosts?: string
  resolvConf?: string
  hostname?: string
}

/** What of a network plan (plan-network.ts NetworkPlan) these files are. */
interface EtcPlan {
  files: EtcFiles
  texts?: EtcFiles
  mounts: SpecMount[]
  hostsNames: string[]
  hostsExtra: HostEntry[]
}

/** What of the network's context (plan-network.ts NetworkContext) they need. */
interface EtcContext {
  filesDir: string
  rootfsDir?: string
  hostname: string
  readOnly?: boolean
}

type FileKey = keyof EtcFiles

const ETC_FILES: [FileKey, string, string][] = [
  ['hosts', 'hosts', '/etc/hosts'],
  ['resolvConf', 'resolv.conf', '/etc/resolv.conf'],
  ['hostname', 'hostname', '/etc/hostname'],
]

/** Bind each file in `keys` over the image's, from the container's own directory. */
export function bindEtcFiles(plan: EtcPlan, ctx: EtcContext, keys: readonly FileKey[] = ['hosts', 'resolvConf', 'hostname']): void {
  for (const [key, file, target] of ETC_FILES) {
    if (!keys.includes(key)) continue
    // a --rootfs is the user's directory: only files it has are bound over
    if (ctx.rootfsDir !== undefined && !existsSync(join(ctx.rootfsDir, target))) continue
    bindFile(plan, key, join(ctx.filesDir, file), target, ctx.readOnly)
  }
}

function bindFile(plan: EtcPlan, key: FileKey, source: string, target: string, readOnly = false): void {
  plan.files[key] = source
  plan.mounts.push({ destination: target, type: 'bind', source, options: ['bind', readOnly ? 'ro' : 'rw', 'nosuid', 'nodev', 'noexec', 'rprivate'] })
}

/**
 * --network container:X: X's own files (those it has), bound over the
 * image's, as Docker gives the joiner X's HostsPath, ResolvConfPath and
 * HostnamePath: one network, one set of names and resolvers. Nothing is
 * written: they are X's, kept by X's network.
 */
export function joinedEtcFiles(plan: EtcPlan, files: EtcFiles, rootfsDir?: string, readOnly?: boolean): void {
  for (const [key, , target] of ETC_FILES) {
    const source = files[key]
    if (source === undefined || (rootfsDir !== undefined && !existsSync(join(rootfsDir, target)))) continue
    bindFile(plan, key, source, target, readOnly)
  }
}

/**
 * libnetwork's resolv.conf when every nameserver of the host's is a
 * loopback address a container cannot reach (resolvconf.FilterResolvDNS).
 */
const DOCKER_DEFAULT_DNS = ['8.8.8.8', '8.8.4.4']

/**
 * --network none: three small writes on the start path. The resolv.conf
 * names the host's resolvers without its loopback ones, else Docker's
 * defaults: what Docker writes, though the container reaches none of them.
 */
export function noneEtcFiles(plan: EtcPlan & { resolv: ResolvConf }, ctx: EtcContext, hostServers: string[]): void {
  if (plan.resolv.nameservers.length === 0) plan.resolv.nameservers = hostServers.length ? hostServers : DOCKER_DEFAULT_DNS
  bindEtcFiles(plan, ctx)
  const texts: EtcFiles = {
    hosts: hostsFile({ names: plan.hostsNames, extra: plan.hostsExtra }),
    resolvConf: resolvConfFile(plan.resolv),
    hostname: `${ctx.hostname}\n`,
  }
  plan.texts = Object.fromEntries(Object.entries(texts).filter(([key]) => plan.files[key as FileKey]))
}

/** --network host: the host's files (those it has), as Docker copies them. */
export function hostEtcFiles(plan: EtcPlan, ctx: EtcContext, etc = { hosts: '/etc/hosts', resolvConf: '/etc/resolv.conf' }): void {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return undefined
    }
  }
  const hosts = read(etc.hosts)
  const resolvConf = read(etc.resolvConf)
  const extra = plan.hostsExtra.map((h) => `${h.ip}\t${h.name}\n`).join('')
  const texts: EtcFiles = {
    ...(hosts !== undefined || extra ? { hosts: (hosts === undefined || hosts === '' || hosts.endsWith('\n') ? hosts ?? '' : `${hosts}\n`) + extra } : {}),
    ...(resolvConf !== undefined ? { resolvConf } : {}),
    hostname: `${ctx.hostname}\n`,
  }
  bindEtcFiles(plan, ctx, Object.keys(texts) as FileKey[])
  plan.texts = Object.fromEntries(Object.entries(texts).filter(([key]) => plan.files[key as FileKey]))
}
