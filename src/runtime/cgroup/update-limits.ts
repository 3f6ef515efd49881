/**
 * `update`'s limits merged into the ones a container has, as moby merges
 * them (container/container_unix.go UpdateContainer): a flag given replaces
 * its value, the rest stay. Each flag is parsed and checked as `run` does
 * (resourcesFromFlags), and the memory pair as the daemon checks it:
 *
 * - a memory limit above the memory+swap limit already set, without a new
 *   one, is refused with Docker's words;
 * - a memory limit on a container that had none gets run's default swap
 *   (as much again). Docker refuses that too, having no swap limit to
 *   compare with; mini-run gives what `run -m` would have given;
 * - --memory-swap alone keeps the memory limit, and may not be below it.
 *
 * Pure: the returned `changed` is what to write into a running cgroup,
 * `merged` what the container keeps for inspect and its next start.
 */
import { MiniRunError } from '../../errors.js'
import { parseSize, resourcesFromFlags, type ResourceFlags, type SpecResources } from './cgroup-limits.js'

export type UpdateFlags = ResourceFlags

export function updatedLimits(current: SpecResources | undefined, f: UpdateFlags): { changed: SpecResources; merged: SpecResources } {
  const changed: SpecResources = {}
  const old = current ?? {}
  if (f.memory !== undefined || f.memorySwap !== undefined) changed.memory = updatedMemory(old.memory, f)
  // Docker's --pids-limit 0 on update: not given (its CLI sends no limit)
  if (f.pidsLimit !== undefined && f.pidsLimit !== '0') changed.pids = resourcesFromFlags({ pidsLimit: f.pidsLimit })!.pids
  const cpu = resourcesFromFlags({ cpus: f.cpus, cpuShares: f.cpuShares })?.cpu
  if (cpu) changed.cpu = { ...old.cpu, ...cpu }
  return { changed, merged: { ...old, ...changed } }
}

/**
 * The values checked before any container is looked at: a size, a number,
 * the memory minimum, the memory pair when both are given. --memory-swap
 * alone is for a container that has a memory limit: updatedLimits checks it.
 */
export function checkUpdateFlags(f: UpdateFlags): void {
  // both given: the pair too, as the daemon checks it before it looks at the container
  resourcesFromFlags({ ...f, memorySwap: f.memory !== undefined ? f.memorySwap : undefined, pidsLimit: f.pidsLimit === '0' ? undefined : f.pidsLimit })
  if (f.memory === undefined && f.memorySwap !== undefined && f.memorySwap !== '-1') parseSize(f.memorySwap, '--memory-swap')
}

function updatedMemory(old: SpecResources['memory'], f: UpdateFlags): NonNullable<SpecResources['memory']> {
  const limit = f.memory !== undefined ? resourcesFromFlags({ memory: f.memory })!.memory!.limit! : old?.limit
  if (f.memorySwap !== undefined) {
    // run's checks and words: a limit to go with, and no smaller than it
    const checked = resourcesFromFlags({ memory: limit !== undefined && limit > 0 ? String(limit) : undefined, memorySwap: f.memorySwap })!
    return { ...old, limit: checked.memory!.limit!, swap: checked.memory!.swap! }
  }
  const swap = old?.swap
  if (swap !== undefined && swap > 0 && limit! > swap) {
    throw new MiniRunError('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time', { code: 'ECONFLICT' })
  }
  return { ...old, limit, swap: swap ?? limit! * 2 }
}
