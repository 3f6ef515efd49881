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
  const { weight, weightDevice, ...rest } = io
  if (weight !== undefined) warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.')
  if (weightDevice) warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.')
  const { blockIO: _, ...others } = r
  const out = (Object.keys(rest).length ? { ...others, blockIO: rest } : others) as R
  return { resources: Object.keys(out).length ? out : undefined, warnings }
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
  const { swappiness: _s, disableOOMKiller: _o, ...rest } = mem
  const { memory: _, ...others } = r
  const out = (Object.keys(rest).length ? { ...others, memory: rest } : others) as R
  return { resources: Object.keys(out).length ? out : undefined, warnings }
}
