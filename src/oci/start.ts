/**
 * `start`: release a created container (runtime.md "Lifecycle" 6-8). Its
 * process is blocked opening exec.fifo for writing (op_wait_start); opening
 * the FIFO for reading lets that open return, and the byte it then writes
 * says it was released. The FIFO goes, so the container reads as running,
 * and the poststart hooks run.
 *
 * The open is non-blocking: a container whose process died before start
 * would otherwise leave `start` waiting for a writer forever. It gets a
 * few seconds to show up, while its process is alive.
 */
import { closeSync, constants, openSync, readSync, rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { MiniRunError } from '../errors.js'
import { runHooks } from '../runtime/process/run-hooks.js'
import { fifoPath, readRecord, runtimeState, statusOf, type OciRecord } from './oci-state.js'

export async function startContainer(root: string, id: string): Promise<{ warnings: string[] }> {
  const rec = readRecord(root, id)
  const status = statusOf(root, rec)
  if (status === 'stopped') throw new MiniRunError('cannot start a container that has stopped', { code: 'ESTOPPED' })
  if (status !== 'created') throw new MiniRunError(`cannot start an already ${status} container`, { code: 'ERUNNING' })
  await release(root, rec)
  const warnings: string[] = []
  const hooks = rec.spec.hooks?.poststart
  if (hooks?.length) {
    // runtime.md: a failing poststart hook is logged; the container runs on
    await runHooks('poststart', hooks, runtimeState(root, rec)).catch((err: Error) => warnings.push(err.message))
  }
  return { warnings }
}

async function release(root: string, rec: OciRecord): Promise<void> {
  const fifo = fifoPath(root, rec.id)
  let fd: number
  try {
    fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new MiniRunError('cannot start an already running container', { code: 'ERUNNING' })
    throw err
  }
  try {
    const byte = Buffer.alloc(1)
    for (const deadline = Date.now() + 5000; ;) {
      let n = 0
      try {
        n = readSync(fd, byte, 0, 1, null)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
      }
      if (n === 1) break
      // 0: no writer yet (its open is still on its way), EAGAIN: a writer, no byte yet
      if (statusOf(root, rec) === 'stopped') throw new MiniRunError('container process is already dead', { code: 'ESTOPPED' })
      if (Date.now() > deadline) throw new MiniRunError(`container ${rec.id} did not take its start within 5s`, { code: 'ETIMEDOUT' })
      await sleep(2)
    }
  } finally {
    closeSync(fd)
  }
  rmSync(fifo, { force: true })
}
