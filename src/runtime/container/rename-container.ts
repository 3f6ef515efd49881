/**
 * `rename`: names/<new> is made first (its atomic creation is what makes
 * names unique, state.ts), then the state records it, then the old name
 * goes. A crash in between leaves both names pointing at the container,
 * which `rm` removes with it.
 *
 * A running container's names in the DNS of its user networks change
 * before the state does (network/rename.ts), and the state's network
 * record and plan name it anew, so a start registers the new name.
 */
import { readlinkSync, symlinkSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { renamedRecord, renameInDns } from '../../network/rename.js'
import { containerEvent } from '../../events/container-events.js'
import type { ContainerInfo } from './containers.js'
import { givenContainerName, invalidNameMessage, NEW_CONTAINER_NAME, updateState } from './state.js'

export function renameContainer(stateRoot: string, c: ContainerInfo, newName: string): void {
  const name = givenContainerName(newName)
  if (!NEW_CONTAINER_NAME.test(name)) throw new UsageError(invalidNameMessage(newName))
  if (name === c.name) throw new UsageError('Renaming a container with the same name as its current name')
  const names = join(stateRoot, 'names')
  try {
    symlinkSync(c.id, join(names, name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    let owner = '?'
    try {
      owner = readlinkSync(join(names, name))
    } catch {
      // removed meanwhile
    }
    throw new MiniRunError(
      `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      { code: 'ENAMEINUSE' },
    )
  }
  try {
    renameInDns(stateRoot, c.id, c.name, name)
  } catch (err) {
    unlinkSync(join(names, name))
    throw err
  }
  updateState(stateRoot, c.id, (state) => {
    const next = { ...state, name }
    if (state.network) next.network = renamedRecord(state.network, name)
    return next
  })
  try {
    if (readlinkSync(join(names, c.name)) === c.id) unlinkSync(join(names, c.name))
  } catch {
    // no such name
  }
  // Docker's oldName is the daemon's name, with its leading slash
  containerEvent(stateRoot, 'rename', { ...c, name }, { oldName: `/${c.name}` })
}
