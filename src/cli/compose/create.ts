/** `compose create`: the services' containers, networks and volumes made, nothing started. */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'
import { convergeOptions, type UpFlags } from './up-down.js'

export type CreateFlags = Pick<UpFlags, 'build' | 'noBuild' | 'forceRecreate' | 'noRecreate' | 'removeOrphans' | 'pull'>

export async function createCommand(services: string[], flags: CreateFlags, cmd: Command): Promise<void> {
  const options = convergeOptions(services, flags)
  const project = await loadFor(cmd, services, { onHost: true })
  const ctx = await contextFor(cmd)
  const { create } = await import('../../compose/create.js')
  await create(ctx, project, options)
}
