import type { Command } from 'commander'
import { globalOptions } from '../global-options.js'
import { timeAgo } from './images.js'
import { humanSize } from '../format/units.js'
import { writeStdout } from '../write-stdout.js'
import { localRfc3339 } from '../local-time.js'

interface HistoryFlags {
  human: boolean
  trunc: boolean
  quiet?: boolean
  format?: string
}

/** Docker's columns (docker/cli cli/command/image/formatter_history.go), and with --no-human. */
const HISTORY_TABLE = '{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
const HISTORY_EXACT_TABLE = '{{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'

const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
}

/** Docker's stringutils.Ellipsis: at most `max` characters, the last one "…" when cut. */
function ellipsis(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…'
}

/**
 * Go's time.RFC3339 of the whole second in the local zone, as Docker's
 * CreatedAt prints the API's Unix time: "2024-05-01T10:00:00Z".
 */
function rfc3339(iso: string | undefined): string {
  const d = new Date(iso ?? NaN)
  return Number.isNaN(d.getTime()) ? '' : localRfc3339(d)
}

/**
 * Docker's NewHistoryFormat: `table` (the default) is the ids alone with
 * -q, the exact columns with --no-human; any other --format is used as
 * given, -q or not.
 */
function historyFormat(flags: HistoryFlags): string {
  const format = flags.format === undefined || flags.format === '' ? 'table' : flags.format
  if (format !== 'table') return format
  if (flags.quiet) return '{{.ID}}'
  return `table ${flags.human ? HISTORY_TABLE : HISTORY_EXACT_TABLE}`
}

export async function showHistory(cmd: Command, ref: string, flags: HistoryFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { imageHistory }, { formatList }] = await Promise.all([
    import('../../image/store.js'),
    import('../../image/image-history.js'),
    import('../format/format-list.js'),
  ])
  const history = await imageHistory(new ImageStore(root ? { root } : {}), ref)
  // keys sorted, as Docker marshals its context for {{json .}}
  const rows = history.map((r) => {
    const createdBy = r.createdBy.replace(/\t/g, ' ')
    const createdAt = rfc3339(r.created)
    return {
      Comment: r.comment,
      CreatedAt: createdAt,
      CreatedBy: flags.trunc ? ellipsis(createdBy, 45) : createdBy,
      CreatedSince: flags.human ? timeAgo(r.created) : createdAt,
      ID: r.id === undefined ? '<missing>' : flags.trunc ? r.id.slice(7, 19) : r.id,
      Size: flags.human ? humanSize(r.size) : String(r.size),
    }
  })
  writeStdout(formatList(historyFormat(flags), rows, { defaultTable: HISTORY_TABLE, headers: HISTORY_HEADERS }))
}

/** The flags of `history` and `image history`. */
export function addHistoryFlags(cmd: Command): Command {
  return cmd
    .argument('<image>')
    .option('-H, --human', 'sizes and dates in human-readable form (the default)', true)
    .option('--no-human', 'exact sizes and dates')
    .option('--no-trunc', 'do not truncate the output')
    .option('-q, --quiet', 'print the image ids only')
    .option('--format <template>', 'table, table TEMPLATE, json, or a Go template: {{.ID}} {{.CreatedSince}} {{.CreatedBy}} {{.Size}}...')
}

export function register(program: Command): void {
  addHistoryFlags(program.command('history').description('show the steps that made an image, newest first')).action(
    (ref: string, flags: HistoryFlags, cmd: Command) => showHistory(cmd, ref, flags),
  )
}
