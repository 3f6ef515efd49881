/** `compose wait SERVICE...`: each container's exit in docker compose's words; exit with the last one's code. */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'

export async function waitCommand(services: string[], flags: { downProject?: boolean }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const { waitServices } = await import('../../compose/wait.js')
  process.exitCode = await waitServices(ctx, project, services, {
    onExit: (c, code) => process.stdout.write(`container ${JSON.stringify(c.info.id)} exited with status code ${code}\n`),
    downProject: flags.downProject === true,
  })
}
