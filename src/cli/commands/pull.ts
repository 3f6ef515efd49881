import type { Command } from 'commander'
import type { PullEvent } from '../../registry/progress.js'
import { PullProgressView, pullSummary } from '../pull-progress.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'
import { DISABLE_CONTENT_TRUST } from '../run-flag-specs.js'

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
    .option('--disable-content-trust', DISABLE_CONTENT_TRUST)
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
      const view = flags.quiet ? undefined : new PullProgressView(out, ref)
      if (view && !ref.digest && !/:[^/]*$/.test(image)) out.write(`Using default tag: ${ref.tag}\n`)
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
      if (view) out.write(pullSummary(ref, result, before))
      out.write(`${result.name}\n`)
      const { imageEvent } = await import('../../events/resource-events.js')
      const { familiarName } = await import('../../image/reference.js')
      imageEvent(stateRootOf(cmd), 'pull', familiarName(result.name), familiarRepository(ref.repository))
    })
}

