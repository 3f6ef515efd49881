/** `kill ID [SIGNAL] [--all]`: runtime.md "kill"; a container that is not running is an error, as in runc. */
import { MiniRunError } from '../errors.js'
import { signalAll, signalInit } from './container-procs.js'
import { readRecord, statusOf } from './oci-state.js'

export function killContainer(root: string, id: string, signal: number, all = false): void {
  const rec = readRecord(root, id)
  const status = statusOf(root, rec)
  if (status === 'stopped' || status === 'creating') throw new MiniRunError('container not running', { code: 'ENOTRUNNING' })
  if (all) return signalAll(rec, signal)
  if (!signalInit(rec, signal)) throw new MiniRunError('container not running', { code: 'ENOTRUNNING' })
}
