import type { Command } from 'commander'

const collect = (value: string, previous: string[]) => [...previous, value]

interface InspectFlags {
  verbose?: boolean
  insecure?: boolean
  insecureRegistry: string[]
}

/**
 * `manifest`, Docker's: inspect (a local list first, then the registry:
 * registry/manifest-inspect.ts), and create, annotate, push and rm of the
 * local manifest lists Docker's CLI keeps (registry/manifest-lists.ts).
 */
export function register(program: Command): void {
  const manifest = program.command('manifest').description('manage Docker image manifests and manifest lists')
  manifest
    .command('inspect')
    .description('display an image manifest, or manifest list: a local one first, else from its registry')
    .usage('[options] [MANIFEST_LIST] MANIFEST')
    .argument('<refs...>')
    .option('-v, --verbose', 'output additional info including layers and platform')
    .option('--insecure', "allow plain HTTP and any TLS certificate for the image's registry")
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .action(async (refs: string[], flags: InspectFlags) => {
      const [{ UsageError }, { parseReference }, lists, inspect] = await Promise.all([import('../../errors.js'), import('../../image/reference.js'), import('../../registry/manifest-lists.js'), import('../../registry/manifest-inspect.js')])
      if (refs.length > 2) throw new UsageError('"manifest inspect" requires at least 1 and at most 2 arguments')
      const verbose = flags.verbose === true
      const store = new lists.ManifestLists()
      const ref = refs[refs.length - 1]!
      const name = lists.listName(ref)
      if (refs.length === 2) {
        // a manifest of a local list (docker manifest create)
        const record = store.get(lists.listName(refs[0]!), name)
        if (!record) throw new lists.NoSuchManifestError(name)
        return void process.stdout.write(verbose ? `${inspect.recordText(record, '')}\n` : inspect.manifestText(record))
      }
      const local = store.list(name)
      if (local) {
        if (verbose) return void process.stdout.write(inspect.recordsText(local))
        const domain = parseReference(ref).domain
        for (const r of local) {
          const own = parseReference(r.ref).domain
          if (own !== domain) throw new UsageError(`failed to assemble ManifestDescriptor: cannot use source images from a different registry than the target image: ${own} != ${domain}`)
        }
        return void process.stdout.write(`${inspect.listDocument(local)}\n`)
      }
      process.stdout.write(await inspect.inspectManifest(ref, { verbose, insecureRegistries: insecureFor(ref, flags, parseReference) }))
    })
  manifest
    .command('create')
    .description('create a local manifest list for annotating and pushing to a registry')
    .usage('[options] MANIFEST_LIST MANIFEST [MANIFEST...]')
    .argument('<list>')
    .argument('<manifests...>')
    .option('-a, --amend', 'amend an existing manifest list')
    .option('--insecure', 'allow communication with an insecure registry')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .action(async (list: string, manifests: string[], flags: InspectFlags & { amend?: boolean }) => {
      const [{ parseReference }, { createList }] = await Promise.all([import('../../image/reference.js'), import('../../registry/manifest-lists.js')])
      const insecureRegistries = [...new Set(manifests.flatMap((m) => insecureFor(m, flags, parseReference)))]
      const name = await createList(list, manifests, { amend: flags.amend === true, insecureRegistries })
      process.stdout.write(`Created manifest list ${name}\n`)
    })
  manifest
    .command('annotate')
    .description('add additional information to a local image manifest')
    .usage('[options] MANIFEST_LIST MANIFEST')
    .argument('<list>')
    .argument('<manifest>')
    .option('--os <os>', 'set operating system')
    .option('--arch <arch>', 'set architecture')
    .option('--os-version <version>', 'set operating system version')
    .option('--os-features <features>', 'set operating system feature (comma-separated, repeatable)', (v: string, p: string[]) => [...p, ...v.split(',')], [])
    .option('--variant <variant>', 'set architecture variant')
    .action(async (list: string, image: string, flags: { os?: string; arch?: string; osVersion?: string; osFeatures: string[]; variant?: string }) => {
      const { annotate } = await import('../../registry/manifest-lists.js')
      annotate(list, image, flags)
    })
  manifest
    .command('push')
    .description('push a manifest list to a repository')
    .usage('[options] MANIFEST_LIST')
    .argument('<list>')
    .option('-p, --purge', 'remove the local manifest list after push')
    .option('--insecure', 'allow push to an insecure registry')
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .action(async (list: string, flags: InspectFlags & { purge?: boolean }) => {
      const [{ parseReference }, { pushList }] = await Promise.all([import('../../image/reference.js'), import('../../registry/manifest-lists.js')])
      const out = (line: string) => void process.stdout.write(`${line}\n`)
      out(await pushList(list, { purge: flags.purge === true, insecureRegistries: insecureFor(list, flags, parseReference), out }))
    })
  manifest
    .command('rm')
    .description('delete one or more manifest lists from local storage')
    .usage('MANIFEST_LIST [MANIFEST_LIST...]')
    .argument('<lists...>')
    .action(async (lists: string[]) => {
      const { removeLists } = await import('../../registry/manifest-lists.js')
      removeLists(lists)
    })
}

/** The registries --insecure-registry names, and with --insecure the reference's own too. */
function insecureFor(ref: string, flags: InspectFlags, parse: (text: string) => { domain: string }): string[] {
  return flags.insecure ? [...flags.insecureRegistry, parse(ref).domain] : flags.insecureRegistry
}
