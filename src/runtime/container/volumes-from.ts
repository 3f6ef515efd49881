/**
 * Docker's --volumes-from CONTAINER[:ro|rw]: the new container mounts
 * every volume and bind mount of another, at the same container paths
 * (moby daemon/volumes.go registerMountPoints). Read when the container
 * is made, as Docker does: a later change of the other container is not
 * followed, and removing it leaves the volumes to the new one.
 *
 * Rules, Docker's: ro makes every mount read-only; rw (the default) keeps
 * each as the other container has it, a read-only one stays so. A
 * volume is never filled from the new container's image (CopyData false).
 * No propagation and no copy mode (nocopy) may be given. A volume's
 * volume-subpath comes with it (moby copies the mount's spec): the new
 * container sees no more of it than the other. -v and --mount at
 * the same path win over an inherited mount (volumes.ts volumesFromFlags).
 */
import { UsageError } from '../../errors.js'
import { bindOptions, volumeMount, type PlannedVolume } from '../spec/volumes.js'
import { findContainer } from './containers.js'
import { userMounts } from './user-mounts.js'

/** CONTAINER[:MODE], MODE ro or rw (with z and Z, SELinux's, accepted and unused): moby's ParseVolumesFrom. */
export function parseVolumesFrom(spec: string): { ref: string; readOnly: boolean } {
  if (spec === '') throw new UsageError('volumes-from specification cannot be an empty string')
  const colon = spec.indexOf(':')
  const ref = colon < 0 ? spec : spec.slice(0, colon)
  const mode = colon < 0 ? '' : spec.slice(colon + 1)
  const modes = mode === '' ? [] : mode.split(',')
  const valid = modes.every((m) => ['ro', 'rw', 'z', 'Z'].includes(m)) && modes.filter((m) => m === 'ro' || m === 'rw').length <= 1
  if (!valid) throw new UsageError(`invalid mode: ${mode}`)
  return { ref, readOnly: modes.includes('ro') }
}

/**
 * The mounts the containers of `specs` give, later ones over earlier ones
 * at the same path. A container that cannot be found fails with Docker's
 * "no such container"; nothing is read but their states.
 */
export function inheritedVolumes(stateRoot: string, specs: readonly string[] | undefined): PlannedVolume[] {
  if (!specs?.length) return []
  const byPath = new Map<string, PlannedVolume>()
  for (const spec of specs) {
    const { ref, readOnly } = parseVolumesFrom(spec)
    const from = findContainer(stateRoot, ref)
    for (const m of userMounts(from)) {
      const ro = readOnly || m.readOnly
      if (m.type === 'volume' && m.name !== undefined) byPath.set(m.destination, volumeMount(m.destination, m.name, ro, true, '', m.subpath !== undefined ? { subpath: m.subpath } : {}))
      else if (m.type === 'bind') {
        byPath.set(m.destination, { mount: { destination: m.destination, type: 'bind', source: m.source, options: bindOptions(ro, m.propagation || undefined) }, mode: '' })
      }
    }
  }
  return [...byPath.values()]
}
