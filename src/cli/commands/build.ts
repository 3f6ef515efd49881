import type { Command } from 'commander'
import { rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { contextDockerfile } from '../../build/dockerfile-path.js'
import { interruptOnSignals } from '../../build/interrupt.js'
import { UsageError } from '../../errors.js'
import type { ResolvedImage } from '../../image/store-types.js'
import { globalOptions } from '../global-options.js'
import { DISABLE_CONTENT_TRUST } from '../run-flag-specs.js'
import { registerBuilderVerbs, withBuilderFlag } from './buildx.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface BuildFlags {
  tag: string[]
  file?: string
  buildArg: string[]
  target?: string
  cache: boolean
  pull?: boolean
  platform?: string
  label: string[]
  quiet?: boolean
  progress: string
  secret: string[]
  network?: string
  addHost: string[]
  buildContext: string[]
  cacheFrom: string[]
  cacheTo: string[]
  shmSize?: string
  ulimit: string[]
  check?: boolean
  cgroupParent?: string
  iidfile?: string
  output: string[]
  push?: boolean
  load?: boolean
  metadataFile?: string
  provenance?: string
  sbom?: string
  attest: string[]
}

export function register(program: Command): void {
  defineBuild(program.command('build'))
}

/**
 * `docker buildx build`, as scripts written for buildx type it (podman's
 * buildx build is its build too), with buildx's --builder; and buildx's
 * builder-instance verbs, names for the same builder (buildx.ts).
 */
export function registerBuildx(program: Command): void {
  const buildx = program.command('buildx').description('docker buildx: build (the same builder as build), and builder instances, names for it')
  defineBuild(withBuilderFlag(buildx.command('build')))
  registerBuilderVerbs(buildx)
}

function defineBuild(command: Command): void {
  command
    .description('build an image from a Dockerfile')
    .argument('<context>', 'the build context directory, or - for stdin (a tar of it, or a Dockerfile alone)')
    .option('-t, --tag <name[:tag]>', 'name the image (repeatable)', collect, [])
    .option('-f, --file <Dockerfile>', 'the Dockerfile (default: CONTEXT/Dockerfile; - for stdin)')
    .option('--build-arg <KEY=VALUE>', 'a build argument (repeatable; KEY alone takes yours)', collect, [])
    .option('--target <stage>', 'build up to this stage')
    .option('--no-cache', 'run every step, ignoring the build cache')
    .option('--pull', 'pull the base images even if the store has them')
    .option('--platform <os/arch>', 'only this machine\'s platform: RUN executes natively')
    .option('--label <KEY=VALUE>', 'a label on the image (repeatable)', collect, [])
    .option('-q, --quiet', 'print only the image id')
    .option('--progress <plain|tty|auto>', 'how to show the steps: plain lines, or a live view on a terminal', 'auto')
    .option('--secret <id=ID,src=FILE>', 'a secret for RUN --mount=type=secret (repeatable; or id=ID,env=VAR)', collect, [])
    .option('--network <none|host>', 'the network of RUN steps (default none)')
    .option('--build-context <name=dir|docker-image://ref>', 'a named context for FROM NAME, COPY --from=NAME, RUN --mount from=NAME (repeatable)', collect, [])
    .option('--cache-from <ref>', 'taken, as docker build\'s: an external cache is not used, mini-run caches in its store (a warning says so)', collect, [])
    .option('--cache-to <ref>', 'taken, as docker build\'s: no external cache is written (a warning says so)', collect, [])
    .option('--add-host <name:ip>', 'a line for RUN steps\' /etc/hosts (repeatable)', collect, [])
    .option('--shm-size <bytes>', 'size of RUN steps\' /dev/shm (default 64m)')
    .option('--ulimit <name=soft[:hard]>', 'a resource limit of RUN steps, e.g. nofile=1024:2048 (repeatable)', collect, [])
    .option('--check', 'only check the Dockerfile for common mistakes, and print them')
    .option('--cgroup-parent <path>', 'the cgroup parent of RUN steps (default: mini-run)')
    .option('--iidfile <file>', 'write the image id (sha256:...) to this file')
    .option('-o, --output <DIR|type=local,dest=DIR|type=tar,dest=FILE>', 'write the filesystem out instead of storing an image (- : a tar on stdout; repeatable)', collect, [])
    .option('--push', 'push the image to its registry once built and stored, each -t name (buildx\'s shorthand for --output type=registry)')
    .option('--load', 'accepted for buildx: the image is stored, as it always is without --output')
    .option('--metadata-file <file>', 'write the result as JSON in buildx\'s keys: containerimage.digest (the pushed one with --push), containerimage.config.digest, image.name...')
    .option('--provenance <value>', 'accepted for buildx: mini-run\'s builder makes no attestations (a warning says so, unless false)')
    .option('--sbom <value>', 'accepted for buildx: mini-run\'s builder makes no attestations (a warning says so, unless false)')
    .option('--attest <type=...>', 'accepted for buildx: mini-run\'s builder makes no attestations (a warning says so, unless disabled=true; repeatable)', collect, [])
    // Docker's: RUN's containers are always removed, a failed step's too
    .option('--rm', 'accepted for Docker: intermediate containers are always removed')
    .option('--force-rm', 'accepted for Docker: intermediate containers are always removed')
    .option('--disable-content-trust', DISABLE_CONTENT_TRUST)
    .action(async (context: string, flags: BuildFlags, cmd: Command) => {
      // `-f -` and a context of `-`: stdin (build-stdin.ts)
      const { buildInput } = await import('../build-stdin.js')
      const input = await buildInput(context, flags.file)
      try {
        process.exitCode = await buildCommand(input.context, { ...flags, ...(input.file !== undefined && { file: input.file }) }, cmd, input.shownFile)
      } finally {
        input.cleanup()
      }
    })
}

