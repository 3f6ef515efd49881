/** `ps [--format table|json] ID [-- PS-ARGS]`: the container's processes; the table is ps(1)'s (-ef by default), filtered. */
import { execFileSync } from 'node:child_process'
import type { Command } from 'commander'
import { MiniRunError } from '../../../errors.js'
import { containerPids } from '../../../oci/container-procs.js'
import { readRecord } from '../../../oci/oci-state.js'
import { contextOf } from '../context.js'

export function register(program: Command): void {
  program
    .command('ps')
    .description('list the processes of a container')
    .argument('<id>', 'the container id')
    .argument('[ps-args...]', 'options for ps(1) (default -ef)')
    .option('-f, --format <format>', 'table or json', 'table')
    .passThroughOptions()
    .action((id: string, psArgs: string[], o: { format: string }, cmd: Command) => {
      const ctx = contextOf(cmd)
      const pids = containerPids(readRecord(ctx.root, id))
      if (o.format === 'json') return void process.stdout.write(JSON.stringify(pids) + '\n')
      if (o.format !== 'table') throw new MiniRunError(`invalid --format ${JSON.stringify(o.format)}: use table or json`, { code: 'EUSAGE' })
      const out = execFileSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' }).split('\n')
      const column = (out[0] ?? '').trim().split(/\s+/).indexOf('PID')
      if (column < 0) throw new MiniRunError('ps printed no PID column', { code: 'EUSAGE' })
      const wanted = new Set(pids.map(String))
      const lines = [out[0]!, ...out.slice(1).filter((l) => wanted.has(l.trim().split(/\s+/)[column] ?? ''))]
      process.stdout.write(lines.join('\n') + '\n')
    })
}
