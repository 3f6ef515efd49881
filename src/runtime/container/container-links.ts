/**
 * --link (network/links.ts) against the other containers' states, as
 * Docker's daemon has it. A legacy link (the default bridge; none) names a
 * container that must exist when this one is made (registerLinks): its id
 * is recorded, so a rename keeps the link. At each start it must run, or
 * be restarting, on the default bridge (setupLinkedContainers): the start
 * adds its /etc/hosts line (buildSandboxOptions), and Docker's variables
 * when DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS asks for them (Docker
 * 29 sets them no more). On a network of the user's, Docker's link is a
 * name its DNS gives this container alone, needing neither: mini-run looks
 * the name up at each start and writes the line of a container that runs
 * on a network both join, and otherwise nothing. None of this is recorded:
 * the next start works it out again.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { pausePoint } from '../../crash-point.js'
import { MiniRunError, UsageError } from '../../errors.js'
import type { HostEntry } from '../../network/etc-files.js'
import { inspectLinks, keepLinkEnv, legacyLinks, linkEnv, linkHostNames, type LinkRef } from '../../network/links.js'
import type { NetworkPlan } from '../../network/plan-network.js'
import type { PlanInput } from '../plan/plan-start.js'
import { lookUp } from './container-network.js'
import { readState, withNamesLock } from './state.js'
import { inspectState, type ContainerInfo } from './containers.js'
import { configExposedPorts } from './filter-ports.js'

/** A legacy link's container, looked up now (`no such container` when there is none): the plan records its id and name. */
export function recordLinks(network: NetworkPlan, stateRoot: string): NetworkPlan {
  if (!network.links?.length || !legacyLinks(network)) return network
  return {
    ...network,
    links: network.links.map((l) => {
      let x = lookUp(stateRoot, l.name)
      // one that joins another's network stands for that one, whose network it is (registerLinks)
      for (let hops = 0; x.networkContainer !== undefined && hops < 8; hops++) x = lookUp(stateRoot, x.networkContainer)
      if (x.hostNetwork) throw new UsageError("conflicting options: host type networking can't be used with links. This would result in undefined behavior")
      return { ...l, id: x.id, name: x.name }
    }),
  }
}

interface Resolved {
  hosts: HostEntry[]
  env: string[]
  explain: NetworkPlan['explain']
}

/** Each link's /etc/hosts line and variables; `lenient`: a link that does not resolve is left out rather than refused (exec's, and a user network's). */
function resolveLinks(network: NetworkPlan, stateRoot: string, ownName: string, lenient: boolean): Resolved {
  const out: Resolved = { hosts: [], env: [], explain: [] }
  const ours = new Map(network.attachments.map((a) => [a.network.name, a.network.builtin === true]))
  for (const link of network.links ?? []) {
    try {
      resolveLink(link, ours, stateRoot, ownName, out)
    } catch (err) {
      if (!lenient) throw err
    }
  }
  return out
}

/**
 * The linked container: by the id recorded at create, else (removed since)
 * by its name then, as compose's up makes it again under the same name;
 * none: Docker keeps the link and the start fails (Docker 1.10 on).
 */
function linked(stateRoot: string, link: LinkRef, linkName: string): ContainerInfo {
  const by = (ref: string) => {
    try {
      return lookUp(stateRoot, ref)
    } catch (err) {
      if ((err as MiniRunError).code !== 'ENOCONTAINER') throw err
      return undefined
    }
  }
  const x = (link.id !== undefined ? by(link.id) : undefined) ?? by(link.name)
  if (!x) throw new MiniRunError(`Cannot link to a non running container: /${link.name} AS ${linkName}`, { code: 'ENOTRUNNING' })
  return x
}

