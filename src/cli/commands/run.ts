import type { Command } from 'commander'
import { rmSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PreparedContainer } from '../../runtime/container/run-options.js'
import { checkCidFile, writeCidFile } from '../cid-file.js'
import { explainFormat } from '../explain-format.js'
import { refuseTtyWithoutTerminal } from '../tty-check.js'
import { globalOptions } from '../global-options.js'
import { addRunFlags, attachedRun, runOptionsOf, shownStreams, type ShownStreams } from '../run-flags.js'
import { addRunVerbFlags } from '../run-flag-specs.js'
import { runInForeground, type RunVerbFlags as RunFlags } from '../run-in-foreground.js'
import { writeStdout } from '../write-stdout.js'

export function register(program: Command): void {
  defineRun(program).action(async (positional: string[], flags: RunFlags, cmd: Command) => {
    process.exitCode = await runCommand(positional, flags, cmd)
  })
}

/** `run` and its flags, without its action (the launcher's thin parser is tested against it). */
export function defineRun(program: Command): Command {
  return addRunFlags(addRunVerbFlags(
    program
      .command('run')
      .description('run a command in a new container')
      .usage('[options] IMAGE [COMMAND] [ARG...]\n       mini-run run [options] --rootfs DIR COMMAND [ARG...]')
      .argument('[image-and-command...]'),
  ))
    .helpOption('--help', 'display help for command')
    .passThroughOptions()
}

async function runCommand(positional: string[], flags: RunFlags, cmd: Command): Promise<number> {
  const explain = explainFormat(flags.explain, positional)
  // -a: checked (and refused with -d) before anything starts
  const shown = shownStreams(flags)
  // the common case, which the launcher also takes without commander (run-line.ts)
  if (explain === undefined && !flags.detach && !attachedRun(flags)) return runInForeground(positional, flags, globalOptions(cmd))
  if (flags.cidfile && explain === undefined) checkCidFile(flags.cidfile)
  if (explain === undefined && attachedRun(flags)) {
    // checked before anything starts
    if (flags.detachKeys !== undefined) (await import('../detach-keys.js')).parseDetachKeys(flags.detachKeys)
    // a pty relays keystrokes: piped input would never end (Docker refuses it too)
    refuseTtyWithoutTerminal(flags)
  }
  const { prepareContainer } = await import('../../runtime/container/prepare.js')
  const prepared = await prepareContainer(runOptionsOf(positional, flags, globalOptions(cmd)), explain !== undefined)
  for (const warning of prepared.warnings) process.stderr.write(`mini-run: ${warning}\n`)
  if (explain !== undefined) {
    const { formatPlan, planJson } = await import('../../runtime/plan/explain.js')
    process.stdout.write(explain === 'json' ? planJson(prepared.plan) : formatPlan(prepared.plan))
    return 0
  }
  if (flags.cidfile) writeCidFile(flags.cidfile, prepared.id)
  try {
    if (flags.detach) {
      const { startDetached } = await import('../../runtime/container/start-detached.js')
      writeStdout(`${await startDetached(prepared)}\n`)
      return 0
    }
    if (!shown.stdout && !shown.stderr) writeStdout(`${prepared.id}\n`)
    return await runAttached(prepared, flags, shown)
  } catch (err) {
    // a start that fails leaves nothing, its id file included
    if (flags.cidfile) rmSync(flags.cidfile, { force: true })
    throw err
  }
}

/** `run -it`: under a monitor that holds the output until we attach; the detach keys leave it running. */
async function runAttached(prepared: PreparedContainer, flags: RunFlags, shown: ShownStreams): Promise<number> {
  const { startDetached } = await import('../../runtime/container/start-detached.js')
  const { findContainer, monitorAlive } = await import('../../runtime/container/containers.js')
  const { attachSession, finishSession } = await import('../attach-session.js')
  await startDetached(prepared)
  const found = findContainer(prepared.stateRoot, prepared.id)
  // a quick command may have exited already: its monitor holds the output
  // and the exit code for us (--wait-attach) until we connect
  const c = found.status !== 'running' && monitorAlive(found) ? { ...found, status: 'running' as const } : found
  // Docker's run passes signals on with a pty too; --sig-proxy=false keeps them (kept-signals.ts)
  const sigProxy = flags.sigProxy !== false
  const stopKeeping = sigProxy ? undefined : (await import('../kept-signals.js')).keepSignals()
  try {
    const result = await attachSession(prepared.stateRoot, c, { stdin: flags.interactive === true, sigProxy, streams: shown, endOnHangup: true, ...(flags.detachKeys !== undefined ? { detachKeys: flags.detachKeys } : {}) })
    const code = await finishSession(prepared.stateRoot, c, result, { reportDetach: false })
    // --rm: its monitor's exit command removes it; the command returns once that is done, as Docker's does
    if (flags.rm && !result.detached) {
      const end = Date.now() + 30_000
      while (monitorAlive(c, { exitCommand: true }) && Date.now() < end) await sleep(10)
    }
    return code
  } finally {
    stopKeeping?.()
  }
}
