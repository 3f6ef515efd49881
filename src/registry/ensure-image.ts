/**
 * `run --pull=missing|always|never`: the image from the store, pulled first
 * when the policy says so.
 */
import { UsageError } from '../errors.js'
import { parsePlatform } from '../image/platform.js'
import { parseReference } from '../image/reference.js'
import type { ResolvedImage } from '../image/store-types.js'
import { pullImage, type PullOptions, type PullResult } from './pull.js'

export type PullPolicy = 'missing' | 'always' | 'never'

export const PULL_POLICIES: readonly PullPolicy[] = ['missing', 'always', 'never']

export interface EnsureImageOptions extends PullOptions {
  /** Called before pulling an image the store lacks (Docker prints "Unable to find image ... locally"). */
  onMissing?: (reference: string) => void
}

export interface EnsureImageResult {
  image: ResolvedImage
  /** Set when the image was pulled. */
  pulled?: PullResult
}

export function parsePullPolicy(value: string): PullPolicy {
  if ((PULL_POLICIES as readonly string[]).includes(value)) return value as PullPolicy
  throw new UsageError(`invalid pull policy ${JSON.stringify(value)}: expected ${PULL_POLICIES.join(', ')}`)
}

/**
 * The image `reference` names, from the store; pulled first if the policy is
 * "always", or if it is "missing" and the store lacks it (or has it only for
 * another platform than the one asked for). With "never", a missing image is
 * the store's ENOIMAGE error.
 */
export async function ensureImage(reference: string, policy: PullPolicy, options: EnsureImageOptions): Promise<EnsureImageResult> {
  const { store } = options
  if (policy === 'always') return pullAndResolve(reference, options)
  let local: ResolvedImage
  try {
    local = await store.resolve(reference)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (policy === 'never' || (code !== 'ENOIMAGE' && code !== 'EINCOMPLETE')) throw err
    // a reference no registry could serve (an image id not in the store) is refused before "Unable to find"
    parseReference(reference)
    options.onMissing?.(reference)
    return pullAndResolve(reference, options)
  }
  if (policy === 'missing' && options.platform !== undefined) {
    const wanted = typeof options.platform === 'string' ? parsePlatform(options.platform) : options.platform
    if (local.config.os !== wanted.os || local.config.architecture !== wanted.architecture) {
      options.onMissing?.(reference)
      return pullAndResolve(reference, options)
    }
  }
  return { image: local }
}

async function pullAndResolve(reference: string, options: EnsureImageOptions): Promise<EnsureImageResult> {
  const pulled = await pullImage(reference, options)
  return { image: await options.store.resolve(pulled.name), pulled }
}
