import type { Command } from 'commander'
import { defaultStateRoot } from '../paths.js'
import { globalOptions } from './global-options.js'

/** The state directory for this invocation (--state, or the default). */
export function stateRootOf(cmd: Command): string {
  return globalOptions(cmd).state ?? defaultStateRoot()
}
