import { UsageError } from '../errors.js'

/**
 * -it relays the caller's terminal, in raw mode: with a pipe or a file as
 * stdin there is none, and the container's shell would read what came and
 * then wait for ever for more (an end of file cannot cross a pty as data).
 * Docker refuses it the same way, and exits 1: docker/cli's CheckTty error
 * is a plain one, not a StatusError of 125.
 */
export function refuseTtyWithoutTerminal(flags: { interactive?: boolean; tty?: boolean }): void {
  if (flags.interactive && flags.tty && !process.stdin.isTTY) {
    throw Object.assign(new UsageError('the input device is not a TTY: -t needs a terminal as stdin (leave -t out to pipe input)'), { exitCode: 1 })
  }
}