function resolveLink(link: LinkRef, ours: Map<string, boolean>, stateRoot: string, ownName: string, out: Resolved): void {
  const linkName = `/${ownName}/${link.alias}`
  const x = linked(stateRoot, link, linkName)
  // a container its restart policy is starting again counts as running (Docker's SetRestarting), with no address meanwhile
  if (x.status !== 'running' && !x.restarting) throw new MiniRunError(`Cannot link to a non running container: /${x.name} AS ${linkName}`, { code: 'ENOTRUNNING' })
  if (x.status !== 'running' && x.network?.detached) return
  const endpoint = x.network?.endpoints?.find((e) => ours.has(e.network))
  if (!endpoint) throw new MiniRunError(`Cannot link to /${x.name}, as it does not belong to the default network`, { code: 'ENOTLINKABLE' })
  const legacy = ours.get(endpoint.network) === true
  // on a network of the user's, the alias alone: its DNS answers the name and hostname, at their address now
  if (!legacy && link.alias === x.name) return
  const names = legacy ? linkHostNames(link.alias, x.spec?.hostname ?? x.id.slice(0, 12), x.name) : link.alias
  out.hosts.push({ ip: endpoint.ip, name: names })
  let why = legacy ? `--link ${link.name}:${link.alias}: /etc/hosts says where the container ${x.name} is, by alias, hostname and name` : `--link ${link.name}:${link.alias}: the alias, which Docker's DNS gives this container alone`
  // Docker's variables, on the default bridge and when asked: its Config.Env, without what mini-run set itself (inspect's)
  if (legacy && keepLinkEnv()) {
    const defaulted = new Set(x.startInput?.given?.envDefaults ?? [])
    const childEnv = (x.spec?.process.env ?? []).filter((e) => !defaulted.has(e.slice(0, e.indexOf('='))))
    out.env.push(...linkEnv(linkName, endpoint.ip, childEnv, configExposedPorts(x.network)))
    why += `, and DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS asks for ${link.alias.toUpperCase().replaceAll('-', '_')}_* variables of where it listens`
  }
  out.explain.push({ what: `the /etc/hosts line "${endpoint.ip} ${names}"`, why })
}

/** The variables not among `env`'s names: the container's own win over the links' (Docker's ReplaceOrAppendEnvValues). */
function notIn(env: readonly string[], linked: readonly string[]): string[] {
  const own = new Set(env.map((e) => e.slice(0, e.indexOf('='))))
  return linked.filter((e) => !own.has(e.slice(0, e.indexOf('='))))
}

/** The input of this start with its links' /etc/hosts lines and variables; the same input without links. */
export function withLinks(input: PlanInput, stateRoot: string, ownName: string): PlanInput {
  const network = input.network
  if (!network?.links?.length || network.mode !== 'bridge') return input
  const { hosts, env, explain } = resolveLinks(network, stateRoot, ownName, !legacyLinks(network))
  const linked = notIn(input.spec.process.env, env)
  return {
    ...input,
    network: { ...network, hostsExtra: [...network.hostsExtra, ...hosts], explain: [...network.explain, ...explain] },
    spec: linked.length ? { ...input.spec, process: { ...input.spec.process, env: [...linked, ...input.spec.process.env] } } : input.spec,
  }
}

/** inspect's HostConfig.Links by the linked containers' names now (Docker builds them from its link graph); null without any. */
export function inspectedLinks(stateRoot: string, c: Pick<ContainerInfo, 'name' | 'startInput'>): string[] | null {
  const network = c.startInput?.network
  if (!network?.links) return null
  const now = (l: LinkRef) => {
    try {
      return lookUp(stateRoot, l.id ?? l.name).name
    } catch {
      // removed: Docker keeps the link (and the start fails), under the name it had
      return l.name
    }
  }
  return inspectLinks({ ...network, links: network.links.map((l) => ({ ...l, name: now(l) })) }, c.name)
}

/**
 * An exec's link variables, as Docker's exec and health checks get them
 * (its daemon works them out for each, as for each start): those of the
 * links that resolve now, under `env`'s own; a linked container stopped
 * since leaves its variables out rather than failing the exec.
 */
export function execLinkEnv(c: ContainerInfo, stateRoot: string, env: readonly string[]): string[] {
  const network = c.startInput?.network
  if (!network?.links?.length || network.mode !== 'bridge' || !keepLinkEnv()) return []
  return notIn(env, resolveLinks(network, stateRoot, c.name, true).env)
}

/**
 * After a start: each container this one legacy-links notes it (a file of
 * its state directory's linked-by/), so that the next start of that
 * container rewrites this one's /etc/hosts line (updateLinkers). Then this
 * one's lines are checked against where each is now: one that started
 * again between this start's look-up and its note told the linkers it had
 * noted then, not this one. Its note is written first, so either its
 * updateLinkers sees the note or this check sees its new address.
 */
