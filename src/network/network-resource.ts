/**
 * Networks in `system prune`, as Docker's: every user-defined network no
 * container uses, and the default bridge's bridge and rules while no
 * container is on it (manage.ts). Not a row of `system df`: Docker's has
 * none, and a network holds no bytes of its own.
 */
import type { ResourcePruneResult, ResourceUsage, SystemContext, SystemPruneOptions, SystemResource } from '../system/resources.js'
import { pruneSelects } from '../prune-filter.js'
import { listNetworks, type NetworkDef } from './networks.js'
import { pruneNetworks } from './manage.js'
import { networkUsers } from './network-inspect.js'

export const networkResource: SystemResource = {
  type: 'Networks',
  order: 20,
  warning: () => 'all networks not used by at least one container',
  usage(ctx: SystemContext): Promise<ResourceUsage> {
    const user = listNetworks(ctx.store.root).filter((n) => !n.builtin)
    const active = user.filter((n) => networkUsers(ctx.stateRoot, n.name).length > 0).length
    return Promise.resolve({ type: 'Networks', total: user.length, active, size: 0, reclaimable: 0 })
  },
  prune(ctx: SystemContext, opts: SystemPruneOptions): Promise<ResourcePruneResult> {
    const only = opts.filter && ((def: NetworkDef) => pruneSelects(opts.filter, def.created, def.labels))
    return Promise.resolve({ heading: 'Deleted Networks', removed: pruneNetworks(ctx.store.root, ctx.stateRoot, only ? { only } : {}), reclaimedBytes: 0 })
  },
}
