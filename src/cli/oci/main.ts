/**
 * runc's command line (detect.ts says when it applies): the verbs of the
 * OCI runtime spec on bundles, as podman, containerd and CRI-O call them.
 * One file per verb under commands/; this file wires them up, logs an
 * error where runc would (oci-log.ts) and exits 1 as runc does.
 */
import { Command, CommanderError } from 'commander'
import { describeError, MiniRunError } from '../../errors.js'
import { ociLog } from './context.js'
import { register as registerCheckpoint } from './commands/checkpoint.js'
import { register as registerCreate } from './commands/create.js'
import { register as registerDelete } from './commands/delete.js'
import { register as registerEvents } from './commands/events.js'
import { register as registerExec } from './commands/exec.js'
import { register as registerFeatures } from './commands/features.js'
import { register as registerKill } from './commands/kill.js'
import { register as registerList } from './commands/list.js'
import { register as registerPause } from './commands/pause.js'
import { register as registerPs } from './commands/ps.js'
import { register as registerRun } from './commands/run.js'
import { register as registerSpec } from './commands/spec.js'
import { register as registerStart } from './commands/start.js'
import { register as registerState } from './commands/state.js'
import { register as registerUpdate } from './commands/update.js'

/** runc's exit status for any error of its own. */
const EXIT_ERROR = 1

export async function ociMain(args: string[]): Promise<number> {
  const program = new Command('mini-run')
    .description('mini-run as an OCI runtime: runc\'s command line on bundles (config.json + rootfs)')
    .option('--root <dir>', 'state directory (default: /run/mini-run-oci as root, $XDG_RUNTIME_DIR/mini-run-oci otherwise)')
    .option('--log <file>', 'write log records to this file (default: stderr)')
    .option('--log-format <format>', 'text or json', 'text')
    .option('--debug', 'log debug records too')
    .option('--systemd-cgroup', 'refused: mini-run manages cgroups itself (cgroupfs)')
    .option('--criu <path>', 'accepted for runc compatibility; checkpoint/restore are not supported')
    .option('--rootless <value>', 'accepted for runc compatibility (auto, true, false)')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  program.hook('preAction', (cmd) => {
    const o = cmd.opts() as { systemdCgroup?: boolean }
    if (o.systemdCgroup) {
      throw new MiniRunError('--systemd-cgroup is not supported: mini-run manages cgroups itself through cgroupfs (podman: --cgroup-manager cgroupfs; containerd: SystemdCgroup = false)', { code: 'EUSAGE' })
    }
  })
  for (const register of [registerSpec, registerCreate, registerStart, registerState, registerKill, registerDelete, registerRun,
    registerExec, registerList, registerPs, registerPause, registerUpdate, registerEvents, registerFeatures, registerCheckpoint]) {
    register(program)
  }
  try {
    await program.parseAsync(args, { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_ERROR
    const message = describeError(err)
    const log = ociLog(program.opts())
    log.error(message)
    if (!log.toStderr) process.stderr.write(`mini-run: ${message}\n`)
    const code = (err as { exitCode?: unknown }).exitCode
    return typeof code === 'number' ? code : EXIT_ERROR
  }
}
