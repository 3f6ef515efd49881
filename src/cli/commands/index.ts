import type { Command } from 'commander'
import { register as registerImage } from './image.js'
import { register as registerImages } from './images.js'
import { register as registerLoad } from './load.js'
import { register as registerPull } from './pull.js'
import { register as registerRmi } from './rmi.js'
import { register as registerRun } from './run.js'

/** Every verb, in the order `mini-run --help` lists them. */
export function registerCommands(program: Command): void {
  registerRun(program)
  registerPull(program)
  registerImages(program)
  registerRmi(program)
  registerLoad(program)
  registerImage(program)
}
