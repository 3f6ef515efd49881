/**
 * A running container's writable layer is read from the host by path, and
 * its processes can swap a directory in it for a link to the host's `/`
 * between the walk's lstat and its open: the host's file would land in the
 * tar or the committed image, for whoever made the container to read
 * (CVE-2018-15664, `docker cp`'s race). So `export` and `commit` read it
 * while the container is frozen through its cgroup's freezer (a frozen task
 * runs no code; an exec'd one is in the same cgroup), as `commit` pauses by
 * default in Docker. A running container that cannot be frozen (no cgroup of
 * its own: rootless without a delegated one) or that the caller asks not to
 * pause is refused; a stopped or paused one is read as it is.
 */
import { MiniRunError } from '../errors.js'
import type { ContainerInfo } from '../runtime/container/containers.js'
import { pauseContainer, unpauseContainer } from '../runtime/container/pause-container.js'

export async function whileFrozen<T>(c: ContainerInfo, verb: 'export' | 'commit', pause: boolean, fn: () => Promise<T>): Promise<T> {
  if (c.status !== 'running' || c.paused) return fn()
  const name = c.name ?? c.id.slice(0, 12)
  if (!pause) {
    throw new MiniRunError(`${verb} --no-pause of running container ${name}: refused, its processes could swap a file for a link to the host's while it is read; pause or stop it first`)
  }
  if (!c.cgroup) {
    throw new MiniRunError(`cannot ${verb} running container ${name}: it has no cgroup to freeze it in while its files are read (its processes could swap one for a link to the host's); stop it first`)
  }
  await pauseContainer(c)
  try {
    return await fn()
  } finally {
    await unpauseContainer({ ...c, paused: true })
  }
}
