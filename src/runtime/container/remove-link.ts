/**
 * `rm --link /web/db`: Docker's removal of a legacy link (daemon/delete.go
 * rmLink), by the name the link has, /PARENT/ALIAS. The linking container
 * forgets it: inspect's HostConfig.Links no longer lists it, its next start
 * no longer needs the other container, and if it runs, the line of its
 * /etc/hosts goes now (Docker refreshes the sandbox of a container on the
 * default bridge). Neither container is removed. A link on a network of the
 * user's is a DNS alias, which Docker's rm does not find by that name:
 * `no such container`, as for a name that is no link.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../../errors.js'
import { legacyLinks, type LinkRef } from '../../network/links.js'
import { lookUp } from './container-network.js'
import type { ContainerInfo } from './containers.js'
import { updateState, withNamesLock } from './state.js'

/** The link `ref` names (`/web/db` or `web/db`) removed from its container; throws Docker's errors. */
export function removeLink(stateRoot: string, ref: string): void {
  const name = ref.startsWith('/') ? ref : `/${ref}`
  const cut = name.lastIndexOf('/')
  const parentName = name.slice(1, cut)
  const alias = name.slice(cut + 1)
  const noSuch = () => new MiniRunError(`no such container: ${ref}`, { code: 'ENOCONTAINER' })
  if (cut === 0) {
    // a container's own name: Docker's GetContainer finds it, and rmLink refuses it
    lookUp(stateRoot, alias, alias)
    throw new MiniRunError('Conflict, cannot remove the default link name of the container', { code: 'ECONFLICT' })
  }
  if (parentName.includes('/') || alias === '') throw noSuch()
  withNamesLock(stateRoot, () => {
    let parent: ContainerInfo
    try {
      parent = lookUp(stateRoot, parentName)
    } catch (err) {
      if ((err as MiniRunError).code === 'ENOCONTAINER') throw noSuch()
      throw err
    }
    const network = parent.startInput?.network
    const link = network && legacyLinks(network) ? network.links?.find((l) => l.alias === alias) : undefined
    if (!network || !link) throw noSuch()
    const rest = network.links!.filter((l) => l !== link)
    updateState(stateRoot, parent.id, (s) => {
      const { links: _gone, ...withoutLinks } = s.startInput!.network!
      return { ...s, startInput: { ...s.startInput!, network: rest.length ? { ...withoutLinks, links: rest } : withoutLinks } }
    })
    // the linked container's note of it, unless another of its links names that one too
    if (link.id !== undefined && !rest.some((l) => l.id === link.id)) rmSync(join(stateRoot, link.id, 'linked-by', parent.id), { force: true })
    if (parent.status === 'running' && network.files.hosts !== undefined) dropHostsLine(network.files.hosts, link, stateRoot)
  })
}

/**
 * The link's line out of the running container's /etc/hosts, in place (the
 * file is bound into it): the alias first, and the linked container's name
 * last, or alone (linkHostNames), by the name it had or has now.
 */
function dropHostsLine(hosts: string, link: LinkRef, stateRoot: string): void {
  const names = new Set([link.name])
  try {
    names.add(lookUp(stateRoot, link.id ?? link.name).name)
  } catch {
    // removed since: the name recorded
  }
  try {
    const text = readFileSync(hosts, 'utf8')
    const kept = text.split('\n').filter((line) => {
      const words = line.trim().split(/\s+/).slice(1)
      return !(words[0] === link.alias && (words.length === 2 || names.has(words.at(-1)!)))
    })
    if (kept.join('\n') !== text) writeFileSync(hosts, kept.join('\n'))
  } catch {
    // its files gone meanwhile: its next start writes them anew, without the link
  }
}
