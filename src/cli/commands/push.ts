import type { Command } from 'commander'
import { stateRootOf } from '../state-root.js'
import type { LayerPushProgress, PushEvent, PushResult } from '../../registry/push.js'
import type { ImageStore } from '../../image/store.js'
import { globalOptions } from '../global-options.js'
import { bar, formatBytes, LayerLines, type ProgressOut } from '../layer-lines.js'
import { DISABLE_CONTENT_TRUST } from '../run-flag-specs.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface PushFlags {
  allTags?: boolean
  insecureRegistry: string[]
  quiet?: boolean
}

export async function pushImages(cmd: Command, image: string, flags: PushFlags): Promise<void> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { parseReference }] = await Promise.all([import('../../image/store.js'), import('../../image/reference.js')])
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
  if (!flags.quiet) process.stdout.write(`The push refers to repository [${ref.repository}]\n`)
  for (const name of names) {
    const result = await pushNamed(cmd, store, name, { insecureRegistries: flags.insecureRegistry, show: !flags.quiet })
    if (flags.quiet) process.stdout.write(`${result.name}\n`)
  }
}

/** One name pushed, its layers and its digest line shown (`show`), its event said (push, and build --push). */
export async function pushNamed(cmd: Command, store: ImageStore, name: string, o: { insecureRegistries: string[]; show: boolean }): Promise<PushResult> {
  const out = process.stdout
  const view = o.show ? new PushProgressView(out) : undefined
  const { pushImage } = await import('../../registry/push.js')
  let result
  try {
    result = await pushImage(name, {
      store,
      insecureRegistries: o.insecureRegistries,
      ...(view && { progress: (e: PushEvent) => view.update(e) }),
    })
  } finally {
    view?.finish()
  }
  if (o.show) {
    if (result.rewritten) process.stderr.write(`mini-run: note: pushed a new manifest naming the layer blobs this store holds; the image id is unchanged\n`)
    out.write(`${result.tag}: digest: ${result.manifestDigest} size: ${result.size}\n`)
  }
  const [{ imageEvent }, { familiarName, familiarRepository, parseReference }] = await Promise.all([import('../../events/resource-events.js'), import('../../image/reference.js')])
  imageEvent(stateRootOf(cmd), 'push', familiarName(name), familiarRepository(parseReference(name).repository))
  return result
}

export function register(program: Command): void {
  program
    .command('push')
    .description('upload an image to a registry')
    .argument('<image>', 'NAME[:TAG], e.g. localhost:5000/app:1.0')
    .option('-a, --all-tags', 'push every tag of the repository')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .option('-q, --quiet', 'print only the pushed name')
    .option('--disable-content-trust', DISABLE_CONTENT_TRUST)
    .action((image: string, flags: PushFlags, cmd: Command) => pushImages(cmd, image, flags))
}

/** `docker push`'s display (layer-lines.ts): layers top first. */
export class PushProgressView {
  private readonly lines: LayerLines<LayerPushProgress>

  constructor(out: ProgressOut, tty = out.isTTY === true) {
    this.lines = new LayerLines(out, tty, describe, isFinal)
  }

  update(event: PushEvent): void {
    if (event.type === 'resolved') this.lines.layers = [...event.layers].reverse()
    if (event.type === 'done') return
    this.lines.changed(event.type === 'layer' && event.layer.status === 'pushing')
  }

  finish(): void {
    this.lines.finish()
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
