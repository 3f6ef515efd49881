/**
 * The image for `run`: from the store, pulled first when the --pull policy
 * says so (Docker's missing/always/never), with pull progress on stderr.
 */
import { UsageError } from '../errors.js'
import type { ResolvedImageLike } from '../runtime/container/run-options.js'

export type PullPolicy = 'missing' | 'always' | 'never'

export async function resolveForRun(
  ref: string,
  storeRoot: string,
  policy: PullPolicy,
  options: { platform?: string; insecureRegistries?: string[] } = {},
): Promise<ResolvedImageLike> {
  const { ImageStore } = await import('../image/store.js')
  const store = new ImageStore({ root: storeRoot })
  const { formatPlatform, hostPlatform, parsePlatform } = await import('../image/platform.js')
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
  const { ensureImage } = await import('../registry/ensure-image.js')
  const { PullProgressView } = await import('./pull-progress.js')
  const view = new PullProgressView(process.stderr)
  try {
    const { image } = await ensureImage(ref, policy, {
      store,
      ...(options.platform !== undefined ? { platform: options.platform } : {}),
      insecureRegistries: options.insecureRegistries ?? [],
      onMissing: (r) => process.stderr.write(`Unable to find image '${r}' locally\n`),
      progress: (e) => {
        if (e.type === 'warning') process.stderr.write(`WARNING: ${e.message}\n`)
        else view.update(e)
      },
    })
    const mismatch = platformMismatch(image.config, wanted)
    if (mismatch) throw new UsageError(`image ${ref} is for ${mismatch}, not ${formatPlatform(wanted)}`, { code: 'EPLATFORM' })
    return image
  } finally {
    view.finish()
  }
}

/** The image's os/architecture when it is not the one wanted (an image that names none matches). */
function platformMismatch(config: { architecture?: string; os?: string }, want: { os: string; architecture: string }): string | undefined {
  if (!config.architecture || !config.os) return undefined
  if (config.os === want.os && config.architecture === want.architecture) return undefined
  return `${config.os}/${config.architecture}`
}