export function noteLinks(stateRoot: string, id: string, ownName: string, network: NetworkPlan | undefined): void {
  if (!network?.links?.length || !legacyLinks(network)) return
  pausePoint('links:before-note')
  const targets: ContainerInfo[] = []
  for (const l of network.links) {
    let target: ContainerInfo
    try {
      // the container this start linked to: the one recorded, or the one of its name since
      target = linked(stateRoot, l, `/${ownName}/${l.alias}`)
    } catch {
      continue
    }
    // never its state directory itself: one removed meanwhile is not made again
    const dir = join(stateRoot, target.id, LINKED_BY)
    try {
      mkdirSync(dir, { mode: 0o700 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') continue
    }
    try {
      writeFileSync(join(dir, id), '')
      targets.push(target)
    } catch {
      // removed meanwhile: nothing links to it any more
    }
  }
  for (const x of targets) relink(stateRoot, id, x.id)
}

const LINKED_BY = 'linked-by'

/**
 * After x started again (start, restart, its restart policy), at an address
 * that may be another: the /etc/hosts line of each running container that
 * legacy-links to it says the new one, as Docker's updateParentsHosts
 * rewrites its parents' entries.
 */
export function updateLinkers(stateRoot: string, x: Pick<ContainerInfo, 'id'>): void {
  let parents: string[]
  try {
    parents = readdirSync(join(stateRoot, x.id, LINKED_BY))
  } catch {
    return
  }
  for (const id of parents) {
    // gone: its note goes too
    if (!relink(stateRoot, id, x.id)) rmSync(join(stateRoot, x.id, LINKED_BY, id), { force: true })
  }
}

/**
 * The lines of the container `parentId`'s /etc/hosts that name the linked
 * container `targetId` say where it is now, if the parent runs. Both states
 * are read as they are, without a look-up's settling (which may tear a
 * network down), under the names lock, which every state write takes
 * (updateState), and the file is rewritten under it: two of these (two
 * linked containers started at once, a start and its linker's check) never
 * write one file from two readings. False when the parent is gone or links
 * to it no more (its note is then stale).
 */
function relink(stateRoot: string, parentId: string, targetId: string): boolean {
  return withNamesLock(stateRoot, () => {
    const p = stateNow(stateRoot, parentId)
    if (!p) return false
    const x = stateNow(stateRoot, targetId)
    if (!x) return true
    try {
      const network = p.startInput?.network
      const hosts = network?.files.hosts
      const links = network?.links?.filter((l) => l.id === x.id || l.name === x.name) ?? []
      if (links.length === 0) return false
      const endpoint = x.network?.endpoints?.find((e) => network?.attachments.some((a) => a.network.name === e.network))
      if (p.status !== 'running' || hosts === undefined || endpoint === undefined) return true
      const hostname = x.spec?.hostname ?? x.id.slice(0, 12)
      // its own line alone: the alias, its hostname and its name (another container of one hostname keeps its own)
      const text = readFileSync(hosts, 'utf8')
      const lines = text.split('\n').map((line) => {
        const names = line.split(/\s+/).slice(1).join(' ')
        const link = links.find((l) => names === linkHostNames(l.alias, hostname, x.name))
        return link ? `${endpoint.ip}\t${names}` : line
      })
      if (lines.join('\n') !== text) rewriteInPlace(hosts, lines.join('\n'))
    } catch {
      // either's files gone meanwhile: the parent's next start writes them anew
    }
    return true
  })
}

/** A container's state as its files say now (status from its pid), or undefined when it is gone: no look-up, nothing settled. */
export function stateNow(stateRoot: string, id: string): ContainerInfo | undefined {
  try {
    return inspectState(stateRoot, readState(stateRoot, id))
  } catch {
    return undefined
  }
}

/**
 * A file bound into a running container, rewritten in place (the bind
 * holds its inode): opened without O_CREAT, so one its container's
 * removal unlinked meanwhile is not made again in a directory being
 * removed (ENOENT, for the caller to let be).
 */
export function rewriteInPlace(path: string, text: string): void {
  const fd = openSync(path, 'r+')
  try {
    ftruncateSync(fd, 0)
    writeSync(fd, text, 0)
  } finally {
    closeSync(fd)
  }
}
