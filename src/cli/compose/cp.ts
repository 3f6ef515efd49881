/**
 * `compose cp SERVICE:SRC DEST` and `compose cp SRC SERVICE:DEST`: the
 * arguments read as `cp` reads them, "-" a tar stream on stdin or stdout.
 */
import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { splitCpArg } from '../commands/cp.js'
import { writeDrained } from '../write-stdout.js'
import { contextFor, loadFor } from './context.js'
import { indexFlag } from './service-verbs.js'

export interface ComposeCpFlags {
  index?: string
  all?: boolean
  archive?: boolean
  followLink?: boolean
}

export async function cpCommand(srcArg: string, dstArg: string, flags: ComposeCpFlags, cmd: Command): Promise<void> {
  const src = splitCpArg(srcArg)
  const dst = splitCpArg(dstArg)
  if (src.container && dst.container) throw new UsageError('copying between services is not supported')
  if (!src.container && !dst.container) throw new UsageError('must specify at least one service source')
  const index = indexFlag(flags.index)
  const project = await loadFor(cmd, [(src.container ?? dst.container)!], { byName: true })
  const ctx = await contextFor(cmd)
  const { copyWithService } = await import('../../compose/copy.js')
  const o = { archive: flags.archive === true, followLink: flags.followLink === true }
  const common = { ...(index !== undefined ? { index } : {}), all: flags.all === true }
  if (src.container) {
    const host = dst.path === '-' ? { write: (chunk: Buffer) => writeDrained(process.stdout, chunk) } : dst.path
    await copyWithService(ctx, project, { ...common, service: src.container, containerPath: src.path, direction: 'out', host }, o)
    return
  }
  await copyWithService(ctx, project, { ...common, service: dst.container!, containerPath: dst.path, direction: 'in', host: src.path === '-' ? process.stdin : src.path }, o)
}
