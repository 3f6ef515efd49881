/**
 * runc's --log FILE and --log-format text|json. containerd's shim passes
 * both and, when a command fails, reads the file's last `"level":"error"`
 * line for the message it reports (go-runc decodes each line into
 * {level, msg, time}: level a name, time RFC 3339). The json format is
 * pino's, shaped that way; text is logrus's `time="..." level=... msg="..."`
 * in a file, and mini-run's one-line messages on stderr, where the records
 * go without --log. Debug records only with --debug.
 */
import { appendFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type pino from 'pino'
import { UsageError } from '../../errors.js'

export interface OciLog {
  error(msg: string): void
  warn(msg: string): void
  info(msg: string): void
  debug(msg: string): void
  /** Whether records go to stderr (then the CLI need not print an error twice). */
  readonly toStderr: boolean
}

export interface OciLogOptions {
  file?: string
  format?: string
  debug?: boolean
}

type Level = 'error' | 'warn' | 'info' | 'debug'

export function openOciLog(o: OciLogOptions): OciLog {
  const format = o.format ?? 'text'
  if (format !== 'text' && format !== 'json') throw new UsageError(`invalid --log-format ${JSON.stringify(format)}: use text or json`)
  const min = o.debug ? 0 : 1
  const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }
  const write = format === 'json' ? jsonWriter(o.file) : textWriter(o.file)
  const at = (level: Level) => (msg: string) => {
    if (rank[level] >= min) write(level, msg)
  }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), toStderr: o.file === undefined }
}

/** logrus's text lines in a file; on stderr, for people, mini-run's own: "mini-run: warning: ...". */
function textWriter(file: string | undefined): (level: Level, msg: string) => void {
  return (level, msg) => {
    if (file) appendFileSync(file, `time="${new Date().toISOString()}" level=${level === 'warn' ? 'warning' : level} msg=${JSON.stringify(msg)}\n`)
    else process.stderr.write(`mini-run: ${level === 'error' ? '' : `${level === 'warn' ? 'warning' : level}: `}${msg}\n`)
  }
}

function jsonWriter(file: string | undefined): (level: Level, msg: string) => void {
  let logger: pino.Logger | undefined
  return (level, msg) => {
    if (!logger) {
      const create = createRequire(import.meta.url)('pino') as typeof pino
      logger = create(
        {
          base: undefined,
          level: 'debug',
          // logrus's names and an RFC 3339 time: go-runc decodes these
          formatters: { level: (label) => ({ level: label === 'warn' ? 'warning' : label }) },
          timestamp: create.stdTimeFunctions.isoTime,
        },
        create.destination({ dest: file ?? 2, append: true, sync: true, mkdir: false }),
      )
    }
    logger[level](msg)
  }
}
