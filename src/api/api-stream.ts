/**
 * A container's output on an API connection, as Docker's daemon sends it:
 * for a container without a terminal, stdout and stderr multiplexed in
 * frames of an 8-byte header (the stream: 1 stdout, 2 stderr; three zero
 * bytes; the payload's length, big-endian) and the payload, which clients
 * split again (docker/pkg/stdcopy, docker-py's frames_iter); for one with a
 * terminal, the pty's bytes as they are.
 *
 * The output comes from a `mini-run` child (logs -f, attach, exec), its
 * stdout and stderr read apart; the connection ends when the child does.
 */
import type { ChildProcess } from 'node:child_process'
import type { Writable } from 'node:stream'

export function frame(stream: 1 | 2, payload: Buffer): Buffer {
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

/**
 * Copy a child's stdout and stderr onto out, framed unless raw; resolves
 * with the child's exit code once both are drained. A client that goes
 * away ends the child.
 */
export function pipeOutput(child: ChildProcess, out: Writable, o: { raw: boolean; stdout?: boolean; stderr?: boolean; holdStderr?: Promise<boolean> }): Promise<number> {
  // stderr held until it is known to be the container's (true) and not the runtime's own error line (false)
  let held: Buffer[] | undefined
  if (o.holdStderr) {
    held = []
    void o.holdStderr.then((pass) => {
      const chunks = held ?? []
      held = undefined
      if (pass) for (const chunk of chunks) write(2, chunk)
    })
  }
  const write = (stream: 1 | 2, chunk: Buffer) => {
    if (out.destroyed) return
    const ok = out.write(o.raw ? chunk : frame(stream, chunk))
    if (!ok) {
      child.stdout?.pause()
      child.stderr?.pause()
      out.once('drain', () => {
        child.stdout?.resume()
        child.stderr?.resume()
      })
    }
  }
  const send = (stream: 1 | 2, wanted: boolean | undefined) => (chunk: Buffer) => {
    if (wanted === false) return
    if (stream === 2 && held) held.push(chunk)
    else write(stream, chunk)
  }
  child.stdout?.on('data', send(1, o.stdout))
  child.stderr?.on('data', send(2, o.stderr))
  const gone = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  }
  out.once('close', gone)
  out.once('error', gone)
  return new Promise((resolve) => {
    child.once('error', () => resolve(125))
    child.once('close', (code) => {
      out.off('close', gone)
      // what was held goes out (or not) before the caller ends the stream
      void Promise.resolve(o.holdStderr).then(() => resolve(code ?? 128))
    })
  })
}

/** The raw answer that turns an attach or exec-start request into a stream (Docker's hijack). */
export function upgradeHead(headers: Record<string, string>): string {
  const lines = ['HTTP/1.1 101 UPGRADED', 'Content-Type: application/vnd.docker.raw-stream', 'Connection: Upgrade', 'Upgrade: tcp']
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  return `${lines.join('\r\n')}\r\n\r\n`
}
