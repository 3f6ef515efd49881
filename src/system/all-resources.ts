/** Every resource `system df` counts and `system prune` cleans (resources.ts says what one is). */
import type { SystemResource } from './resources.js'

/**
 * The stores other parts of mini-run add, loaded only when `system df` or
 * `system prune` runs: one line per store.
 */
const PLUGINS: Array<() => Promise<SystemResource>> = [() => import('../network/network-resource.js').then((m) => m.networkResource)]

/** The rows Docker always prints, even when mini-run has no such store yet. */
export const DOCKER_DF_TYPES = ['Images', 'Containers', 'Local Volumes', 'Build Cache'] as const

export async function systemResources(): Promise<SystemResource[]> {
  const [{ containerResource }, { imageResource }, { volumeResource }, { buildCacheResource }] = await Promise.all([
    import('./container-resource.js'),
    import('./image-resource.js'),
    import('./volume-resource.js'),
    import('./build-cache-resource.js'),
  ])
  const plugins = await Promise.all(PLUGINS.map((load) => load()))
  return [containerResource, imageResource, volumeResource, buildCacheResource, ...plugins].sort((a, b) => a.order - b.order)
}
