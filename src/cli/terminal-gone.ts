/**
 * Whether a terminal among fds 0-2 has been hung up (its window closed, its
 * SSH connection dropped, its tmux session killed) while mini-run ran.
 *
 * Node's teardown puts back the terminal modes it found at its start
 * (node.cc ResetStdio: tcsetattr on each of fds 0-2 that was a terminal)
 * and asserts that the call worked or failed with EPERM: on a terminal hung
 * up meanwhile tcsetattr fails with EIO, and Node aborts (SIGABRT, a core
 * file, exit status 134) instead of exiting with the container's code. The
 * CLI ends such a process with _exit (mr_exit) after its 'exit' listeners:
 * there is no terminal left to put anything back on.
 *
 * A hung-up terminal's file answers every write with EIO (the kernel's
 * hung_up_tty_fops), a zero-length one included; a live one writes nothing.
 */
import { fstatSync, writeSync } from 'node:fs'

export function stdioTerminalGone(): boolean {
  for (const fd of [0, 1, 2]) {
    try {
      if (!fstatSync(fd).isCharacterDevice()) continue
      writeSync(fd, '')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EIO') return true
    }
  }
  return false
}
