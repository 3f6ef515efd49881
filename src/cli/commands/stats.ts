import type { Command } from 'commander'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import { setTimeout as sleep } from 'node:timers/promises'
import { bytesSize, humanSize } from '../format/units.js'
import { stateRootOf } from '../state-root.js'

export interface StatsFlags {
  all?: boolean
  stream: boolean
  format?: string
  trunc: boolean
}

const HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
}
export const STATS_TABLE = '{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}'
/** Between the two samples a CPU percentage needs. */
const SAMPLE_MS = 500

export function register(program: Command): void {
  program
    .command('stats')
    .description('live resource use of containers: CPU, memory, network and block I/O, pids (from the cgroup, else /proc)')
    .argument('[container...]')
    .option('-a, --all', 'show all containers (default: running ones)')
    .option('--no-stream', 'print one result and exit')
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.Name}} {{.CPUPerc}} {{.MemUsage}}...')
    .option('--no-trunc', 'do not truncate ids')
    .action(async (refs: string[], flags: StatsFlags, cmd: Command) => {
      const stateRoot = stateRootOf(cmd)
      const { findContainer, listContainers } = await import('../../runtime/container/containers.js')
      const pick = refs.length
        ? (last?: ContainerInfo[]) => (last ? last.map((c) => findContainer(stateRoot, c.id)) : refs.map((r) => findContainer(stateRoot, r)))
        : () => listContainers(stateRoot).filter((c) => flags.all || c.status === 'running')
      // the CONTAINER column: what the user named it by, else its short id
      const label = (c: ContainerInfo) => (refs.length ? (refs.find((r) => findContainer(stateRoot, r).id === c.id) ?? c.id.slice(0, 12)) : c.id.slice(0, 12))
      await showStats(pick, label, flags)
    })
}

/**
 * stats' view (compose stats's too): `pick` gives the containers at each
 * sample, given the last ones when the set is fixed; one table with
 * --no-stream, else a table every second.
 */
export async function showStats(pick: (last?: ContainerInfo[]) => ContainerInfo[], label: (c: ContainerInfo) => string, flags: StatsFlags): Promise<void> {
  const { cpuPercent, sampleStats } = await import('../../runtime/container/container-stats.js')
  const { formatList } = await import('../format/format-list.js')
  let containers = pick()
  const previous = new Map(containers.map((c) => [c.id, sampleStats(c)]))
  for (;;) {
    await sleep(flags.stream ? 1000 : SAMPLE_MS)
    containers = pick(containers)
    const rows = containers.map((c) => {
      const cur = sampleStats(c)
      const prev = previous.get(c.id) ?? cur
      previous.set(c.id, cur)
      const running = c.status === 'running'
      const cpu = running ? cpuPercent(prev, cur) : 0
      const mem = running ? cur.memoryBytes : 0
      return {
        Container: label(c),
        ID: flags.trunc ? c.id.slice(0, 12) : c.id,
        Name: running ? c.name : '--',
        CPUPerc: `${cpu.toFixed(2)}%`,
        MemUsage: `${bytesSize(mem)} / ${bytesSize(running ? cur.memoryLimit : 0)}`,
        MemPerc: `${(cur.memoryLimit > 0 && running ? (mem / cur.memoryLimit) * 100 : 0).toFixed(2)}%`,
        NetIO: `${humanSize(cur.netRx)} / ${humanSize(cur.netTx)}`,
        BlockIO: `${humanSize(cur.blockRead)} / ${humanSize(cur.blockWrite)}`,
        PIDs: String(running ? cur.pids : 0),
      }
    })
    const out = formatList(flags.format, rows, { defaultTable: STATS_TABLE, headers: HEADERS })
    // a live view redraws in place, as Docker's does
    process.stdout.write(flags.stream && process.stdout.isTTY ? `\x1b[2J\x1b[H${out}` : out)
    if (!flags.stream) return
  }
}
