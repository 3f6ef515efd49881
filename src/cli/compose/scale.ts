/** `compose scale SERVICE=N...`: those services' containers made N, the others left alone. */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'

export async function scaleCommand(args: string[], flags: { deps?: boolean }, cmd: Command): Promise<void> {
  const { parseScale, scale } = await import('../../compose/scale.js')
  const replicas = Object.fromEntries(args.map(parseScale))
  const project = await loadFor(cmd, Object.keys(replicas), { onHost: true })
  const ctx = await contextFor(cmd)
  await scale(ctx, project, replicas, { noDeps: flags.deps === false })
}
