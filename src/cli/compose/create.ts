/** `compose create`: the services' containers, networks and volumes made, nothing started. */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'
import { convergeOptions, type UpFlags } from './up-down.js'

export type CreateFlags = Pick<UpFlags, 'build' | 'noBuild' | 'forceRecreate' | 'noRecreate' | 'removeOrphans' | 'pull' | 'scale'>

export async function createCommand(services: string[], flags: CreateFlags, cmd: Command): Promise<void> {
  const options = convergeOptions(services, flags)
  const { parseScale, withReplicas } = await import('../../compose/scale.js')
  const replicas = Object.fromEntries((flags.scale ?? []).map(parseScale))
  const loaded = await loadFor(cmd, services, { onHost: true })
  // --scale SERVICE=N, as up's
  const project = Object.keys(replicas).length ? withReplicas(loaded, replicas, services) : loaded
  const ctx = await contextFor(cmd)
  const { create } = await import('../../compose/create.js')
  await create(ctx, project, options)
}
