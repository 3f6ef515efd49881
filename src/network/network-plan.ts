/**
 * What a container's network is to be, as plan-network.ts decides it
 * before the start and attach.ts carries it out after the clone: the flags
 * it reads, what it knows of the container, and the plan with the lines
 * --explain shows.
 */
import type { SpecMount } from '../runtime/spec/spec.js'
import type { HostEntry } from './etc-files.js'
import type { LinkRef } from './links.js'
import type { EtcFiles } from './plan-etc-files.js'
import type { HostRoute, ResolvConf } from './host-net.js'
import type { NetworkDef } from './networks.js'
import type { PortMapping } from './port-spec.js'

/** X, as found when the container is made (runtime/container/container-network.ts). */
export interface JoinedContainer {
  id: string
  /** As the user named it: Docker's errors repeat it. */
  ref: string
  /** X's hostname: the joiner's too, as in Docker. */
  hostname: string
  /** X's /etc files on the host (its network plan's). */
  files: EtcFiles
}

/** Docker's network flags of `run`. */
export interface NetworkFlags {
  /** --network: bridge (default), none, host, pasta (rootless), container:NAME|ID, or a network's name. */
  network?: string
  /** --network-alias: more names on a user-defined network. */
  aliases?: string[]
  /** -p/--publish */
  publish?: string[]
  /** -P/--publish-all: the exposed ports (the image's and --expose's) on free host ports. */
  publishAll?: boolean
  /** --expose, as ExposedPorts keys (port-spec.ts parseExpose): "80/tcp", one a port. */
  expose?: string[]
  dns?: string[]
  dnsSearch?: string[]
  dnsOption?: string[]
  /** --add-host NAME:IP */
  addHost?: string[]
  /** --link NAME[:ALIAS] (links.ts) */
  links?: string[]
  macAddress?: string
  ip?: string
  /** --ip6: the container's IPv6 address, on a network with an IPv6 subnet. */
  ip6?: string
  /**
   * Networks joined at the start besides --network's (eth1, eth2...): a
   * compose service's other networks, as Docker 25's repeated --network.
   * Joined at every start, as the first is.
   */
  moreNetworks?: { name: string; aliases?: string[]; ip?: string; ip6?: string; mac?: string }[]
}

export interface NetworkContext {
  id: string
  name: string
  hostname: string
  domainname?: string
  storeRoot: string
  stateRoot: string
  rootless: boolean
  /** Where the per-container files are written (the container's own directory). */
  filesDir: string
  /** A --rootfs directory: files are bound only over those it has (it is the user's, not ours to add to). */
  rootfsDir?: string
  /** The image's ExposedPorts, for -P. */
  exposed?: Record<string, unknown> | null
  /** --network container:X: X as found (runtime/container/network-container.ts), whose network this one joins. */
  networkOf?: JoinedContainer
  /** The host's resolv.conf and routes (read from the host when not given). */
  host?: { resolv: ResolvConf; routes: HostRoute[] }
  /** --read-only: the /etc files bound read-only too, as Docker's (NetworkMounts: Writable: !ReadonlyRootfs). */
  readOnly?: boolean
}

export interface PlannedAttachment {
  network: NetworkDef
  dns: boolean
  interfaceName: string
  aliases: string[]
  ip?: string
  ip6?: string
  mac?: string
}

/** One thing the network setup does, and why: a line of --explain. */
export interface ExplainLine {
  what: string
  why: string
}

export interface NetworkPlan {
  mode: 'none' | 'host' | 'bridge' | 'pasta' | 'container'
  /** --network container:X: whose network namespace each start joins, by id; ref as the user named it, for errors. */
  container?: { id: string; ref: string; stateRoot: string }
  attachments: PlannedAttachment[]
  /** Requested; a host port of 0 is picked when the lease is taken. */
  ports: PortMapping[]
  /**
   * The image's ExposedPorts keys ("80/tcp", "8000-8010/tcp") and --expose's,
   * published or not: the container's own ports, which `ps --filter expose=`
   * looks for and inspect shows (Config.ExposedPorts).
   */
  exposed?: string[]
  /** --dns on a network with its own DNS server: that server's upstreams for this container. */
  dnsServers: string[]
  resolv: ResolvConf
  /** pasta forwards DNS sent to this address to the host's resolver. */
  pastaDnsForward?: string
  hostsExtra: HostEntry[]
  hostsNames: string[]
  hostname: string
  /** --link's: looked up at each start, which adds their /etc/hosts lines and variables (runtime/container/container-links.ts). */
  links?: LinkRef[]
  /** Per-container files: host path -> container path. */
  files: EtcFiles
  /** --network none and host: the files' texts, written before the clone (no network step writes them). */
  texts?: EtcFiles
  mounts: SpecMount[]
  explain: ExplainLine[]
}
