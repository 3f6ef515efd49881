/**
 * --network container:X, Docker's sidecar pattern: the container makes no
 * network of its own, it joins X's network namespace at each start (the
 * start plan's setns, plan-start.ts) and sees X's interfaces, addresses,
 * ports and lo. It shares X's /etc/hosts, /etc/resolv.conf and hostname,
 * so every flag that would shape a network of its own is refused, in
 * Docker's words (moby runconfig/errors.go, validateNetContainerMode).
 * Nothing is attached or torn down for it: X's network is X's.
 */
import { UsageError } from '../errors.js'
import type { SpecMount } from '../runtime/spec/spec.js'
import type { HostEntry } from './etc-files.js'
import { joinedEtcFiles, type EtcFiles } from './plan-etc-files.js'
import type { JoinedContainer, NetworkFlags } from './network-plan.js'

export type { JoinedContainer } from './network-plan.js'

export const CONTAINER_MODE = 'container:'



/** A NetworkPlan (plan-network.ts) of mode container. */
export interface JoinedPlan {
  mode: 'container'
  container: { id: string; ref: string; stateRoot: string }
  attachments: never[]
  ports: never[]
  dnsServers: string[]
  resolv: { nameservers: string[]; search: string[]; options: string[] }
  hostsExtra: HostEntry[]
  hostsNames: string[]
  hostname: string
  files: EtcFiles
  mounts: SpecMount[]
  explain: never[]
}

/** The flags Docker refuses with a container's network, in the order its daemon checks them. */
export function checkJoinedFlags(flags: NetworkFlags): void {
  const conflict = (what: string) => new UsageError(`conflicting options: ${what} and the network mode`)
  if (flags.dns?.length || flags.dnsSearch?.length || flags.dnsOption?.length) throw conflict('dns')
  if (flags.addHost?.length) throw conflict('custom host-to-IP mapping')
  if (flags.macAddress !== undefined) throw conflict('mac-address')
  if (flags.publish?.length || flags.publishAll) throw new UsageError('conflicting options: port publishing and the container type network mode')
  if (flags.expose?.length) throw new UsageError('conflicting options: port exposing and the container type network mode')
  if (flags.ip !== undefined || flags.ip6 !== undefined) throw new UsageError('user specified IP address is supported on user defined networks only')
  if (flags.aliases?.length) throw new UsageError('network-scoped alias is supported only for containers in user defined networks')
  if (flags.moreNetworks?.length) throw new UsageError('container sharing network namespace with another container or host cannot be connected to any other network')
  if (flags.links?.length) throw new UsageError("conflicting options: container type network can't be used with links. This would result in undefined behavior")
}

export function planJoinedNetwork(flags: NetworkFlags, ctx: { stateRoot: string; rootfsDir?: string; networkOf?: JoinedContainer; readOnly?: boolean }): JoinedPlan {
  checkJoinedFlags(flags)
  const x = ctx.networkOf
  if (x === undefined) throw new TypeError(`--network ${flags.network}: the container to join was not looked up (NetworkContext.networkOf)`)
  const plan: JoinedPlan = {
    mode: 'container',
    container: { id: x.id, ref: x.ref, stateRoot: ctx.stateRoot },
    attachments: [],
    ports: [],
    dnsServers: [],
    resolv: { nameservers: [], search: [], options: [] },
    hostsExtra: [],
    hostsNames: [],
    hostname: x.hostname,
    files: {},
    mounts: [],
    explain: [],
  }
  joinedEtcFiles(plan, x.files, ctx.rootfsDir, ctx.readOnly)
  return plan
}
