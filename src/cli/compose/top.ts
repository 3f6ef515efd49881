/** `compose top`: each running container of the services, its name, then its processes as `top` shows them. */
import type { Command } from 'commander'
import { contextFor, loadFor } from './context.js'

export async function topCommand(services: string[], cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { servicesWithContainers }, { topContainer }, { alignTabs }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/service-scope.js'),
    import('../../runtime/container/top-container.js'),
    import('../format/tab-writer.js'),
  ])
  const wanted = servicesWithContainers(project, services)
  const running = projectContainers(ctx.stateRoot, project.name)
    .filter((c) => wanted.has(c.service) && c.info.status === 'running')
    .sort((a, b) => (a.info.name < b.info.name ? -1 : 1))
  const blocks: string[] = []
  for (const c of running) {
    const top = await topContainer(c.info, [])
    blocks.push(`${c.info.name}\n${alignTabs([top.titles, ...top.processes].map((row) => row.join('\t')).join('\n'), { minWidth: 20 })}\n`)
  }
  process.stdout.write(blocks.join('\n'))
}
