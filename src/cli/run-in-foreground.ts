/**
 * `mini-run run` of a container that stays the CLI's own child: no -d, no
 * -it, no --explain. Both command lines come here: commander's (commands/
 * run.ts) and the launcher's thin one (run-line.ts), which starts it from a
 * bundle of its own, without commander.
 */
import { openSync, rmSync } from 'node:fs'
import { checkCidFile, writeCidFile } from './cid-file.js'
import type { GlobalOptions } from './global-options.js'
import { runOptionsOf, shownStreams, type RunFlags } from './run-flags.js'

export type RunVerbFlags = RunFlags & { rm?: boolean; detach?: boolean; explain?: string | boolean; sigProxy?: boolean }

export async function runInForeground(positional: string[], flags: RunVerbFlags, globals: GlobalOptions): Promise<number> {
  const shown = shownStreams(flags)
  if (flags.cidfile) checkCidFile(flags.cidfile)
  const { prepareContainer } = await import('../runtime/container/prepare.js')
  const prepared = await prepareContainer(runOptionsOf(positional, flags, globals), false)
  for (const warning of prepared.warnings) process.stderr.write(`mini-run: ${warning}\n`)
  if (flags.cidfile) writeCidFile(flags.cidfile, prepared.id)
  // with neither output stream shown, Docker prints the container's id (run.go's waitDisplayID)
  if (!shown.stdout && !shown.stderr) process.stdout.write(`${prepared.id}\n`)
  try {
    const { runPrepared } = await import('../runtime/container/run-foreground.js')
    // Without -i the container's stdin is /dev/null, as in Docker.
    const stdin = flags.interactive || flags.tty ? 0 : openSync('/dev/null', 'r')
    // a stream -a does not name goes nowhere, as Docker's attach leaves it out
    let hidden: number | undefined
    const output = (fd: 1 | 2, show: boolean) => (show ? fd : (hidden ??= openSync('/dev/null', 'w')))
    const stdio: [number, number, number] = [stdin, output(1, shown.stdout), output(2, shown.stderr)]
    // --sig-proxy=false: the CLI keeps its signals (kept-signals.ts)
    // (with -t the terminal is raw: put back before the forced exit's line)
    const signals = flags.sigProxy === false ? await import('./kept-signals.js') : undefined
    const kept = signals ? { ownSignal: signals.keptSignalCounter(signals.restoreTerminal) } : {}
    return await runPrepared(prepared, { stdio, forwardSignals: true, ...kept, interactive: flags.interactive === true, output: shown.stdout }, { remove: flags.rm === true, layerAfterExit: true })
  } catch (err) {
    // a start that fails leaves nothing, its id file included
    if (flags.cidfile) rmSync(flags.cidfile, { force: true })
    throw err
  }
}
