/**
 * Keep reading what is left on an fd once mini-run is gone: `cat > /dev/null`
 * on it, detached (named argv0, in /, with no environment), which ends with
 * the fd's last writer (a pipe's; a pty's slaves, whose end reads as EIO).
 * A hook's output pipe (compose/hooks.ts) and an exec's pty master after a
 * detach (runtime/process/supervise.ts) are kept open so, and drained: the
 * process writing there is neither blocked nor hung up. The caller's fd is
 * left open; the drain holds a copy, blocking (libuv makes a child's stdio
 * blocking, a flag of the open file the caller shares: it closes its own
 * fd next). False when it could not be started.
 */
import { spawn } from 'node:child_process'

export function drainInBackground(fd: number, argv0: string): boolean {
  try {
    spawn('cat', [], { argv0, stdio: [fd, 'ignore', 'ignore'], detached: true, cwd: '/', env: {} })
      .on('error', () => undefined)
      .unref()
    return true
  } catch {
    return false
  }
}
