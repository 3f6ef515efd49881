import type { Command } from 'commander'
import { register as registerImage } from './image.js'
import { register as registerImages } from './images.js'
import { register as registerLoad } from './load.js'
import { register as registerPull } from './pull.js'
import { register as registerRmi } from './rmi.js'
import { register as registerRun } from './run.js'
import { register as registerPs } from './ps.js'
import { register as registerLogs } from './logs.js'
import { register as registerExec } from './exec.js'
import { register as registerStop } from './stop.js'
import { register as registerKill } from './kill.js'
import { register as registerWait } from './wait.js'
import { register as registerRm } from './rm.js'
import { register as registerInspect } from './inspect.js'
import { register as registerContainer } from './container.js'

/** Every verb, in the order `mini-run --help` lists them. */
export function registerCommands(program: Command): void {
  registerRun(program)
  registerPs(program)
  registerLogs(program)
  registerExec(program)
  registerStop(program)
  registerKill(program)
  registerWait(program)
  registerRm(program)
  registerInspect(program)
  registerContainer(program)
  registerPull(program)
  registerImages(program)
  registerRmi(program)
  registerLoad(program)
  registerImage(program)
}
