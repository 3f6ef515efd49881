/**
 * `update`'s limits merged into the ones a container has, as moby merges
 * them (container/container_unix.go UpdateContainer): a flag given replaces
 * its value, the rest stay. Each flag is parsed and checked as `run` does
 * (resourcesFromFlags), and the memory pair as the daemon checks it:
 *
 * - a memory limit above the memory+swap limit already set, without a new
 *   one, is refused with Docker's words. The daemon compares it with the
 *   stored MemorySwap as it is, on cgroup v1 and v2 alike: a container run
 *   without -m has none (0), one run with --memory-swap -1 has -1, and
 *   either refuses a memory limit alone ("update the memoryswap at the same
 *   time"); a swap limit is never made up here (run -m's default, twice the
 *   memory, is the create's: moby's adaptContainerSettings);
 * - --memory-swap alone keeps the memory limit, and may not be below it;
 *   -1 (unlimited) needs no memory limit, as on the daemon, and is stored
 *   as -1: inspect's MemorySwap, and "max" in the cgroup.
 *
 * Pure: the returned `changed` is what to write into a running cgroup,
 * `merged` what the container keeps for inspect and its next start.
 */
import { MiniRunError } from '../../errors.js'
import { parseSize, resourcesFromFlags, type ResourceFlags, type SpecResources } from './cgroup-limits.js'

export type UpdateFlags = ResourceFlags

export function updatedLimits(current: SpecResources | undefined, f: UpdateFlags, made: { cfs?: boolean } = {}): { changed: SpecResources; merged: SpecResources } {
  const changed: SpecResources = {}
  const old = current ?? {}
  // run with --cpu-period/--cpu-quota: moby's UpdateContainer keeps --cpus from replacing them
  if (made.cfs && f.cpus !== undefined && Number(f.cpus) > 0) {
    if ((old.cpu?.period ?? 0) > 0) throw new MiniRunError('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set', { code: 'ECONFLICT' })
    if ((old.cpu?.quota ?? 0) > 0) throw new MiniRunError('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set', { code: 'ECONFLICT' })
  }
  if (f.memory !== undefined || f.memorySwap !== undefined) changed.memory = updatedMemory(old.memory, f)
  // Docker's --pids-limit 0 on update: not given (its CLI sends no limit)
  if (f.pidsLimit !== undefined && f.pidsLimit !== '0') changed.pids = resourcesFromFlags({ pidsLimit: f.pidsLimit })!.pids
  // --cpu-period/--cpu-quota over --cpus: moby's words again
  if (!made.cfs && (old.cpu?.quota ?? 0) > 0 && f.cpus === undefined) {
    if (f.cpuPeriod !== undefined && Number(f.cpuPeriod) > 0) throw new MiniRunError('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set', { code: 'ECONFLICT' })
    if (f.cpuQuota !== undefined && Number(f.cpuQuota) > 0) throw new MiniRunError('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set', { code: 'ECONFLICT' })
  }
  const cpu = resourcesFromFlags({ cpus: f.cpus, cpuShares: f.cpuShares, cpuPeriod: f.cpuPeriod, cpuQuota: f.cpuQuota, cpusetCpus: f.cpusetCpus, cpusetMems: f.cpusetMems })?.cpu
  if (cpu) changed.cpu = { ...old.cpu, ...cpu }
  if (f.memoryReservation !== undefined) {
    const memory = changed.memory ?? old.memory
    const reservation = resourcesFromFlags({ memoryReservation: f.memoryReservation, ...(memory?.limit !== undefined && memory.limit > 0 ? { memory: String(memory.limit) } : {}) })?.memory?.reservation
    changed.memory = { ...memory, ...(reservation !== undefined ? { reservation } : {}) }
  }
  // Docker's --blkio-weight 0 on update: not given. What is written is the weight alone (the
  // throttles' device numbers are a start's to find again, blkio-flags.ts); what is kept, all of it
  const weight = f.blkioWeight !== undefined && f.blkioWeight !== '0' ? resourcesFromFlags({ blkioWeight: f.blkioWeight })!.blockIO : undefined
  if (weight) changed.blockIO = weight
  return { changed, merged: { ...old, ...changed, ...(weight && { blockIO: { ...old.blockIO, ...weight } }) } }
}

/**
 * The values checked before any container is looked at: a size, a number,
 * the memory minimum, the memory pair when both are given. --memory-swap
 * alone is for a container that has a memory limit: updatedLimits checks it.
 */
export function checkUpdateFlags(f: UpdateFlags): void {
  // both given: the pair too, as the daemon checks it before it looks at the container
  resourcesFromFlags({ ...f, memorySwap: f.memory !== undefined ? f.memorySwap : undefined, pidsLimit: f.pidsLimit === '0' ? undefined : f.pidsLimit, blkioWeight: f.blkioWeight === '0' ? undefined : f.blkioWeight })
  if (f.memory === undefined && f.memorySwap !== undefined && f.memorySwap !== '-1') parseSize(f.memorySwap, '--memory-swap')
}

function updatedMemory(old: SpecResources['memory'], f: UpdateFlags): NonNullable<SpecResources['memory']> {
  const limit = f.memory !== undefined ? resourcesFromFlags({ memory: f.memory })!.memory!.limit! : old?.limit
  if (f.memorySwap === '-1' && (limit === undefined || limit <= 0)) return { ...old, swap: -1 }
  if (f.memorySwap !== undefined) {
    // run's checks and words: a limit to go with, and no smaller than it
    const checked = resourcesFromFlags({ memory: limit !== undefined && limit > 0 ? String(limit) : undefined, memorySwap: f.memorySwap })!
    return { ...old, limit: checked.memory!.limit!, swap: checked.memory!.swap! }
  }
  // moby's container.UpdateContainer: resources.Memory > cResources.MemorySwap, unset being 0
  if (limit! > (old?.swap ?? 0)) {
    throw new MiniRunError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time', { code: 'ECONFLICT' })
  }
  return { ...old, limit }
}
