/**
 * `events [--stats] [--interval 5s] ID`: with --stats one stats event and
 * exit; otherwise a stats event every interval and an "oom" event when the
 * OOM killer strikes, one JSON object a line, until the container stops.
 */
import type { Command } from 'commander'
import { setTimeout as sleep } from 'node:timers/promises'
import { UsageError } from '../../../errors.js'
import { readRecord, statusOf } from '../../../oci/oci-state.js'
import { containerStats, oomKills } from '../../../oci/stats.js'
import { contextOf } from '../context.js'

export function register(program: Command): void {
  program
    .command('events')
    .description('print the container\'s resource usage and OOM events')
    .argument('<id>', 'the container id')
    .option('--stats', 'one stats event, then exit')
    .option('--interval <duration>', 'time between stats events (5s, 500ms)', '5s')
    .action(async (id: string, o: { stats?: boolean; interval: string }, cmd: Command) => {
      const ctx = contextOf(cmd)
      const rec = readRecord(ctx.root, id)
      const print = (e: object) => process.stdout.write(JSON.stringify(e) + '\n')
      if (o.stats) return void print({ type: 'stats', id, data: containerStats(rec) })
      const interval = duration(o.interval)
      let ooms = oomKills(rec)
      let next = Date.now()
      while (statusOf(ctx.root, rec) !== 'stopped') {
        const now = oomKills(rec)
        if (now > ooms) print({ type: 'oom', id })
        ooms = now
        if (Date.now() >= next) {
          print({ type: 'stats', id, data: containerStats(rec) })
          next = Date.now() + interval
        }
        await sleep(Math.min(interval, 200))
      }
    })
}

function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text)
  if (!m) throw new UsageError(`invalid --interval ${JSON.stringify(text)}: a duration such as 5s or 500ms`)
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000)
  if (ms <= 0) throw new UsageError('--interval must be positive')
  return ms
}
