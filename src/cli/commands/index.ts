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
import { register as registerInternal } from './internal.js'
import { register as registerNetwork } from './network.js'
import { register as registerPort } from './port.js'

/** Every verb, in the order `mini-run --help` lists them. */
const VERBS: Record<string, (program: Command) => void> = {
  run: registerRun,
  ps: registerPs,
  logs: registerLogs,
  exec: registerExec,
  stop: registerStop,
  kill: registerKill,
  wait: registerWait,
  rm: registerRm,
  inspect: registerInspect,
  container: registerContainer,
  port: registerPort,
  network: registerNetwork,
  pull: registerPull,
  images: registerImages,
  rmi: registerRmi,
  load: registerLoad,
  image: registerImage,
  internal: registerInternal,
}

/**
 * Register every verb; or, given the verb this command line runs, only that
 * one: building every verb's options is 2 ms of each `mini-run run`. Help
 * and unknown verbs get all of them.
 */
export function registerCommands(program: Command, only?: string): void {
  const one = only !== undefined && Object.hasOwn(VERBS, only) ? VERBS[only] : undefined
  if (one) return one(program)
  for (const register of Object.values(VERBS)) register(program)
}
