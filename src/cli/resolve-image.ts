/**
 * The image for `run`: from the store, pulled first when the --pull policy
 * says so (Docker's missing/always/never), with pull progress on stderr.
 */
import { UsageError } from '../errors.js'
import { currentLogLevel } from '../log.js'
import type { ResolvedImageLike } from '../runtime/container/run-options.js'

import type { PullPolicy } from '../registry/ensure-image.js'

export type { PullPolicy }

export async function resolveForRun(
  ref: string,
  storeRoot: string,
  policy: PullPolicy,
  options: { platform?: string; insecureRegistries?: string[]; quiet?: boolean } = {},
): Promise<ResolvedImageLike> {
  const { ImageStore } = await import('../image/store.js')
  const store = new ImageStore({ root: storeRoot })
  const { formatPlatform, hostPlatform, parsePlatform, platformMismatch } = await import('../image/platform.js')
  const wanted = options.platform !== undefined ? parsePlatform(options.platform) : hostPlatform()
  if (policy !== 'always') {
    // the common case, without loading the registry client
    try {
      const image = await store.resolve(ref)
      const mismatch = platformMismatch(image.config, wanted)
      if (!mismatch) return image
      // another platform's image under this name: pulled for the one asked for, or refused (never silently run)
      if (policy === 'never' || options.platform === undefined) {
        throw new UsageError(
          `image ${ref} is for ${mismatch}, not ${formatPlatform(wanted)}${options.platform === undefined ? ' (this host)' : ''}: ${options.platform === undefined ? `run it with --platform ${mismatch} on a host that can, or pull the image for this platform` : 'pull it for this platform'}`,
          { code: 'EPLATFORM' },
        )
      }
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (policy === 'never' || (code !== 'ENOIMAGE' && code !== 'EINCOMPLETE')) throw err
    }
  }
  // the registry client and the layer unpacker: a file of their own in the
  // bundles (scripts/bundle.mjs), read only by a run that pulls
  const { pullForRun } = await import('./pull-for-run.js')
  return pullForRun(ref, storeRoot, policy, { ...options, logLevel: currentLogLevel() })
}
