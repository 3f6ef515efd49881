/**
 * A hook's output, as Docker Compose handles it (pkg/compose/hook.go,
 * pkg/utils/writer.go): every line shown as it comes, stdout's and
 * stderr's alike, the partial last one when the hook ends; and, for the
 * error of a hook that fails, the last lines of each stream kept apart,
 * bounded so that a chatty hook costs nothing.
 */
import { StringDecoder } from 'node:string_decoder'

/** The lines and bytes a failing hook's error keeps, as hook.go's tail does. */
export const TAIL_LINES = 10
export const TAIL_BYTES = 2048

/** Text cut into lines as it arrives: each whole line to `onLine`, the rest at `end()`. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8')
  private partial = ''

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk)
    const parts = text.split('\n')
    this.partial = parts.pop()!
    for (const line of parts) this.onLine(line)
  }

  end(): void {
    const rest = this.partial + this.decoder.end()
    this.partial = ''
    if (rest !== '') this.onLine(rest)
  }
}

/**
 * The last lines of one stream: at most TAIL_LINES, blank ones skipped; a
 * line's trailing `\r` dropped and, of a progress bar's `\r`-rewound line,
 * only what follows the last `\r`; the unfinished last line kept too, its
 * first TAIL_BYTES only; the whole at most TAIL_BYTES, its newest end.
 */
export class OutputTail {
  private readonly lines: string[] = []
  private partial = ''

  write(line: string, whole: boolean): void {
    if (!whole) {
      this.partial = (this.partial + line).slice(0, TAIL_BYTES)
      return
    }
    const text = (this.partial + line).slice(0, TAIL_BYTES).replace(/\r+$/, '')
    this.partial = ''
    const shown = text.slice(text.lastIndexOf('\r') + 1)
    if (shown.trim() === '') return
    this.lines.push(shown)
    if (this.lines.length > TAIL_LINES) this.lines.shift()
  }

  toString(): string {
    const partial = this.partial.trim()
    const out = [...this.lines, ...(partial ? [partial] : [])].join('\n').trim()
    return out.length > TAIL_BYTES ? out.slice(out.length - TAIL_BYTES) : out
  }
}

/** One stream of a hook: each line to `show` as it comes, and into its tail. */
export class HookStream {
  readonly tail = new OutputTail()
  private readonly splitter: LineSplitter
  private ended = false

  constructor(show: (line: string) => void) {
    this.splitter = new LineSplitter((line) => {
      show(line)
      this.tail.write(line, !this.ended)
    })
  }

  write(chunk: Buffer): void {
    this.splitter.write(chunk)
  }

  /** The stream's end: its unfinished last line shown, and kept as the tail's partial line. */
  end(): void {
    this.ended = true
    this.splitter.end()
  }
}
