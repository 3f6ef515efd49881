import type { Command } from 'commander'

export interface GlobalOptions {
  root?: string
  state?: string
  logLevel?: string
}

/** The options given before the verb (`mini-run --root X run ...`). */
export function globalOptions(cmd: Command): GlobalOptions {
  let top = cmd
  while (top.parent) top = top.parent
  return top.opts<GlobalOptions>()
}
