import type { LayerProgress, PullEvent } from '../registry/progress.js'
import { bar, formatBytes, LayerLines, type ProgressOut } from './layer-lines.js'

/**
 * `docker pull`'s display (layer-lines.ts): bytes, bar and rate while a
 * layer downloads, its size and time once done on a log. Writes to `out`
 * only: `run --pull` passes stderr.
 */
export class PullProgressView {
  private readonly started = new Map<string, number>()
  private readonly lines: LayerLines<LayerProgress>

  constructor(out: ProgressOut, tty = out.isTTY === true) {
    this.lines = new LayerLines(out, tty, (layer) => this.describe(layer), (layer) => layer.status === 'complete' || layer.status === 'exists')
  }

  update(event: PullEvent): void {
    if (event.type === 'resolved') this.lines.layers = event.layers
    const flowing = event.type === 'layer' && event.layer.status === 'downloading'
    if (flowing && !this.started.has(event.layer.digest)) this.started.set(event.layer.digest, Date.now())
    this.lines.changed(flowing)
  }

  finish(): void {
    this.lines.finish()
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
        if (this.lines.tty) return 'Pull complete'
        return `Pull complete (${formatBytes(layer.size)}${elapsed > 0 ? ` in ${elapsed.toFixed(1)}s, ${rate}` : ''})`
    }
  }
}
