/**
 * What a state read from disk must be before anything acts on it
 * (state.ts readState): its id its directory's name, and every path in it
 * its own container's.
 */
import type { V1Leaf } from '../cgroup/cgroup-v1.js'
import { VOLUME_NAME } from '../spec/volumes.js'

export const CONTAINER_ID = /^[0-9a-f]{64}$/
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
/**
 * A name run, create and rename take: Docker's validContainerNamePattern,
 * two characters at least. A state's name is read with CONTAINER_NAME,
 * which a one-character name an older mini-run gave also passes.
 */
export const NEW_CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/** Docker's words (daemon/names.go), with the name as given. */
export function invalidNameMessage(given: string): string {
  return `Invalid container name (${given}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`
}

/**
 * A name as given to run, create or rename, as Docker's daemon takes it:
 * one leading slash is dropped (its API spells names "/foo", and inspect
 * shows them so), then CONTAINER_NAME applies.
 */
export function givenContainerName(given: string): string {
  return given.startsWith('/') ? given.slice(1) : given
}

/**
 * What is wrong with a state read from disk, or undefined. rm deletes
 * containerDir and the cgroup, kill signals pid: a state file must not be
 * able to point them anywhere but at its own container's things.
 */
export function stateProblem(s: unknown, id: string): string | undefined {
  if (typeof s !== 'object' || s === null) return 'not an object'
  const st = s as Record<string, unknown>
  if (st.id !== id || !CONTAINER_ID.test(id)) return `id ${JSON.stringify(st.id)} is not its directory's name`
  if (typeof st.name !== 'string' || !CONTAINER_NAME.test(st.name)) return `bad name ${JSON.stringify(st.name)}`
  if (!['created', 'running', 'exited'].includes(st.status as string)) return `bad status ${JSON.stringify(st.status)}`
  for (const key of ['pid', 'monitorPid'] as const) {
    if (st[key] !== undefined && !(Number.isInteger(st[key]) && (st[key] as number) > 0)) return `bad ${key}`
  }
  if (st.usernsSlot !== undefined && !(Number.isInteger(st.usernsSlot) && (st.usernsSlot as number) >= 0)) return 'bad usernsSlot'
  if (st.pidStartTime !== undefined && !(typeof st.pidStartTime === 'string' && /^\d+$/.test(st.pidStartTime))) return 'bad pidStartTime'
  const rt = st.runtime as { pid?: unknown; startTime?: unknown } | undefined
  if (rt !== undefined && !(typeof rt === 'object' && rt !== null && Number.isInteger(rt.pid) && (rt.pid as number) > 0 && typeof rt.startTime === 'string' && /^\d+$/.test(rt.startTime))) {
    return 'bad runtime'
  }
  // rm -v removes volumes by these names: a name is one path component
  const volumeOk = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && VOLUME_NAME.test((v as { name: string }).name)
  if (st.volumes !== undefined && !(Array.isArray(st.volumes) && st.volumes.every(volumeOk))) return 'bad volumes'
  // <store>/containers/<id>, and the cgroup leaf <mount>/<parent...>/<id>
  if (st.containerDir !== undefined && !ownPath(st.containerDir, id, 'containers')) return `containerDir ${JSON.stringify(st.containerDir)} is not containers/${id.slice(0, 12)}...`
  if (st.cgroupMount !== undefined && !(typeof st.cgroupMount === 'string' && isNormalAbsolute(st.cgroupMount))) return 'bad cgroupMount'
  if (st.cgroup !== undefined && !(ownPath(st.cgroup, id) && typeof st.cgroupMount === 'string' && (st.cgroup as string).startsWith(st.cgroupMount + '/'))) {
    return `cgroup ${JSON.stringify(st.cgroup)} is not a leaf named after the container`
  }
  const v1Ok = (l: unknown) => {
    if (typeof l !== 'object' || l === null) return false
    const { controller, path, base } = l as V1Leaf
    return typeof controller === 'string' && ownPath(path, id) && (base === undefined || (typeof base === 'string' && path.startsWith(base + '/')))
  }
  if (st.cgroupV1 !== undefined && !(Array.isArray(st.cgroupV1) && st.cgroupV1.every(v1Ok))) return 'bad cgroupV1: each leaf must be named after the container'
  return undefined
}

/**
 * Absolute, and as path.normalize leaves it: no empty, "." or ".."
 * component, no trailing slash (which normalize would keep). A string test:
 * `ps` checks a few paths of every container, and node:path's normalize
 * costs more than the rest of the check.
 */
export function isNormalAbsolute(path: string): boolean {
  return path.startsWith('/') && (path === '/' || !/\/\/|\/\.\.?(\/|$)|\/$/.test(path))
}

/** An absolute, normalized path ending in `<parent>/<id>` (any parent if none is given). */
function ownPath(path: unknown, id: string, parent?: string): boolean {
  if (typeof path !== 'string' || !path.endsWith(`/${id}`) || !isNormalAbsolute(path)) return false
  return parent === undefined || path.endsWith(`/${parent}/${id}`)
}
