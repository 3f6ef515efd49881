/**
 * Error types of mini-run. The library throws these and never prints or
 * exits; the CLI (src/cli/) turns them into one line on stderr and an exit
 * code following Docker's conventions.
 */

export interface MiniRunErrorOptions {
  cause?: unknown
  /** A stable code for programs, like Node's `err.code`. */
  code?: string
}

/**
 * A message is one line whatever it quotes: a flag, a path, a name from an
 * image or a registry may hold newlines and other control characters,
 * which are shown escaped (as JSON.stringify would) instead.
 */
function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\u007f' ? '\\u007f' : JSON.stringify(c).slice(1, -1)))
}

export class MiniRunError extends Error {
  // a literal, not new.target.name: the start path's bundles shorten class names (scripts/bundle.mjs)
  override name = 'MiniRunError'
  readonly code: string
  constructor(message: string, options: MiniRunErrorOptions = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause })
    this.code = options.code ?? 'EMINIRUN'
  }
}

/** Bad input from the user: a flag, a reference, a mapping. */
export class UsageError extends MiniRunError {
  override name = 'UsageError'
  constructor(message: string, options: MiniRunErrorOptions = {}) {
    super(message, { code: 'EUSAGE', ...options })
  }
}

/** A message for one line on stderr: the error's own message, then its causes'. */
export function describeError(err: unknown): string {
  if (err instanceof MiniRunError) return err.message
  if (err instanceof Error) return oneLine(err.message)
  return oneLine(String(err))
}
