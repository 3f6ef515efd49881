/**
 * --link (network/links.ts) against the other containers' states. Each
 * linked container must exist when this one is made: its id is recorded,
 * so that a rename keeps the link, as Docker's link graph does. At each
 * start it must run on a network this one joins: the start then adds its
 * /etc/hosts line and, on the default bridge, Docker's link variables, as
 * Docker's daemon works them out at each start (setupLinkedContainers).
 * Neither is recorded: the next start, after the other's restart moved
 * it, works them out again.
 */
import { MiniRunError } from '../../errors.js'
import type { HostEntry } from '../../network/etc-files.js'
import { linkEnv, linkHostNames } from '../../network/links.js'
import type { NetworkPlan } from '../../network/plan-network.js'
import type { PlanInput } from '../plan/plan-start.js'
import { lookUp } from './container-network.js'
import { configExposedPorts } from './filter-ports.js'

/** Each link's container, looked up now (`no such container` when there is none): the plan records its id and name. */
export function recordLinks(network: NetworkPlan, stateRoot: string): NetworkPlan {
  if (!network.links?.length) return network
  return {
    ...network,
    links: network.links.map((l) => {
      const x = lookUp(stateRoot, l.name)
      return { ...l, id: x.id, name: x.name }
    }),
  }
}

/** The input of this start with its links' /etc/hosts lines and variables; the same input without links. */
export function withLinks(input: PlanInput, stateRoot: string, ownName: string): PlanInput {
  const network = input.network
  if (!network?.links?.length || network.mode !== 'bridge') return input
  const hosts: HostEntry[] = []
  const env: string[] = []
  const explain: NetworkPlan['explain'] = []
  const ours = new Map(network.attachments.map((a) => [a.network.name, a.network.builtin === true]))
  for (const link of network.links) {
    const x = lookUp(stateRoot, link.name, link.id ?? link.name)
    const linkName = `/${ownName}/${link.alias}`
    if (x.status !== 'running') throw new MiniRunError(`cannot link to a non running container: /${x.name} AS ${linkName}`, { code: 'ENOTRUNNING' })
    const endpoint = x.network?.detached ? undefined : x.network?.endpoints?.find((e) => ours.has(e.network))
    if (!endpoint) {
      const why = [...ours.values()].some(Boolean) ? 'as it does not belong to the default network' : `it is on none of this container's networks (${[...ours.keys()].join(', ')})`
      throw new MiniRunError(`cannot link to /${x.name}, ${why}`, { code: 'ENOTLINKABLE' })
    }
    const names = linkHostNames(link.alias, x.spec?.hostname ?? x.id.slice(0, 12), x.name)
    hosts.push({ ip: endpoint.ip, name: names })
    let why = `--link ${link.name}:${link.alias}: /etc/hosts says where the running container ${x.name} is, by alias, hostname and name`
    // Docker's variables, on the default bridge alone: its Config.Env, without what mini-run set itself (inspect's)
    if (ours.get(endpoint.network)) {
      const defaulted = new Set(x.startInput?.given?.envDefaults ?? [])
      const childEnv = (x.spec?.process.env ?? []).filter((e) => !defaulted.has(e.slice(0, e.indexOf('='))))
      env.push(...linkEnv(linkName, endpoint.ip, childEnv, configExposedPorts(x.network)))
      why += `, and ${link.alias.toUpperCase().replaceAll('-', '_')}_* variables where it listens (the default bridge has no DNS)`
    }
    explain.push({ what: `the /etc/hosts line "${endpoint.ip} ${names}"`, why })
  }
  // the container's own variables win over the links' (Docker's ReplaceOrAppendEnvValues)
  const own = new Set(input.spec.process.env.map((e) => e.slice(0, e.indexOf('='))))
  const linked = env.filter((e) => !own.has(e.slice(0, e.indexOf('='))))
  return {
    ...input,
    network: { ...network, hostsExtra: [...network.hostsExtra, ...hosts], explain: [...network.explain, ...explain] },
    spec: linked.length ? { ...input.spec, process: { ...input.spec.process, env: [...linked, ...input.spec.process.env] } } : input.spec,
  }
}
