/**
 * The limits a host cannot set, discarded with Docker's warnings as its
 * daemon discards them (daemon/daemon_unix.go
 * verifyPlatformContainerResources), so that a run Docker starts with a
 * warning starts here too: a block I/O weight without blkio.weight, and
 * cgroup v1's memory knobs where the memory limits go to cgroup v2.
 */
import { existsSync } from 'node:fs'
import type { SpecBlockIO } from './cgroup-limits.js'

/** What decides whether a limit can be set: the v2 tree's controllers and the v1 hierarchies. */
export interface HostControllers {
  v2Controllers: string[]
  v1: { mount: string; controllers: string[] }[]
}

/**
 * On a host whose block I/O controller is a v1 blkio hierarchy without
 * blkio.weight (no CFQ or BFQ scheduler gives weights), the weights go with
 * Docker's warnings and the rest of the limits stay, as its daemon discards
 * them (daemon/daemon_unix.go verifyPlatformContainerResources).
 */
export function discardUnsupportedWeights<R extends { blockIO?: SpecBlockIO }>(r: R, host: HostControllers): { resources: R | undefined; warnings: string[] } {
  const io = r.blockIO
  const blkio = host.v1.find((h) => h.controllers.includes('blkio'))
  if (!io || (io.weight === undefined && !io.weightDevice) || host.v2Controllers.includes('io') || !blkio || existsSync(`${blkio.mount}/blkio.weight`)) return { resources: r, warnings: [] }
  const warnings: string[] = []
  if (io.weight !== undefined) warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.')
  if (io.weightDevice) warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.')
  return { resources: without(r, 'blockIO', ['weight', 'weightDevice']), warnings }
}

/**
 * --memory-swappiness and --oom-kill-disable are cgroup v1's alone
 * (memory.swappiness, memory.oom_control): where the memory limits go to
 * cgroup v2 (a pure v2 host, or a rootless run) they go with Docker's
 * warnings, as its daemon discards them there; kept, a disabled OOM
 * killer without a memory limit gets Docker's warning too.
 */
export function discardV1MemoryKnobs<R extends { memory?: { limit?: number; swappiness?: number; disableOOMKiller?: boolean } }>(r: R, host: HostControllers, root: boolean): { resources: R | undefined; warnings: string[] } {
  const mem = r.memory
  if (!mem || (mem.swappiness === undefined && !mem.disableOOMKiller)) return { resources: r, warnings: [] }
  const v1 = root && !host.v2Controllers.includes('memory') && host.v1.some((h) => h.controllers.includes('memory'))
  if (v1) return { resources: r, warnings: mem.disableOOMKiller && mem.limit === undefined ? ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.'] : [] }
  const warnings: string[] = []
  if (mem.swappiness !== undefined) warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.')
  if (mem.disableOOMKiller) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.')
  return { resources: without(r, 'memory', ['swappiness', 'disableOOMKiller']), warnings }
}

/** The resources without these fields of one section: the section gone if nothing is left of it, undefined if nothing is left at all. */
function without<R extends object, K extends keyof R & string>(r: R, section: K, fields: readonly string[]): R | undefined {
  const kept = Object.fromEntries(Object.entries(r[section] as object).filter(([k]) => !fields.includes(k)))
  const { [section]: _, ...others } = r
  const out = (Object.keys(kept).length ? { ...others, [section]: kept } : others) as R
  return Object.keys(out).length ? out : undefined
}
