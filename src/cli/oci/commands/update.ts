/** `update [--resources FILE|-] [--memory ...] ID`: new cgroup limits for a running container. */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { MiniRunError, UsageError } from '../../../errors.js'
import { ConfigError } from '../../../oci/config/fields.js'
import { readResources } from '../../../oci/config/resources.js'
import { updateContainer } from '../../../oci/update.js'
import { parseSize, type SpecResources } from '../../../runtime/cgroup/cgroup-limits.js'
import { contextOf, warnAll } from '../context.js'

interface Flags {
  resources?: string
  memory?: string
  memorySwap?: string
  memoryReservation?: string
  kernelMemory?: string
  kernelMemoryTcp?: string
  cpuShare?: string
  cpuQuota?: string
  cpuPeriod?: string
  cpuRtPeriod?: string
  cpuRtRuntime?: string
  cpusetCpus?: string
  cpusetMems?: string
  pidsLimit?: string
  blkioWeight?: string
}

export function register(program: Command): void {
  program
    .command('update')
    .description('update the cgroup limits of a running container')
    .argument('<id>', 'the container id')
    .option('-r, --resources <file>', 'linux.resources as JSON, from a file or - for stdin')
    .option('--memory <size>', 'memory limit (1g, 512m, -1 for none)')
    .option('--memory-swap <size>', 'memory plus swap limit (-1 for none)')
    .option('--memory-reservation <size>', 'memory soft limit')
    .option('--kernel-memory <size>', 'ignored: deprecated by the kernel')
    .option('--kernel-memory-tcp <size>', 'ignored: deprecated by the kernel')
    .option('--cpu-share <n>', 'CPU shares (relative weight)')
    .option('--cpu-quota <us>', 'CPU time per period, microseconds (-1: none)')
    .option('--cpu-period <us>', 'CPU period, microseconds')
    .option('--cpu-rt-period <us>', 'not supported')
    .option('--cpu-rt-runtime <us>', 'not supported')
    .option('--cpuset-cpus <list>', 'CPUs it may use (0-3,5)')
    .option('--cpuset-mems <list>', 'memory nodes it may use')
    .option('--pids-limit <n>', 'most tasks (0 or -1: none)')
    .option('--blkio-weight <n>', 'block I/O weight (10-1000)')
    .action((id: string, o: Flags, cmd: Command) => {
      const ctx = contextOf(cmd)
      const warnings: string[] = []
      let json: Record<string, unknown> = {}
      if (o.resources) {
        try {
          json = JSON.parse(readFileSync(o.resources === '-' ? 0 : o.resources, 'utf8')) as Record<string, unknown>
        } catch (err) {
          throw new MiniRunError(`--resources ${o.resources}: ${(err as Error).message}`, { cause: err })
        }
      }
      const r = withFlags(json, o)
      let resources: SpecResources | undefined
      try {
        resources = readResources(r, 'resources', warnings)
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message.replace(/^config\.json: /, 'update: '))
        throw err
      }
      warnAll(ctx, warnings)
      if (resources) updateContainer(ctx.root, id, resources)
    })
}

const size = (v: string, flag: string) => (v === '-1' ? -1 : parseSize(v, flag))
const int = (v: string, flag: string) => {
  if (!/^-?\d+$/.test(v)) throw new UsageError(`invalid ${flag} ${JSON.stringify(v)}: a number`)
  return Number(v)
}

/** The flags over the JSON, as runc's update applies them. */
function withFlags(json: Record<string, unknown>, o: Flags): Record<string, unknown> {
  const r = structuredClone(json)
  const section = (key: string) => ((r[key] ??= {}) as Record<string, unknown>)
  if (o.memory) section('memory').limit = size(o.memory, '--memory')
  if (o.memorySwap) section('memory').swap = size(o.memorySwap, '--memory-swap')
  if (o.memoryReservation) section('memory').reservation = size(o.memoryReservation, '--memory-reservation')
  if (o.kernelMemory) section('memory').kernel = size(o.kernelMemory, '--kernel-memory')
  if (o.kernelMemoryTcp) section('memory').kernelTCP = size(o.kernelMemoryTcp, '--kernel-memory-tcp')
  if (o.cpuShare) section('cpu').shares = int(o.cpuShare, '--cpu-share')
  if (o.cpuQuota) section('cpu').quota = int(o.cpuQuota, '--cpu-quota')
  if (o.cpuPeriod) section('cpu').period = int(o.cpuPeriod, '--cpu-period')
  if (o.cpuRtPeriod) section('cpu').realtimePeriod = int(o.cpuRtPeriod, '--cpu-rt-period')
  if (o.cpuRtRuntime) section('cpu').realtimeRuntime = int(o.cpuRtRuntime, '--cpu-rt-runtime')
  if (o.cpusetCpus) section('cpu').cpus = o.cpusetCpus
  if (o.cpusetMems) section('cpu').mems = o.cpusetMems
  if (o.pidsLimit) section('pids').limit = int(o.pidsLimit, '--pids-limit')
  if (o.blkioWeight) section('blockIO').weight = int(o.blkioWeight, '--blkio-weight')
  return r
}
