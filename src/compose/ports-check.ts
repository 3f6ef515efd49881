/**
 * Host ports, checked before anything is made: a published port that a
 * host socket listens on, that a container other than the service's own
 * holds, or that two services publish, fails `up` at once, naming the
 * service's `ports[i]` (the runtime would find it too, but only once the
 * containers before it run).
 */
import { hostListeners } from '../network/host-net.js'
import { portsClash, readLeases } from '../network/leases.js'
import { parsePublish } from '../network/port-spec.js'
import { listContainers } from '../runtime/container/containers.js'
import { At } from './compose-error.js'
import { LABELS } from './labels.js'
import type { Project } from './model.js'

export function checkHostPorts(stateRoot: string, project: Project, services: Iterable<string>): void {
  const leases = readLeases(stateRoot)
  const owners = new Map(listContainers(stateRoot).map((c) => [c.id, c]))
  const listeners = hostListeners()
  const claimed: { service: string; port: ReturnType<typeof parsePublish> }[] = []
  for (const name of [...services].sort()) {
    const s = project.services[name]!
    if (internalOnly(project, name)) continue
    s.ports.forEach((spec, i) => {
      const p = parsePublish(spec)
      // no host port, or a range a free one is picked from at the start
      if (p.hostPort === 0 || p.hostPortEnd !== undefined) return
      const at = new At(project.serviceFiles[name] ?? project.mainFile, ['services', name, 'ports', i])
      const where = `${p.hostIp || '0.0.0.0'}:${p.hostPort}`
      const twice = claimed.find((c) => portsClash(c.port, p))
      if (twice) throw at.error(`port ${where} is also published by service ${twice.service}`)
      claimed.push({ service: name, port: p })
      for (const [id, lease] of Object.entries(leases)) {
        const owner = owners.get(id)
        const labels = owner?.labels ?? {}
        // its own container, about to be kept or recreated, holds it rightly
        if (labels[LABELS.project] === project.name && labels[LABELS.service] === name) continue
        if (owner?.status !== 'running' && owner !== undefined) continue
        if (lease.ports.some((h) => portsClash(h, p))) {
          throw at.error(`port ${where} is already in use by container ${owner?.name ?? id.slice(0, 12)}`)
        }
      }
      const l = listeners.find((x) => portsClash(p, { hostIp: x.ip, hostPort: x.port, range: 1, protocol: x.protocol }))
      if (l) throw at.error(`port ${where} is already in use on the host (a ${l.protocol} socket listens on ${l.ip || '0.0.0.0'}:${l.port})`)
    })
  }
}

/**
 * A service whose networks are all internal (as the file says: an external
 * one may be anything) publishes nothing, as Docker (plan-network.ts
 * publishedPorts): its ports take no host port to clash on.
 */
function internalOnly(project: Project, service: string): boolean {
  const s = project.services[service]!
  const keys = Object.keys(s.networks)
  return s.networkMode === undefined && keys.length > 0 && keys.every((k) => project.networks[k]?.internal === true && !project.networks[k]!.external)
}
