/**
 * `compose volumes [SERVICE...]`: the project's volumes (those labelled
 * with its name), as docker compose volumes lists them: with services
 * named, only the volumes their running containers mount. `docker volume ls`'s
 * table, -q and --format.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { writeStdout } from '../write-stdout.js'
import { contextFor, loadFor } from './context.js'

export async function volumesCommand(services: string[], flags: { quiet?: boolean; format?: string }, cmd: Command): Promise<void> {
  const project = await loadFor(cmd, services, { byName: true })
  const unknown = services.find((s) => !project.services[s])
  if (unknown !== undefined) throw new UsageError(`no such service: ${unknown}`)
  const ctx = await contextFor(cmd)
  const [{ listVolumes }, { volumeRow, VOLUME_HEADERS, VOLUMES_TABLE }, { formatList }, { projectContainers }, { readState }, { LABELS }] = await Promise.all([
    import('../../runtime/container/volume-store.js'),
    import('../format/volume-row.js'),
    import('../format/format-list.js'),
    import('../../compose/project-containers.js'),
    import('../../runtime/container/state.js'),
    import('../../compose/labels.js'),
  ])
  let volumes = listVolumes(ctx.storeRoot).filter((v) => v.labels[LABELS.project] === project.name)
  if (services.length) {
    const mounted = new Set(
      // the running ones, as docker compose's ContainerList without All; one removed meanwhile mounts nothing
      projectContainers(ctx.stateRoot, project.name)
        .filter((c) => services.includes(c.service) && c.info.status === 'running')
        .flatMap((c) => {
          try {
            return readState(ctx.stateRoot, c.info.id).volumes?.map((v) => v.name) ?? []
          } catch {
            return []
          }
        }),
    )
    volumes = volumes.filter((v) => mounted.has(v.name))
  }
  // -q: the names, whatever --format says (docker compose volumes prints them before any format)
  if (flags.quiet) return writeStdout(volumes.map((v) => `${v.name}\n`).join(''))
  writeStdout(formatList(flags.format, volumes.map(volumeRow), { defaultTable: VOLUMES_TABLE, headers: VOLUME_HEADERS }))
}
