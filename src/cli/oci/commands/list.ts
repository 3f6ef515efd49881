/** `list [--format table|json] [--quiet]`: the containers of the state root, as runc lists them. */
import type { Command } from 'commander'
import { MiniRunError } from '../../../errors.js'
import { listIds, OCI_VERSION, readRecord, statusOf } from '../../../oci/oci-state.js'
import { contextOf } from '../context.js'

export function register(program: Command): void {
  program
    .command('list')
    .description('list the containers')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-q, --quiet', 'ids only')
    .action((o: { format: string; quiet?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd)
      if (o.format !== 'table' && o.format !== 'json') throw new MiniRunError(`invalid --format ${JSON.stringify(o.format)}: use table or json`, { code: 'EUSAGE' })
      const rows = listIds(ctx.root).flatMap((id) => {
        try {
          const r = readRecord(ctx.root, id)
          const status = statusOf(ctx.root, r)
          return [{
            ociVersion: OCI_VERSION, id, pid: status === 'stopped' ? 0 : r.pid ?? 0, status, bundle: r.bundle, rootfs: r.rootfs,
            created: r.created, owner: r.owner, ...(r.annotations ? { annotations: r.annotations } : {}),
          }]
        } catch {
          return [] // removed meanwhile
        }
      })
      if (o.quiet) return void process.stdout.write(rows.map((r) => `${r.id}\n`).join(''))
      if (o.format === 'json') return void process.stdout.write(JSON.stringify(rows) + '\n')
      const table = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner])]
      const widths = table[0]!.map((_, c) => Math.max(12, ...table.map((row) => row[c]!.length + 3)))
      process.stdout.write(table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('') + '\n').join(''))
    })
}
