import type { Command } from 'commander'
import { register as registerPull } from './pull.js'
import { register as registerRun } from './run.js'

/** Every verb, in the order `mini-run --help` lists them. */
export function registerCommands(program: Command): void {
  registerRun(program)
  registerPull(program)
}
