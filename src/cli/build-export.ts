/**
 * What `docker build` (buildx, Docker's builder since 23.0) does with an
 * image besides storing it, in the flags CI scripts pass: `--push` sends
 * each -t name to its registry once built (buildx's shorthand for
 * --output type=registry; with Docker's own driver the image is stored and
 * then pushed), `--load` is the store mini-run always writes, and
 * `--metadata-file` writes the result in buildx's keys (what
 * docker/build-push-action and scripts read the digest from).
 * `--provenance`, `--sbom` and `--attest` are taken: mini-run's builder
 * makes no attestations, which a warning says unless they were turned off.
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { UsageError } from '../errors.js'
import { parseBoolValue } from '../go-bool.js'
import type { BuildResult } from '../build/build-options.js'
import type { ImageStore } from '../image/store.js'

export interface ExportFlags {
  tag: string[]
  push?: boolean
  load?: boolean
  metadataFile?: string
  provenance?: string
  sbom?: string
  attest?: string[]
}

/** Refusals before anything is built: buildx's words where it has them. */
export function checkExportFlags(flags: ExportFlags, outputs: number): void {
  for (const [flag, given] of [['--push', flags.push], ['--load', flags.load]] as const) {
    if (given && outputs > 0) throw new UsageError(`${flag} with --output: mini-run's builder either stores an image or writes its files out, not both`)
  }
  // build/opt.go: an image exporter with push and no name
  if (flags.push && flags.tag.length === 0) throw new UsageError('tag is needed when pushing to registry')
}

/** The warning for an attestation asked for (any value but a false, as buildx parses it). */
export function attestationWarnings(flags: ExportFlags, write: (line: string) => void): void {
  for (const [flag, value] of [['--provenance', flags.provenance], ['--sbom', flags.sbom]] as const) {
    if (value !== undefined && parseBoolValue(value) !== false) write(`WARNING: ${flag}=${value}: mini-run's builder makes no attestations, and the image has none\n`)
  }
  // --attest type=provenance,mode=max (docker/build-push-action's); one with disabled=true asks for none
  for (const value of flags.attest ?? []) {
    if (!value.split(',').some((field) => /^disabled=(true|1)$/i.test(field.trim()))) write(`WARNING: --attest=${value}: mini-run's builder makes no attestations, and the image has none\n`)
  }
}

/** After a stored build: the push of each name, then the metadata file (the pushed digest, when pushed). */
export async function exportBuilt(cmd: Command, result: BuildResult, flags: ExportFlags, o: { root?: string; quiet: boolean }): Promise<void> {
  if (!flags.push && flags.metadataFile === undefined) return
  const { ImageStore } = await import('../image/store.js')
  const store = new ImageStore(o.root ? { root: o.root } : {})
  let pushed: { digest: string; size: number } | undefined
  if (flags.push) {
    const { pushNamed } = await import('./commands/push.js')
    for (const name of result.names) {
      const r = await pushNamed(cmd, store, name, { insecureRegistries: [], show: !o.quiet })
      // the first name's, as buildx's metadata has it
      pushed ??= { digest: r.manifestDigest, size: r.size }
    }
  }
  if (flags.metadataFile !== undefined) writeMetadata(flags.metadataFile, metadataOf(result, store, pushed))
}

/** buildx's keys for an image export (decodeExporterResponse of the image exporter's response). */
function metadataOf(result: BuildResult, store: ImageStore, pushed: { digest: string; size: number } | undefined): Record<string, unknown> {
  const digest = pushed?.digest ?? result.manifestDigest
  if (digest === undefined) return {}
  const size = pushed?.size ?? statSync(store.blobPath(digest)).size
  return {
    'containerimage.config.digest': result.id,
    'containerimage.descriptor': { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size },
    'containerimage.digest': digest,
    ...(result.names.length ? { 'image.name': result.names.join(',') } : {}),
  }
}

/** Written whole or not at all (buildx's atomicwriter), indented as buildx's. */
export function writeMetadata(path: string, data: Record<string, unknown>): void {
  const tmp = `${path}.mini-run-${process.pid}`
  try {
    writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o644 })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw new UsageError(`--metadata-file ${path}: ${(err as Error).message}`, { cause: err })
  }
}
