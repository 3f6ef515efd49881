import { familiarRepository, type Reference } from '../image/reference.js'
import type { LayerProgress, PullEvent } from '../registry/progress.js'
import type { PullResult } from '../registry/pull.js'
import { bar, formatBytes, LayerLines, type ProgressOut } from './layer-lines.js'

/**
 * `docker pull`'s display (layer-lines.ts): "TAG: Pulling from REPO" once the
 * registry has answered with a manifest (not before a 404, as Docker's
 * puller says it after its manifest request), then bytes, bar and rate while
 * a layer downloads, its size and time once done on a log. Writes to `out`
 * only: `run --pull` passes stderr.
 */
export class PullProgressView {
  private readonly started = new Map<string, number>()
  private readonly lines: LayerLines<LayerProgress>
  private heading: string | undefined

  constructor(
    private readonly out: ProgressOut,
    ref?: Reference,
    tty = out.isTTY === true,
  ) {
    this.heading = ref && `${ref.digest ?? ref.tag}: Pulling from ${ref.path}\n`
    this.lines = new LayerLines(out, tty, (layer) => this.describe(layer), (layer) => layer.status === 'complete' || layer.status === 'exists')
  }

  update(event: PullEvent): void {
    if (event.type === 'resolved' && this.heading !== undefined) {
      this.out.write(this.heading)
      this.heading = undefined
    }
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

/**
 * Docker's last lines of a pull: the digest the registry has the image by,
 * and whether anything new came (`before`: the manifest the name had).
 */
export function pullSummary(ref: Reference, result: PullResult, before: string | undefined): string {
  const short = familiarRepository(ref.repository) + (ref.digest ? `@${ref.digest}` : `:${ref.tag}`)
  return `${pullDigestLine(result)}${pullStatusLine(short, pulledNew(result, before))}`
}

/** The digest the registry has the image by: Docker's line after each image of a pull, each tag's of pull -a. */
export function pullDigestLine(result: PullResult): string {
  return `Digest: ${result.indexDigest ?? result.manifestDigest}\n`
}

/** Anything new came: a layer, or the name now names another manifest than `before`. */
export function pulledNew(result: PullResult, before: string | undefined): boolean {
  return before !== result.manifestDigest || !result.layers.every((l) => l.existed)
}

/** Docker's one Status line of a pull (moby's writeStatus): of the image, or of the repository after pull -a's tags. */
export function pullStatusLine(name: string, downloaded: boolean): string {
  return `Status: ${downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${name}\n`
}
