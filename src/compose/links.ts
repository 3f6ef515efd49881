/**
 * A service's `links:` (SERVICE[:ALIAS]), as compose-go normalizes them
 * (a dependency) and as mini-run serves their aliases (network aliases of
 * the linked service: linkAliases).
 */
import type { At } from './compose-error.js'
import type { Dependency, Service } from './model.js'
import { strings } from './values.js'

/** links: SERVICE[:ALIAS] (the alias the service's name when none). */
export function linksOf(v: unknown, at: At): { service: string; alias: string }[] | undefined {
  const list = strings(v, at)
  if (list.length === 0) return undefined
  return list.map((l) => {
    // SERVICE:ALIAS when there are two parts (compose-go's normalize.go); anything else names a service, and is refused as none
    const parts = l.split(':')
    return parts.length === 2 ? { service: parts[0]!, alias: parts[1]! } : { service: l, alias: l }
  })
}

/** A link is a dependency too, restarted with it (compose-go's normalize.go), unless depends_on says otherwise. */
export function withLinks(deps: Record<string, Dependency>, links: { service: string }[] | undefined): Record<string, Dependency> {
  const out = { ...deps }
  for (const l of links ?? []) out[l.service] ??= { condition: 'service_started', required: true, restart: true }
  return out
}

/**
 * links: a link's alias becomes a network alias of the linked service on
 * each project network the two share, so that its DNS name answers there;
 * as such it is part of that service's configuration (a link added or
 * removed recreates the linked service's containers, and `config` shows it).
 * Docker's daemon scopes a link's alias to the linking container; one
 * network-wide name cannot say two things, so two services that give one
 * alias to different services are refused, as are links without a shared
 * project network (network_mode), but between two services on the default
 * bridge (network_mode: bridge), where a link is run's --link, an
 * /etc/hosts line of the linking container's own.
 */
export function linkAliases(services: Record<string, Service>, at: (service: string) => At): void {
  const meaning = new Map<string, { target: string; by: string }>()
  for (const s of Object.values(services)) {
    ;(s.links ?? []).forEach((l, i) => {
      const target = services[l.service]
      // an undefined or disabled service: depends_on's check names it
      if (!target) return
      const shared = Object.keys(s.networks).filter((k) => k in target.networks)
      // both on the default bridge, which has no DNS: run's --link (service-container.ts bridgeLinks)
      if (shared.length === 0 && s.networkMode === 'bridge' && target.networkMode === 'bridge') return
      if (shared.length === 0) throw at(s.name).at(i).error(`service "${s.name}" links to "${l.service}", and they share no project network: mini-run gives a link's alias as a DNS name on their network, or, with network_mode: bridge on both, an /etc/hosts line`)
      const other = meaning.get(l.alias)
      if (other && other.target !== l.service) throw at(s.name).at(i).error(`the alias "${l.alias}" names service ${l.service} here and ${other.target} in service ${other.by}'s links: mini-run gives a link's alias to the whole network, where it can name only one`)
      // nor a name another service already answers to there: its name, an alias, its container's name
      const taken = Object.values(services).find((x) => x.name !== l.service && shared.some((k) => k in x.networks) && (x.name === l.alias || x.containerName === l.alias || shared.some((k) => x.networks[k]?.aliases.includes(l.alias))))
      if (taken) throw at(s.name).at(i).error(`the alias "${l.alias}" of service ${l.service} is a name of service ${taken.name} on their network: mini-run gives a link's alias to the whole network, where it can name only one`)
      meaning.set(l.alias, { target: l.service, by: s.name })
      if (l.alias === l.service) return
      for (const k of shared) if (!target.networks[k]!.aliases.includes(l.alias)) target.networks[k]!.aliases.push(l.alias)
    })
  }
}

