/** `compose create`: the services' containers, networks and volumes made, nothing started. */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { contextFor, loadFor } from './context.js'
import type { UpFlags } from './up-down.js'

export type CreateFlags = Pick<UpFlags, 'build' | 'noBuild' | 'forceRecreate' | 'noRecreate' | 'removeOrphans' | 'pull'>

export async function createCommand(services: string[], flags: CreateFlags, cmd: Command): Promise<void> {
  if (flags.build && flags.noBuild) throw new UsageError('--build and --no-build are exclusive')
  if (flags.forceRecreate && flags.noRecreate) throw new UsageError('--force-recreate and --no-recreate are exclusive')
  if (flags.pull !== undefined && !['always', 'missing', 'never'].includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": always, missing or never`)
  const project = await loadFor(cmd, services)
  const ctx = await contextFor(cmd)
  const { create } = await import('../../compose/create.js')
  await create(ctx, project, {
    services,
    build: flags.build === true,
    noBuild: flags.noBuild === true,
    forceRecreate: flags.forceRecreate === true,
    noRecreate: flags.noRecreate === true,
    removeOrphans: flags.removeOrphans === true,
    ...(flags.pull ? { pull: flags.pull as 'always' | 'missing' | 'never' } : {}),
  })
}
