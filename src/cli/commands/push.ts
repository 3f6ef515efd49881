import type { Command } from 'commander'
import type { LayerPushProgress, PushEvent } from '../../registry/push.js'
import { globalOptions } from '../global-options.js'
import { bar, formatBytes, shortId } from '../pull-progress.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface PushFlags {
  allTags?: boolean
  insecureRegistry: string[]
  quiet?: boolean
}

export async function pushImages(cmd: Command, image: string, flags: PushFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { pushImage }, { parseReference }] = await Promise.all([
    import('../../image/store.js'),
    import('../../registry/push.js'),
    import('../../image/reference.js'),
  ])
  const store = new ImageStore(root ? { root } : {})
  const ref = parseReference(image)
  let names = [ref.name]
  if (flags.allTags) {
    const { UsageError } = await import('../../errors.js')
    if (/:[^/]*$/.test(image) || ref.digest) throw new UsageError('--all-tags takes a repository without a tag')
    names = (await store.list()).filter((i) => i.repository === ref.repository && i.tag !== undefined).map((i) => i.name)
    if (names.length === 0) throw new UsageError(`no tag of ${ref.repository} in the store`)
  } else if (!flags.quiet && !/:[^/]*$/.test(image) && !ref.digest) {
    process.stdout.write(`Using default tag: ${ref.tag}\n`)
  }
  const out = process.stdout
  if (!flags.quiet) out.write(`The push refers to repository [${ref.repository}]\n`)
  for (const name of names) {
    const view = flags.quiet ? undefined : new PushProgressView(out)
    let result
    try {
      result = await pushImage(name, {
        store,
        insecureRegistries: flags.insecureRegistry,
        ...(view && { progress: (e: PushEvent) => view.update(e) }),
      })
    } finally {
      view?.finish()
    }
    if (flags.quiet) out.write(`${result.name}\n`)
    else {
      if (result.rewritten) process.stderr.write(`mini-run: note: pushed a new manifest naming the layer blobs this store holds; the image id is unchanged\n`)
      out.write(`${result.tag}: digest: ${result.manifestDigest} size: ${result.size}\n`)
    }
  }
}

export function register(program: Command): void {
  program
    .command('push')
    .description('upload an image to a registry')
    .argument('<image>', 'NAME[:TAG], e.g. localhost:5000/app:1.0')
    .option('-a, --all-tags', 'push every tag of the repository')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .option('-q, --quiet', 'print only the pushed name')
    .action((image: string, flags: PushFlags, cmd: Command) => pushImages(cmd, image, flags))
}

const REDRAW_MS = 100

/**
 * `docker push`'s display: layers top first; on a terminal one line each,
 * redrawn in place, otherwise one line per layer when it is done.
 */
export class PushProgressView {
  private layers: LayerPushProgress[] = []
  private readonly reported = new Set<string>()
  private drawnLines = 0
  private lastDraw = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly tty = out.isTTY === true,
  ) {}

  update(event: PushEvent): void {
    if (event.type === 'resolved') this.layers = [...event.layers].reverse()
    if (event.type === 'done') return
    if (!this.tty) {
      for (const layer of this.layers) {
        if (isFinal(layer) && !this.reported.has(layer.digest)) {
          this.reported.add(layer.digest)
          this.out.write(`${shortId(layer.digest)}: ${describe(layer)}\n`)
        }
      }
      return
    }
    const now = Date.now()
    if (event.type === 'layer' && event.layer.status === 'pushing' && now - this.lastDraw < REDRAW_MS) {
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
    for (const layer of this.layers) text += `\r\x1b[2K${`${shortId(layer.digest)}: ${describe(layer)}`.slice(0, width)}\n`
    this.drawnLines = this.layers.length
    this.out.write(text)
  }
}

function isFinal(layer: LayerPushProgress): boolean {
  return layer.status === 'exists' || layer.status === 'mounted' || layer.status === 'pushed'
}

function describe(layer: LayerPushProgress): string {
  switch (layer.status) {
    case 'waiting':
      return 'Waiting'
    case 'pushing':
      return layer.sent > 0 ? `Pushing  ${bar(layer.sent, layer.size)}  ${formatBytes(layer.sent)}/${formatBytes(layer.size)}` : 'Preparing'
    case 'exists':
      return 'Layer already exists'
    case 'mounted':
      return `Mounted from ${layer.mountedFrom ?? 'another repository'}`
    case 'pushed':
      return 'Pushed'
  }
}
