import type { Command } from 'commander'
import type { LayerProgress, PullEvent } from '../../registry/progress.js'
import { globalOptions } from '../global-options.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface PullFlags {
  platform?: string
  insecureRegistry: string[]
  quiet?: boolean
}

export function register(program: Command): void {
  program
    .command('pull')
    .description('download an image from a registry')
    .argument('<image>', 'NAME[:TAG|@DIGEST], e.g. busybox, localhost:5000/app:1')
    .option('--platform <os/arch[/variant]>', 'the platform to pull from a multi-platform image (default: the host\'s)')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .option('-q, --quiet', 'print only the image name')
    .action(async (image: string, flags: PullFlags, cmd: Command) => {
      const { root } = globalOptions(cmd)
      const [{ ImageStore }, { pullImage }, { parseReference, familiarRepository }] = await Promise.all([
        import('../../image/store.js'),
        import('../../registry/pull.js'),
        import('../../image/reference.js'),
      ])
      const ref = parseReference(image)
      const store = new ImageStore(root ? { root } : {})
      const out = process.stdout
      const view = flags.quiet ? undefined : new PullProgressView(out)
      if (view) {
        if (!ref.digest && !/:[^/]*$/.test(image)) out.write(`Using default tag: ${ref.tag}\n`)
        out.write(`${ref.digest ?? ref.tag}: Pulling from ${ref.path}\n`)
      }
      const before = await store.getRef(ref.name).catch(() => undefined)
      let result
      try {
        result = await pullImage(image, {
          store,
          ...(flags.platform !== undefined && { platform: flags.platform }),
          insecureRegistries: flags.insecureRegistry,
          progress: (e: PullEvent) => {
            if (e.type === 'warning') process.stderr.write(`WARNING: ${e.message}\n`)
            else view?.update(e)
          },
        })
      } finally {
        view?.finish()
      }
      if (view) {
        const upToDate = before === result.manifestDigest && result.layers.every((l) => l.existed)
        const short = familiarRepository(ref.repository) + (ref.digest ? `@${ref.digest}` : `:${ref.tag}`)
        out.write(`Digest: ${result.indexDigest ?? result.manifestDigest}\n`)
        out.write(`Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${short}\n`)
      }
      out.write(`${result.name}\n`)
    })
}

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