async function buildCommand(context: string, flags: BuildFlags, cmd: Command, shownFile?: string): Promise<number> {
  const { root, state } = globalOptions(cmd)
  const named = flags.file ?? contextDockerfile(context)
  // warnings name the Dockerfile as the user did: stdin's is `-`, not its temporary copy
  const shown = shownFile ?? named
  const dockerfile = resolve(named)
  if (flags.check) {
    const { lintCommand } = await import('./lint.js')
    return lintCommand(named, context, flags.target, shown)
  }
  if (!['plain', 'tty', 'auto'].includes(flags.progress)) throw new UsageError(`--progress ${flags.progress}: plain, tty or auto`)
  const [{ build }, { BuildProgress }, { printLint }, { parseOutputFlags }, { shmSizeOf }] = await Promise.all([
    import('../../build/builder.js'),
    import('../build-progress.js'),
    import('./lint.js'),
    import('../../build/build-output.js'),
    import('../../runtime/container/container-flags.js'),
  ])
  const outputs = parseOutputFlags(flags.output, { stdoutIsTTY: process.stdout.isTTY === true, iidfile: flags.iidfile })
  const { checkExportFlags, attestationWarnings, exportBuilt, writeMetadata } = await import('../build-export.js')
  checkExportFlags(flags, outputs.length)
  attestationWarnings(flags, (line) => process.stderr.write(line))
  // -o -: stdout is the tar, and what a build says goes to stderr
  const tarOnStdout = outputs.some((out) => out.type === 'tar' && out.dest === '-')
  const progressOut = tarOnStdout ? process.stderr : process.stdout
  const mode = flags.quiet ? 'quiet' : flags.progress === 'tty' || (flags.progress === 'auto' && progressOut.isTTY) ? 'tty' : 'plain'
  const progress = new BuildProgress(mode, progressOut)
  for (const [flag, values] of [['--cache-from', flags.cacheFrom], ['--cache-to', flags.cacheTo]] as const) {
    if (values.length) process.stderr.write(`WARNING: ${flag} ${values.join(', ')} is not used: mini-run's builder caches in its store alone\n`)
  }
  // Ctrl-C: stop at the next step, killing and removing a running RUN's container
  const interrupt = interruptOnSignals()
  const sourceDateEpoch = process.env.SOURCE_DATE_EPOCH
  if (sourceDateEpoch !== undefined && !/^\d+$/.test(sourceDateEpoch)) throw new UsageError(`SOURCE_DATE_EPOCH=${sourceDateEpoch}: seconds since the epoch`)
  // docker/cli removes it first: a failed build must not leave the last build's id for a script to read
  if (flags.iidfile !== undefined) rmSync(flags.iidfile, { force: true })
  let result
  try {
    result = await build({
      context,
      dockerfile,
      tags: flags.tag,
      buildArgs: flags.buildArg,
      ...(flags.target !== undefined ? { target: flags.target } : {}),
      noCache: !flags.cache,
      pull: flags.pull === true,
      ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
      labels: flags.label,
      secrets: flags.secret,
      ...(flags.network !== undefined ? { network: flags.network } : {}),
      addHosts: flags.addHost,
      buildContexts: flags.buildContext,
      ...(flags.shmSize !== undefined ? { shmSize: shmSizeOf(flags.shmSize) } : {}),
      ulimits: flags.ulimit,
      ...(root ? { storeRoot: root } : {}),
      ...(state ? { stateRoot: state } : {}),
      ...(flags.cgroupParent !== undefined ? { cgroupParent: flags.cgroupParent } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch: Number(sourceDateEpoch) } : {}),
      resolveImage: (ref, pull) => resolveBase(ref, pull, root, mode === 'quiet'),
      output: progress.output,
      onEvent: (e) => progress.event(e),
      signal: interrupt.signal,
      ...(outputs.length ? { outputs: outputs.map((out) => (out.type === 'tar' && out.dest === '-' ? { type: 'tar' as const, dest: process.stdout } : out)) } : {}),
    })
  } catch (err) {
    progress.failed()
    if (interrupt.signal.aborted) {
      const { BuildInterruptedError } = await import('../../build/run-step.js')
      throw new BuildInterruptedError()
    }
    throw err
  } finally {
    // built: a push after it is Ctrl-C'd as push is, and its failure is not the build's
    interrupt.dispose()
  }
  if (outputs.length) {
    // written out, not stored: no image id to print, no name (and no image in the metadata, as buildx's local export)
    if (flags.metadataFile !== undefined) writeMetadata(flags.metadataFile, {})
    if (mode !== 'quiet') await printLint(named, context, flags.target, shown)
    return 0
  }
  const id = result.id.slice(7)
  if (mode !== 'quiet') {
    process.stdout.write(`--> ${id.slice(0, 12)}\n`)
    for (const name of result.names) process.stdout.write(`Successfully tagged ${name}\n`)
  }
  // --push's pushes, then --metadata-file; the id file once they are done, as buildx writes it after its exporters
  await exportBuilt(cmd, result, flags, { ...(root ? { root } : {}), quiet: mode === 'quiet' })
  if (flags.iidfile !== undefined) {
    try {
      writeFileSync(flags.iidfile, result.id)
    } catch (err) {
      throw new UsageError(`--iidfile ${flags.iidfile}: ${(err as Error).message}`, { cause: err })
    }
  }
  // -q: docker build -q's line, the id with its algorithm (as images -q --no-trunc shows it); podman's bare hex otherwise
  process.stdout.write(mode === 'quiet' ? `${result.id}\n` : `${id}\n`)
  if (mode !== 'quiet') await printLint(named, context, flags.target, shown)
  return 0
}

/** A FROM or COPY --from image, pulled if missing; -q: without a word of the pull, as docker build -q. */
async function resolveBase(ref: string, pull: boolean, root: string | undefined, quiet: boolean): Promise<ResolvedImage> {
  const [{ resolveForRun }, { defaultStoreRoot }] = await Promise.all([import('../resolve-image.js'), import('../../paths.js')])
  const image = await resolveForRun(ref, root ?? defaultStoreRoot(), pull ? 'always' : 'missing', { quiet })
  // the store's own image (run's resolver returns it under a narrower type)
  if (!('manifest' in image && 'configDigest' in image)) throw new Error(`${ref}: the store returned no manifest`)
  return image as ResolvedImage
}
