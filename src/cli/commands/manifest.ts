import type { Command } from 'commander'

const collect = (value: string, previous: string[]) => [...previous, value]

interface InspectFlags {
  verbose?: boolean
  insecure?: boolean
  insecureRegistry: string[]
}

/**
 * `manifest inspect`, Docker's (registry/manifest-inspect.ts). Docker's
 * create, annotate, push and rm make and send manifest lists of its own
 * store, which mini-run has not: inspect of one of those (two arguments)
 * finds none, in Docker's words.
 */
export function register(program: Command): void {
  const manifest = program.command('manifest').description("show an image's manifest, or manifest list, as its registry has it")
  manifest
    .command('inspect')
    .description('display an image manifest, or manifest list, from its registry')
    .usage('[options] [MANIFEST_LIST] MANIFEST')
    .argument('<refs...>')
    .option('-v, --verbose', 'output additional info including layers and platform')
    .option('--insecure', "allow plain HTTP and any TLS certificate for the image's registry")
    .option('--insecure-registry <host[:port]>', 'allow plain HTTP and any TLS certificate for this registry (repeatable)', collect, [])
    .action(async (refs: string[], flags: InspectFlags) => {
      const [{ UsageError }, { parseReference }] = await Promise.all([import('../../errors.js'), import('../../image/reference.js')])
      if (refs.length > 2) throw new UsageError('"manifest inspect" requires at least 1 and at most 2 arguments')
      if (refs.length === 2) {
        const { MiniRunError } = await import('../../errors.js')
        // a manifest of a list of the local manifest store (docker manifest create), which mini-run has not: Docker names the manifest
        const manifest = parseReference(refs[1]!)
        parseReference(refs[0]!)
        const { dockerName } = await import('../../registry/manifest-inspect.js')
        throw new MiniRunError(`No such manifest: ${dockerName(manifest).name}`, { code: 'ENOMANIFEST' })
      }
      const ref = refs[0]!
      const insecureRegistries = flags.insecure ? [...flags.insecureRegistry, parseReference(ref).domain] : flags.insecureRegistry
      const { inspectManifest } = await import('../../registry/manifest-inspect.js')
      process.stdout.write(await inspectManifest(ref, { verbose: flags.verbose === true, insecureRegistries }))
    })
}
