import type { Command } from 'commander'
import { resolve } from 'node:path'

export interface GlobalOptions {
  root?: string
  state?: string
  logLevel?: string
  debug?: boolean
}

/** The options given before the verb (`mini-run --root X run ...`), with --root and --state made absolute. */
export function globalOptions(cmd: Command): GlobalOptions {
  let top = cmd
  while (top.parent) top = top.parent
  return absoluteRoots(top.opts<GlobalOptions>())
}

/**
 * --root and --state as absolute paths, as podman makes its --root: they are
 * written into containers' states and plans, read again by a monitor or a
 * hook that runs elsewhere, and layer paths are compared as absolute ones.
 */
export function absoluteRoots(o: GlobalOptions): GlobalOptions {
  return { ...o, ...(o.root !== undefined && { root: resolve(o.root) }), ...(o.state !== undefined && { state: resolve(o.state) }) }
}

/** The log level the global options ask for: --log-level, else debug for Docker's -D/--debug. */
export function globalLogLevel(o: GlobalOptions): string | undefined {
  return o.logLevel ?? (o.debug ? 'debug' : undefined)
}
