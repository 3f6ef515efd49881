/**
 * Attach to a container through its monitor's attach socket
 * (native/monitor-attach.h): its output as it comes, input to its stdin or
 * pty, its exit code when it ends. The library relays bytes and reports;
 * the terminal, detach keys and printing are the caller's (src/cli/
 * attach-session.ts).
 */
import { closeSync, constants, openSync } from 'node:fs'
import { createConnection, type Socket } from 'node:net'
import { MiniRunError } from '../../errors.js'
import {
  ATTACH_CLOSE_STDIN,
  ATTACH_EXIT,
  ATTACH_STDERR,
  ATTACH_STDIN,
  ATTACH_STDOUT,
  encodeFrame,
  FrameReader,
  resizeFrame,
} from '../process/attach-protocol.js'
import { type ContainerInfo } from './containers.js'
import { stateDir } from './state.js'

/** open(2)'s O_PATH, which Node's fs.constants lacks (asm-generic/fcntl.h). */
const O_PATH = 0o10000000

export interface AttachConnection {
  sendStdin(data: Buffer): void
  /** The caller's input ended: the container's stdin pipe is closed (not a pty). */
  closeStdin(): void
  resize(rows: number, cols: number): void
  /** The exit code, once the container has exited; undefined when the connection ended first (detached, or the monitor died). */
  done: Promise<number | undefined>
  /** Detach: the container goes on. */
  close(): void
}

export interface AttachHandlers {
  output(stream: 'stdout' | 'stderr', data: Buffer): void
}

export function notRunning(c: Pick<ContainerInfo, 'id'>): MiniRunError {
  return new MiniRunError('You cannot attach to a stopped container, start it first', { code: 'ENOTRUNNING' })
}

/**
 * Connect to the monitor of a running (or just started) container. The
 * socket's path can be longer than sun_path's 108 bytes: it is reached
 * through an fd of the state directory.
 */
export async function attachContainer(stateRoot: string, c: Pick<ContainerInfo, 'id' | 'status' | 'monitorPid'>, handlers: AttachHandlers): Promise<AttachConnection> {
  if (c.status !== 'running' || !c.monitorPid) throw notRunning(c)
  const dir = openSync(stateDir(stateRoot, c.id), O_PATH | constants.O_DIRECTORY)
  let socket: Socket
  try {
    socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ path: `/proc/self/fd/${dir}/attach` })
      s.once('connect', () => resolve(s))
      s.once('error', (err) => reject(err))
    })
  } catch (err) {
    throw new MiniRunError(`attach to container ${c.id.slice(0, 12)}: ${(err as Error).message}`, { cause: err, code: 'ENOTRUNNING' })
  } finally {
    closeSync(dir)
  }
  const reader = new FrameReader()
  let exitCode: number | undefined
  const done = new Promise<number | undefined>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.type === ATTACH_STDOUT) handlers.output('stdout', f.payload)
        else if (f.type === ATTACH_STDERR) handlers.output('stderr', f.payload)
        else if (f.type === ATTACH_EXIT && f.payload.length === 4) exitCode = f.payload.readInt32BE(0)
      }
    })
    socket.on('close', () => resolve(exitCode))
    socket.on('error', () => undefined) // 'close' follows
  })
  const send = (frame: Buffer) => {
    if (!socket.destroyed) socket.write(frame)
  }
  return {
    sendStdin: (data) => send(encodeFrame(ATTACH_STDIN, data)),
    closeStdin: () => send(encodeFrame(ATTACH_CLOSE_STDIN)),
    resize: (rows, cols) => send(resizeFrame(rows, cols)),
    done,
    close: () => socket.destroy(),
  }
}
