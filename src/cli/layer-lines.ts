/**
 * What `pull` and `push` show of their layers, one line per layer: on a
 * terminal all the lines redrawn in place (at most every REDRAW_MS while
 * bytes flow, at once on a change of status); otherwise one line per layer
 * when it is done, so that a log stays readable. Each view says what a line
 * reads and when a layer is done; this draws.
 */

/** How often a terminal display is redrawn at most. */
const REDRAW_MS = 100

export type ProgressOut = NodeJS.WritableStream & { isTTY?: boolean; columns?: number }

export class LayerLines<L extends { digest: string }> {
  layers: L[] = []
  private readonly reported = new Set<string>()
  private drawnLines = 0
  private lastDraw = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly out: ProgressOut,
    readonly tty: boolean,
    private readonly line: (layer: L) => string,
    private readonly done: (layer: L) => boolean,
  ) {}

  /** Something changed; `flowing`: only bytes moved (a redraw may wait). */
  changed(flowing: boolean): void {
    if (!this.tty) {
      for (const layer of this.layers) {
        if (this.done(layer) && !this.reported.has(layer.digest)) {
          this.reported.add(layer.digest)
          this.out.write(`${shortId(layer.digest)}: ${this.line(layer)}\n`)
        }
      }
      return
    }
    if (flowing && Date.now() - this.lastDraw < REDRAW_MS) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined
        this.draw()
      }, REDRAW_MS)
      return
    }
    this.draw()
  }

  finish(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.tty) this.draw()
  }

  private draw(): void {
    this.lastDraw = Date.now()
    const width = Math.max(20, (this.out.columns ?? 80) - 1)
    let text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : ''
    for (const layer of this.layers) text += `\r\x1b[2K${`${shortId(layer.digest)}: ${this.line(layer)}`.slice(0, width)}\n`
    this.drawnLines = this.layers.length
    this.out.write(text)
  }
}

export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1).slice(0, 12)
}

export function bar(done: number, total: number, width = 40): string {
  const filled = total > 0 ? Math.min(width, Math.floor((done / total) * width)) : width
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`
}

/** Decimal units with three significant digits, as Docker prints them: 2.22MB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? Math.round(value) : value.toPrecision(3)}${units[unit]}`
}
