import type { LayerProgress, PullEvent } from '../registry/progress.js'

/** How often a terminal display is redrawn at most. */
const REDRAW_MS = 100

/**
 * `docker pull`'s display. On a terminal, one line per layer redrawn in place
 * (bytes, bar, rate); otherwise one line per layer when it is done, so a log
 * stays readable. Writes to `out` only: `run --pull` passes stderr.
 */
export class PullProgressView {
  private layers: LayerProgress[] = []
  private readonly started = new Map<string, number>()
  private readonly reported = new Set<string>()
  private drawnLines = 0
  private lastDraw = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly tty = out.isTTY === true,
  ) {}

  update(event: PullEvent): void {
    if (event.type === 'resolved') this.layers = event.layers
    if (event.type === 'layer' && event.layer.status === 'downloading' && !this.started.has(event.layer.digest)) {
      this.started.set(event.layer.digest, Date.now())
    }
    if (!this.tty) {
      for (const layer of this.layers) {
        if ((layer.status === 'complete' || layer.status === 'exists') && !this.reported.has(layer.digest)) {
          this.reported.add(layer.digest)
          this.out.write(`${shortId(layer.digest)}: ${this.describe(layer)}\n`)
        }
      }
      return
    }
    // Redraw at most every REDRAW_MS, but always on a change of status.
    const now = Date.now()
    if (event.type === 'layer' && event.layer.status === 'downloading' && now - this.lastDraw < REDRAW_MS) {
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
    for (const layer of this.layers) {
      text += `\r\x1b[2K${`${shortId(layer.digest)}: ${this.describe(layer)}`.slice(0, width)}\n`
    }
    this.drawnLines = this.layers.length
    this.out.write(text)
  }

  private describe(layer: LayerProgress): string {
    const elapsed = (Date.now() - (this.started.get(layer.digest) ?? Date.now())) / 1000
    const rate = elapsed > 0 ? `${formatBytes(layer.received / elapsed)}/s` : ''
    switch (layer.status) {
      case 'waiting':
        return 'Waiting'
      case 'exists':
        return 'Already exists'
      case 'downloading':
        return `Downloading  ${bar(layer.received, layer.size)}  ${formatBytes(layer.received)}/${formatBytes(layer.size)}  ${rate}`
      case 'verified':
        return 'Download complete' // and unpacked as it came; committed once every layer is verified
      case 'complete':
        if (this.tty) return 'Pull complete'
        return `Pull complete (${formatBytes(layer.size)}${elapsed > 0 ? ` in ${elapsed.toFixed(1)}s, ${rate}` : ''})`
    }
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
