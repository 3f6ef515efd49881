/**
 * The image for `run`: from the store, pulled first when the --pull policy
 * says so (Docker's missing/always/never).
 */
import { MiniRunError } from '../errors.js'
import type { ResolvedImageLike } from '../runtime/run-container.js'

export type PullPolicy = 'missing' | 'always' | 'never'

export async function resolveForRun(ref: string, storeRoot: string, policy: PullPolicy): Promise<ResolvedImageLike> {
  const { ImageStore } = await import('../image/store.js')
  const store = new ImageStore({ root: storeRoot })
  if (policy === 'always') await pull(ref, store)
  try {
    return await store.resolve(ref)
  } catch (err) {
    if (policy !== 'missing' || (err as MiniRunError).code !== 'ENOIMAGE') throw err
  }
  await pull(ref, store)
  return store.resolve(ref)
}

async function pull(ref: string, store: unknown): Promise<void> {
  const registryModule = '../registry/index.js'
  const registry = (await import(registryModule).catch(() => undefined)) as
    | { pullForRun?: (ref: string, store: unknown) => Promise<void> }
    | undefined
  if (!registry?.pullForRun) throw new MiniRunError(`image ${ref} not found in the store, and pulling is not available`, { code: 'ENOIMAGE' })
  await registry.pullForRun(ref, store)
}
