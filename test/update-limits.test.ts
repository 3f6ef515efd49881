// `update`'s limits merged into a container's, as moby's daemon merges them
// (pure: the cgroup writes are in test/update-container.test.ts).
import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { checkUpdateFlags, updatedLimits } from '../src/runtime/cgroup/update-limits.js'

const MiB = 1024 * 1024

describe('updatedLimits', () => {
  it('replaces what is given and keeps the rest; changed holds only the updated sections', () => {
    const current = { memory: { limit: 32 * MiB, swap: 64 * MiB }, pids: { limit: 10 }, cpu: { shares: 512 } }
    const { changed, merged } = updatedLimits(current, { pidsLimit: '20', cpus: '0.5' })
    expect(changed).toEqual({ pids: { limit: 20 }, cpu: { shares: 512, period: 100_000, quota: 50_000 } })
    expect(merged).toEqual({ memory: { limit: 32 * MiB, swap: 64 * MiB }, pids: { limit: 20 }, cpu: { shares: 512, period: 100_000, quota: 50_000 } })
  })

  it('--cpus over a container run with --cpu-period or --cpu-quota is moby\'s conflict; over one run with --cpus it replaces them', () => {
    expect(() => updatedLimits({ cpu: { period: 50_000, quota: 20_000 } }, { cpus: '1' }, { cfs: true })).toThrow(/^Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set$/)
    expect(() => updatedLimits({ cpu: { quota: 20_000 } }, { cpus: '1' }, { cfs: true })).toThrow(/^Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set$/)
    expect(updatedLimits({ cpu: { period: 100_000, quota: 20_000 } }, { cpus: '1' }).merged.cpu).toEqual({ period: 100_000, quota: 100_000 })
    // the other way: a quota over --cpus, and the new flags merged into what is set
    expect(() => updatedLimits({ cpu: { period: 100_000, quota: 50_000 } }, { cpuQuota: '30000' })).toThrow(/^Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set$/)
    expect(updatedLimits({ cpu: { shares: 512 } }, { cpusetCpus: '0', cpuPeriod: '50000', cpuQuota: '25000' }).merged.cpu).toEqual({ shares: 512, cpus: '0', period: 50_000, quota: 25_000 })
    expect(updatedLimits({ memory: { limit: 64 * MiB, swap: 128 * MiB } }, { memoryReservation: '32m' }).merged.memory).toEqual({ limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB })
    expect(() => updatedLimits({ memory: { limit: 16 * MiB, swap: 32 * MiB } }, { memoryReservation: '32m' })).toThrow('Minimum memory limit can not be less than memory reservation limit, see usage')
  })

  it('a memory limit alone keeps the swap limit it fits under; with none set, or -1, it is refused as the daemon refuses it', () => {
    expect(updatedLimits({ memory: { limit: 32 * MiB, swap: 64 * MiB } }, { memory: '48m' }).merged.memory).toEqual({ limit: 48 * MiB, swap: 64 * MiB })
    // moby compares with the stored MemorySwap as it is: 0 when unset, -1 when unlimited; no swap is made up
    const conflict = /^Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time$/
    expect(() => updatedLimits(undefined, { memory: '64m' })).toThrow(conflict)
    expect(() => updatedLimits({ memory: { limit: 32 * MiB, swap: -1 } }, { memory: '1g' })).toThrow(conflict)
    expect(updatedLimits(undefined, { memory: '64m', memorySwap: '-1' }).merged.memory).toEqual({ limit: 64 * MiB, swap: -1 })
    // unlimited swap needs no memory limit: stored as -1, which inspect shows
    expect(updatedLimits(undefined, { memorySwap: '-1' }).merged.memory).toEqual({ swap: -1 })
  })

  it('refuses a memory limit above the memory+swap limit set, in Docker\'s words, unless the swap comes with it', () => {
    const current = { memory: { limit: 32 * MiB, swap: 64 * MiB } }
    expect(() => updatedLimits(current, { memory: '128m' })).toThrow(
      /^Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time$/,
    )
    expect(updatedLimits(current, { memory: '128m', memorySwap: '256m' }).merged.memory).toEqual({ limit: 128 * MiB, swap: 256 * MiB })
  })

  it('--memory-swap alone keeps the memory limit and may not go below it; without a memory limit it is refused', () => {
    const current = { memory: { limit: 32 * MiB, swap: 64 * MiB } }
    expect(updatedLimits(current, { memorySwap: '-1' }).changed.memory).toEqual({ limit: 32 * MiB, swap: -1 })
    expect(() => updatedLimits(current, { memorySwap: '16m' })).toThrow(/minimum memory-swap limit should be larger than memory limit/)
    expect(() => updatedLimits(undefined, { memorySwap: '1g' })).toThrow(/always set the memory limit/)
  })

  it('checks each value as run does', () => {
    expect(() => updatedLimits(undefined, { memory: '4m' })).toThrow(/^minimum memory limit allowed is 6MB$/)
    expect(() => updatedLimits(undefined, { cpus: '-1' })).toThrow(/invalid --cpus/)
    // Docker's range: a hundredth of a CPU to as many as this process may use
    const n = availableParallelism()
    for (const cpus of ['0.009', String(n + 0.5)]) {
      expect(() => updatedLimits(undefined, { cpus })).toThrow(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`)
    }
    expect(updatedLimits(undefined, { cpus: String(n) }).changed.cpu).toEqual({ period: 100_000, quota: n * 100_000 })
    expect(() => updatedLimits(undefined, { pidsLimit: 'x' })).toThrow(/invalid --pids-limit/)
    // Docker's CLI sends no pids limit for 0
    expect(updatedLimits(undefined, { pidsLimit: '0' }).changed).toEqual({})
    // --blkio-weight: 10 to 1000, 0 unchanged; the throttles a container has stay
    const throttled = { blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } }
    // written: the weight alone (the throttles' numbers are a start's to find again); kept: all of it
    expect(updatedLimits(throttled, { blkioWeight: '300' })).toEqual({
      changed: { blockIO: { weight: 300 } },
      merged: { blockIO: { weight: 300, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] } },
    })
    expect(updatedLimits(throttled, { blkioWeight: '0' }).changed).toEqual({})
    expect(() => updatedLimits(undefined, { blkioWeight: '5' })).toThrow('Range of blkio weight is from 10 to 1000')
  })

  it('checks the flags before any container: --memory-swap alone passes, a bad size or a pair that does not fit does not', () => {
    expect(() => checkUpdateFlags({ memorySwap: '-1' })).not.toThrow()
    expect(() => checkUpdateFlags({ memorySwap: 'lots' })).toThrow(/invalid --memory-swap "lots"/)
    expect(() => checkUpdateFlags({ memory: '4m' })).toThrow(/minimum memory limit allowed is 6MB/)
    expect(() => checkUpdateFlags({ memory: '64m', memorySwap: '32m' })).toThrow(/^minimum memory-swap limit should be larger than memory limit$/)
    expect(() => checkUpdateFlags({ pidsLimit: '0', cpuShares: '512' })).not.toThrow()
  })
})
