/**
 * What a container's start made of its network, as its state records it
 * (attach.ts makes it, detachNetwork undoes it): a module of its own, so
 * the state (runtime/container/state.ts) names the type without importing
 * the code that reads the state back.
 */
import type { NetavarkOptions } from './netavark.js'
import type { PastaProcess } from './pasta.js'
import type { PortMapping } from './port-spec.js'

/** In the container's state: what was made, for inspect, ps, port and the teardown. */
export interface NetworkRecord {
  mode: 'bridge' | 'pasta'
  /** The networks it joins, by name. */
  networks: string[]
  /** With host ports filled in once the lease is taken. */
  ports: PortMapping[]
  /** The image's ExposedPorts keys (plan-network.ts): for ps --filter expose=. */
  exposed?: string[]
  /** netavark's input, recorded before setup: the teardown passes the same. */
  netavark?: NetavarkOptions
  /**
   * The host end of a veth pair mini-run made itself on the default bridge
   * (fast-bridge.ts): the default network is not netavark's to tear down
   * for this container; the other networks in netavark's input are.
   */
  veth?: string
  /** What setup reported, per network. */
  endpoints?: Endpoint[]
  pasta?: PastaProcess
  /** Torn down once the container exited; kept for inspect. */
  detached?: boolean
}

export interface Endpoint {
  network: string
  interfaceName: string
  ip: string
  prefix: number
  gateway: string
  /** On a network with an IPv6 subnet: the container's IPv6 address, its prefix and gateway. */
  ip6?: string
  prefix6?: number
  gateway6?: string
  mac: string
  aliases: string[]
}
