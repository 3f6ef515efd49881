/**
 * What every OCI verb needs from the global flags: the state root and the
 * log (oci-log.ts). Read from the command's options merged with the
 * program's (commander's optsWithGlobals).
 */
import type { Command } from 'commander'
import { defaultOciRoot } from '../../oci/oci-state.js'
import { openOciLog, type OciLog } from './oci-log.js'

export interface OciContext {
  root: string
  log: OciLog
}

let log: OciLog | undefined

/** The log of this run, opened once from the global flags. */
export function ociLog(globals: { log?: string; logFormat?: string; debug?: boolean } = {}): OciLog {
  log ??= openOciLog({ ...(globals.log ? { file: globals.log } : {}), ...(globals.logFormat ? { format: globals.logFormat } : {}), debug: globals.debug === true })
  return log
}

export function contextOf(cmd: Command): OciContext {
  const o = cmd.optsWithGlobals() as { root?: string; log?: string; logFormat?: string; debug?: boolean }
  return { root: o.root ?? defaultOciRoot(), log: ociLog(o) }
}

/** Warnings of the library go to the log (stderr without --log). */
export function warnAll(ctx: OciContext, warnings: readonly string[]): void {
  for (const w of warnings) ctx.log.warn(w)
}
