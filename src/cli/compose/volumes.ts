/**
 * `compose volumes [SERVICE...]`: the project's volumes (those labelled
 * with its name), as docker compose volumes lists them: with services
 * named, only the volumes their containers mount. `docker volume ls`'s
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
  const [{ listVolumes }, { volumeRow, VOLUME_HEADERS, VOLUMES_QUIET, VOLUMES_TABLE }, { formatList }, { projectContainers }, { readState }, { LABELS }] = await Promise.all([
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
      projectContainers(ctx.stateRoot, project.name)
        .filter((c) => services.includes(c.service))
        .flatMap((c) => readState(ctx.stateRoot, c.info.id).volumes?.map((v) => v.name) ?? []),
    )
    volumes = volumes.filter((v) => mounted.has(v.name))
  }
  // -q is the names, unless a format of its own is given (docker/cli NewVolumeFormat)
  const quiet = flags.quiet === true && (flags.format === undefined || flags.format === '' || flags.format === 'table')
  writeStdout(formatList(quiet ? VOLUMES_QUIET : flags.format, volumes.map(volumeRow), { defaultTable: VOLUMES_TABLE, headers: VOLUME_HEADERS }))
}
