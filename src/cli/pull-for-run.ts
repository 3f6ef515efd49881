/**
 * `run` of an image the store lacks (or --pull always): the pull, with its
 * progress on stderr (resolve-image.ts decides when).
 *
 * The bundles keep this in a file of their own, dist/mini-run-pull.cjs
 * (scripts/bundle.mjs), with the registry client and the layer unpacker
 * (fzstd, the tar reader): 60 kB that every other run would read and parse
 * at its start. That copy has its own instances of the modules it shares
 * with the run bundle, so nothing crosses between the two but plain data:
 * the store's root (not an ImageStore), the log level, the resolved image;
 * and the errors thrown back, which the run's error line and exit code read
 * by their properties (message, code, exitCode), not by their class.
 */
import { Writable } from 'node:stream'
import { UsageError } from '../errors.js'
import { setLogLevel } from '../log.js'
import { formatPlatform, hostPlatform, parsePlatform, platformMismatch } from '../image/platform.js'
import { parseReference } from '../image/reference.js'
import { ImageStore } from '../image/store.js'
import { ensureImage, type PullPolicy } from '../registry/ensure-image.js'
import type { ResolvedImageLike } from '../runtime/container/run-options.js'
import { PullProgressView, pullSummary } from './pull-progress.js'

export async function pullForRun(
  ref: string,
  storeRoot: string,
  policy: PullPolicy,
  options: { platform?: string; insecureRegistries?: string[]; quiet?: boolean; logLevel: string },
): Promise<ResolvedImageLike> {
  setLogLevel(options.logLevel)
  const store = new ImageStore({ root: storeRoot })
  // run -q: docker/cli's pull for a run writes to io.Discard, its "Unable to find image" line too
  const out = options.quiet ? new Writable({ write: (_chunk, _enc, done) => done() }) : process.stderr
  const parsed = parseReference(ref)
  const view = new PullProgressView(out, parsed)
  // --pull always of a stored image: "up to date" when nothing new came
  const before = policy === 'always' ? await store.getRef(parsed.name).catch(() => undefined) : undefined
  try {
    const { image, pulled } = await ensureImage(ref, policy, {
      store,
      ...(options.platform !== undefined ? { platform: options.platform } : {}),
      insecureRegistries: options.insecureRegistries ?? [],
      onMissing: (r) => out.write(`Unable to find image '${r}' locally\n`),
      progress: (e) => {
        if (e.type === 'warning') process.stderr.write(`WARNING: ${e.message}\n`)
        else view.update(e)
      },
    })
    // Docker's run ends its pull as `pull` does, on stderr
    if (pulled) out.write(pullSummary(parsed, pulled, before))
    const wanted = options.platform !== undefined ? parsePlatform(options.platform) : hostPlatform()
    const mismatch = platformMismatch(image.config, wanted)
    if (mismatch) throw new UsageError(`image ${ref} is for ${mismatch}, not ${formatPlatform(wanted)}`, { code: 'EPLATFORM' })
    return image
  } finally {
    view.finish()
  }
}
