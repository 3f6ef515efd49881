import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { formatTable, timeAgo } from './images.js'
import { humanSize } from '../format/units.js'

interface HistoryFlags {
  human: boolean
  trunc: boolean
  quiet?: boolean
}

/** Docker's stringutils.Ellipsis: at most `max` characters, the last one "…" when cut. */
function ellipsis(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…'
}

export async function showHistory(cmd: Command, ref: string, flags: HistoryFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { imageHistory }] = await Promise.all([import('../../image/store.js'), import('../../image/image-history.js')])
  const rows = await imageHistory(new ImageStore(root ? { root } : {}), ref)
  const id = (digest: string | undefined): string => (digest === undefined ? '<missing>' : flags.trunc ? digest.slice(7, 19) : digest)
  if (flags.quiet) {
    process.stdout.write(rows.map((r) => `${id(r.id)}\n`).join(''))
    return
  }
  const table = [['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']]
  for (const r of rows) {
    const createdBy = r.createdBy.replace(/\t/g, ' ')
    table.push([
      id(r.id),
      flags.human ? timeAgo(r.created) : (r.created ?? ''),
      flags.trunc ? ellipsis(createdBy, 45) : createdBy,
      flags.human ? humanSize(r.size) : String(r.size),
      r.comment,
    ])
  }
  process.stdout.write(formatTable(table))
}

export function register(program: Command): void {
  program
    .command('history')
    .description('show the steps that made an image, newest first')
    .argument('<image>')
    .option('-H, --human', 'sizes and dates in human-readable form (the default)', true)
    .option('--no-human', 'exact sizes and dates')
    .option('--no-trunc', 'do not truncate the output')
    .option('-q, --quiet', 'print the image ids only')
    .action((ref: string, flags: HistoryFlags, cmd: Command) => showHistory(cmd, ref, flags))
}
