#!/usr/bin/env node
/**
 * mini-run's command line. One file per verb under commands/; this file only
 * wires them up: runc's command line or mini-run's own (cli-program.ts).
 */
import { cliMain } from './cli-program.js'
import { registerCommands } from './commands/index.js'
import { settleMain } from './main-exit.js'
import { ociArgs } from './oci/detect.js'

export async function main(argv: string[]): Promise<number> {
  // runc's command line (podman, containerd): its own program (oci/detect.ts)
  const oci = ociArgs(argv)
  if (oci) return (await import('./oci/main.js')).ociMain(oci)
  return cliMain(argv, registerCommands)
}

/**
 * Run the command line and set the process's exit code. The bundle runs it
 * at once, unless the launcher loaded it ahead of its line (a pre-started
 * child of `system service`: warm-line.ts), which then calls it.
 */
function runMain(argv: string[]): void {
  settleMain(main(argv))
}

const deferred = Symbol.for('mini-run.deferred-main')
const launcher = globalThis as Record<symbol, unknown>
if (launcher[deferred] === true) launcher[deferred] = runMain
else runMain(process.argv)
