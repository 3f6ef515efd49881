/**
 * Compose as a rootless user. A project's networks (its `default` one
 * too) are bridges, and a rootless container cannot join a bridge: the
 * veth needs root (plan-network.ts). What a rootless container gets,
 * pasta, is a network namespace of its own per container, copying the
 * host's address: services on it share no network and cannot find
 * each other by name, which is what a project network is for. Podman gets there
 * with a rootless network namespace shared by its containers, netavark's
 * bridge and aardvark-dns inside it; mini-run has none of that yet. So a
 * rootless up refuses such a project in one line, before it pulls,
 * builds or makes anything; services that need no project network
 * (network_mode: none, or bridge, which is pasta rootless) run; host is
 * refused as `run --network host` is (a rootless container has a user
 * namespace of its own).
 */
import { isRoot } from '../paths.js'
import { At } from './compose-error.js'
import type { Project } from './model.js'

export function checkRootlessNetworks(project: Project, services: Iterable<string>, root = isRoot()): void {
  if (root) return
  for (const name of [...services].sort()) {
    const s = project.services[name]
    const key = s ? Object.keys(s.networks)[0] : undefined
    if (!s || key === undefined) continue
    const network = project.networks[key]?.name ?? key
    throw new At(project.serviceFiles[name] ?? project.mainFile, ['services', name]).error(
      `a rootless container cannot join the project network ${network}: it is a bridge, which needs root, and rootless containers get pasta's network, one each, where services cannot reach each other by name; run compose as root, or set network_mode: none (only lo) or bridge (pasta's network, no names between services)`,
    )
  }
}
