/** `update [OPTIONS] CONTAINER...`: new limits and restart policy, as `docker update`. */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { eachContainer } from '../each-ref.js'
import { stateRootOf } from '../state-root.js'

interface Flags {
  memory?: string
  memorySwap?: string
  pidsLimit?: string
  cpus?: string
  cpuShares?: string
  cpuPeriod?: string
  cpuQuota?: string
  cpusetCpus?: string
  cpusetMems?: string
  memoryReservation?: string
  blkioWeight?: string
  restart?: string
}

export function register(program: Command): void {
  program
    .command('update')
    .description('change the resource limits and restart policy of containers, at once for a running one')
    .argument('<container...>')
    .option('-m, --memory <bytes>', 'memory limit (e.g. 32m, 1g)')
    .option('--memory-swap <bytes>', 'memory plus swap limit; -1 for unlimited swap')
    .option('--pids-limit <n>', 'maximum number of tasks (-1 for unlimited)')
    .option('--cpus <n>', 'number of CPUs, e.g. 0.5')
    .option('-c, --cpu-shares <n>', 'relative CPU weight (1024 = default)')
    .option('--cpu-period <us>', 'the CFS period in microseconds (1000-1000000)')
    .option('--cpu-quota <us>', 'microseconds of CPU time per period (-1: unlimited)')
    .option('--cpuset-cpus <list>', 'the CPUs it may run on, e.g. 0-2,4')
    .option('--cpuset-mems <list>', 'the memory nodes it may use, e.g. 0')
    .option('--memory-reservation <bytes>', 'a soft limit the kernel reclaims down to under memory pressure')
    .option('--blkio-weight <n>', 'relative block I/O weight, 10 to 1000 (0: unchanged)')
    .option('--restart <policy>', 'restart policy: no, on-failure[:max-retries], always, unless-stopped')
    .action(async (refs: string[], flags: Flags, cmd: Command) => {
      const { restart, ...given } = flags
      // a value Docker's flag parser refuses: 125, before anything else is looked at
      const { parseUpdateFlagValues } = await import('../update-flag-values.js')
      const resources = parseUpdateFlagValues(given)
      // Docker's CLI: update with nothing to change is refused before any container is looked at
      if (restart === undefined && Object.values(resources).every((v) => v === undefined)) {
        throw new UsageError('you must provide one or more flags when using this command')
      }
      const { parseRestartPolicy } = await import('../../runtime/container/restart-policy.js')
      const { checkUpdateFlags } = await import('../../runtime/cgroup/update-limits.js')
      const policy = restart !== undefined ? parseRestartPolicy(restart) : undefined
      // each value checked once, whatever the containers: a bad one changes none of them
      checkUpdateFlags(resources)
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { updateContainer } = await import('../../runtime/container/update-container.js')
      const warnings: string[] = []
      try {
        await eachContainer(refs, async (ref) => {
          warnings.push(...updateContainer(stateRoot, findContainer(stateRoot, ref), { resources, ...(policy ? { restart: policy } : {}) }))
          process.stdout.write(`${ref}\n`)
        })
      } finally {
        // the daemon's warnings after the names, on stdout, as docker/cli's update prints them
        if (warnings.length) process.stdout.write(`${warnings.join('\n')}\n`)
      }
    })
}
