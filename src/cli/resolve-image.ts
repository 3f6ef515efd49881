/**
 * The image for `run`: from the store, pulled first when the --pull policy
 * says so (Docker's missing/always/never), with pull progress on stderr.
 */
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
  if (policy !== 'always') {
    // the common case, without loading the registry client
    try {
      return await store.resolve(ref)
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
    return image
  } finally {
    view.finish()
  }
}
