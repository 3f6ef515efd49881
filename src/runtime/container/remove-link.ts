/**
 * `rm --link /web/db`: Docker's removal of a legacy link (daemon/delete.go
 * rmLink), by the name the link has, PARENT/ALIAS (docker/cli trims the
 * slashes around it). The linking container forgets it: inspect's
 * HostConfig.Links no longer lists it, its next start no longer needs the
 * other container, and if it runs, the line of its /etc/hosts goes now
 * (Docker refreshes the sandbox of a container on the default bridge).
 * Neither container is removed. Docker finds a link by the name it
 * registered, so the parent by its name alone (an id is no link name); a
 * link on a network of the user's is a DNS alias, which it does not find by
 * that name: `no such container`, as for a name that is no link. Unlike
 * Docker's, whose daemon registers its links again when it restarts, the
 * removal lasts: it is in the container's record.
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { legacyLinks, linkHostNames, type LinkRef } from '../../network/links.js'
import { rewriteInPlace, stateNow } from './container-links.js'
import { lookUp } from './container-network.js'
import type { ContainerInfo } from './containers.js'
import { updateState, withNamesLock } from './state.js'

/** The link `ref` names (`/web/db`, `web/db`) removed from its container; throws Docker's errors. */
export function removeLink(stateRoot: string, ref: string): void {
  const name = ref.replace(/^\/+|\/+$/g, '')
  if (name === '') throw new UsageError('container name cannot be empty')
  const noSuch = () => new MiniRunError(`no such container: ${name}`, { code: 'ENOCONTAINER' })
  const cut = name.lastIndexOf('/')
  if (cut === -1) {
    // a container's own name: Docker's GetContainer finds it, and rmLink refuses it
    lookUp(stateRoot, name)
    throw new MiniRunError('Conflict, cannot remove the default link name of the container', { code: 'ECONFLICT' })
  }
  const parentName = name.slice(0, cut)
  const alias = name.slice(cut + 1)
  if (parentName.includes('/')) throw noSuch()
  let parent: ContainerInfo
  try {
    parent = lookUp(stateRoot, parentName)
  } catch (err) {
    if ((err as MiniRunError).code === 'ENOCONTAINER') throw noSuch()
    throw err
  }
  const linkOf = (c: Pick<ContainerInfo, 'startInput'> | undefined) => {
    const network = c?.startInput?.network
    return network && legacyLinks(network) ? network.links?.find((l) => l.alias === alias) : undefined
  }
  const found = parent.name === parentName ? linkOf(parent) : undefined
  if (!found) throw noSuch()
  // the linked container as it is now, looked up (and settled) before the names lock: its line names its hostname
  let target: ContainerInfo | undefined
  try {
    target = lookUp(stateRoot, found.id ?? found.name)
  } catch {
    // removed since: its line is found by the name recorded
  }
  withNamesLock(stateRoot, () => {
    const p = stateNow(stateRoot, parent.id)
    const link = linkOf(p)
    if (!p || !link) throw noSuch()
    const rest = p.startInput!.network!.links!.filter((l) => l !== link)
    updateState(stateRoot, p.id, (s) => {
      const { links: _gone, ...withoutLinks } = s.startInput!.network!
      return { ...s, startInput: { ...s.startInput!, network: rest.length ? { ...withoutLinks, links: rest } : withoutLinks } }
    })
    // the linked container's note of it, unless another of its links names that one too
    for (const id of new Set([link.id, target?.id])) {
      if (id !== undefined && !rest.some((l) => l.id === id)) rmSync(join(stateRoot, id, 'linked-by', p.id), { force: true })
    }
    const hosts = p.startInput?.network?.files.hosts
    if (p.status === 'running' && hosts !== undefined) dropHostsLine(hosts, link, target)
  })
}

/**
 * The link's line out of the running container's /etc/hosts, in place (the
 * file is bound into it): the line its start wrote (linkHostNames), by the
 * linked container's name then or now. Of one removed since, whose
 * hostname is not known any more: a line of three names from the alias to
 * the name recorded (or of two, when that name is the alias).
 */
function dropHostsLine(hosts: string, link: LinkRef, target: ContainerInfo | undefined): void {
  const exact = target ? new Set([link.name, target.name].map((n) => linkHostNames(link.alias, target.spec?.hostname ?? target.id.slice(0, 12), n))) : undefined
  const isLinkLine = (words: string[]) => {
    if (exact) return exact.has(words.join(' '))
    return words[0] === link.alias && (link.name === link.alias ? words.length === 2 : words.length === 3 && words[2] === link.name)
  }
  try {
    const text = readFileSync(hosts, 'utf8')
    const kept = text.split('\n').filter((line) => !isLinkLine(line.trim().split(/\s+/).slice(1)))
    if (kept.join('\n') !== text) rewriteInPlace(hosts, kept.join('\n'))
  } catch {
    // its files gone meanwhile: its next start writes them anew, without the link
  }
}
