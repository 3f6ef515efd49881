import type { Command } from 'commander'
import type { PullEvent } from '../../registry/progress.js'
import { PullProgressView, pullDigestLine, pulledNew, pullStatusLine, pullSummary } from '../pull-progress.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { DISABLE_CONTENT_TRUST } from '../run-flag-specs.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface PullFlags {
  platform?: string
  insecureRegistry: string[]
  quiet?: boolean
  allTags?: boolean
}

export function register(program: Command): void {
  program
    .command('pull')
    .description('download an image from a registry')
    .argument('<image>', 'NAME[:TAG|@DIGEST], e.g. busybox, localhost:5000/app:1')
    .option('-a, --all-tags', 'download every tagged image of the repository')
    .option('--platform <os/arch[/variant]>', 'the platform to pull from a multi-platform image (default: the host\'s)')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .option('-q, --quiet', 'print only the image name')
    .option('--disable-content-trust', DISABLE_CONTENT_TRUST)
    .action(async (image: string, flags: PullFlags, cmd: Command) => {
      const { parseReference } = await import('../../image/reference.js')
      const ref = parseReference(image)
      if (!flags.allTags) {
        if (!flags.quiet && !ref.digest && !/:[^/]*$/.test(image)) process.stdout.write(`Using default tag: ${ref.tag}\n`)
        process.stdout.write(`${(await pullOne(image, flags, cmd, 'image')).name}\n`)
        return
      }
      // docker/cli's runPull: a name only, then each tag the registry lists, one after another
      const { UsageError } = await import('../../errors.js')
      if (ref.digest || /:[^/]*$/.test(image)) throw new UsageError("tag can't be used with --all-tags/-a")
      const { listTags } = await import('../../registry/tags.js')
      const tags = await listTags(image, { insecureRegistries: flags.insecureRegistry })
      // moby's pullRepository: a Digest line after each tag, one Status line for the repository, new if any tag was
      let downloaded = false
      for (const tag of tags) downloaded = (await pullOne(`${image}:${tag}`, flags, cmd, 'tag')).downloaded || downloaded
      const { familiarRepository } = await import('../../image/reference.js')
      if (!flags.quiet) process.stdout.write(pullStatusLine(familiarRepository(ref.repository), downloaded))
      process.stdout.write(`${ref.repository}\n`)
    })
}

/**
 * One image: its progress and summary unless quiet (a tag of pull -a: its
 * Digest line only), and its event; its name in the store, and whether
 * anything new came.
 */
async function pullOne(image: string, flags: PullFlags, cmd: Command, summary: 'image' | 'tag'): Promise<{ name: string; downloaded: boolean }> {
  const { root } = globalOptions(cmd)
  const [{ ImageStore }, { pullImage }, { parseReference, familiarRepository, familiarName }] = await Promise.all([
    import('../../image/store.js'),
    import('../../registry/pull.js'),
    import('../../image/reference.js'),
  ])
  const ref = parseReference(image)
  const store = new ImageStore(root ? { root } : {})
  const out = process.stdout
  const view = flags.quiet ? undefined : new PullProgressView(out, ref)
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
  if (view) out.write(summary === 'image' ? pullSummary(ref, result, before) : pullDigestLine(result))
  const { imageEvent } = await import('../../events/resource-events.js')
  imageEvent(stateRootOf(cmd), 'pull', familiarName(result.name), familiarRepository(ref.repository))
  return { name: result.name, downloaded: pulledNew(result, before) }
}
