import type { Command } from 'commander'
import { isVerb, type VerbName } from '../verbs.js'
import { register as registerImage } from './image.js'
import { register as registerImages } from './images.js'
import { register as registerLoad } from './load.js'
import { register as registerImport } from './import.js'
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
import { register as registerVolume } from './volume.js'
import { register as registerBuild, registerBuildx } from './build.js'
import { register as registerBuilder } from './builder.js'
import { register as registerLint } from './lint.js'
import { register as registerPush } from './push.js'
import { register as registerLogin } from './login.js'
import { register as registerLogout } from './logout.js'
import { register as registerTag } from './tag.js'
import { register as registerSave } from './save.js'
import { register as registerHistory } from './history.js'
import { register as registerManifest } from './manifest.js'
import { register as registerSystem } from './system-group.js'
import { register as registerInternal } from './internal.js'
import { register as registerNetwork } from './network.js'
import { register as registerPort } from './port.js'
import { register as registerCreate } from './create.js'
import { register as registerStart } from './start.js'
import { register as registerRestart } from './restart.js'
import { register as registerAttach } from './attach.js'
import { register as registerCp } from './cp.js'
import { register as registerDiff } from './diff.js'
import { register as registerExport } from './export.js'
import { register as registerCommit } from './commit.js'
import { register as registerTop } from './top.js'
import { register as registerStats } from './stats.js'
import { register as registerRename } from './rename.js'
import { register as registerPause, registerUnpause } from './pause.js'
import { register as registerUpdate } from './update.js'
import { register as registerVersion } from './version.js'
import { register as registerInfo } from './info.js'
import { register as registerHealthcheck } from './healthcheck.js'
import { register as registerCompose } from './compose.js'
import { register as registerEvents } from './events.js'

/** Every verb (verbs.ts), in the order `mini-run --help` lists them. */
const VERBS: Record<VerbName, (program: Command) => void> = {
  run: registerRun,
  create: registerCreate,
  start: registerStart,
  restart: registerRestart,
  attach: registerAttach,
  ps: registerPs,
  logs: registerLogs,
  exec: registerExec,
  stop: registerStop,
  kill: registerKill,
  wait: registerWait,
  rm: registerRm,
  inspect: registerInspect,
  cp: registerCp,
  diff: registerDiff,
  export: registerExport,
  commit: registerCommit,
  top: registerTop,
  stats: registerStats,
  rename: registerRename,
  pause: registerPause,
  unpause: registerUnpause,
  update: registerUpdate,
  container: registerContainer,
  volume: registerVolume,
  port: registerPort,
  healthcheck: registerHealthcheck,
  compose: registerCompose,
  network: registerNetwork,
  pull: registerPull,
  images: registerImages,
  rmi: registerRmi,
  load: registerLoad,
  import: registerImport,
  image: registerImage,
  build: registerBuild,
  buildx: registerBuildx,
  builder: registerBuilder,
  lint: registerLint,
  push: registerPush,
  tag: registerTag,
  save: registerSave,
  history: registerHistory,
  manifest: registerManifest,
  login: registerLogin,
  logout: registerLogout,
  // df and prune, then check (system-check.ts)
  system: registerSystem,
  version: registerVersion,
  info: registerInfo,
  events: registerEvents,
  internal: registerInternal,
}

export { isVerb }

/**
 * Register every verb; or, given the verb this command line runs, only that
 * one: building every verb's options is 2 ms of each `mini-run run`. Help
 * and unknown verbs get all of them.
 */
export function registerCommands(program: Command, only?: string): void {
  const one = only !== undefined && isVerb(only) && only !== 'help' ? VERBS[only as VerbName] : undefined
  if (one) return one(program)
  for (const register of Object.values(VERBS)) register(program)
}
