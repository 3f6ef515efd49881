import type { Command } from 'commander'
import { UsageError } from '../../errors.js'
import { stateRootOf } from '../state-root.js'
import { writeDrained } from '../write-stdout.js'

interface CpFlags {
  archive?: boolean
  followLink?: boolean
  quiet?: boolean
}

/** Docker's splitCpArg: CONTAINER:PATH, unless the argument is a local path (absolute, or starting with "."). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg }
  const colon = arg.indexOf(':')
  if (colon <= 0 || arg.slice(0, colon).includes('/')) return { path: arg }
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) }
}

export function register(program: Command): void {
  program
    .command('cp')
    .description('copy files between a container (running or not) and the host; "-" is a tar stream on stdin or stdout')
    .usage('[options] CONTAINER:SRC_PATH DEST_PATH|-\n       mini-run cp [options] SRC_PATH|- CONTAINER:DEST_PATH')
    .argument('<src>')
    .argument('<dest>')
    .option('-a, --archive', 'archive mode: keep uid and gid')
    .option('-L, --follow-link', 'follow a symlink given as SRC_PATH')
    .option('-q, --quiet', 'print nothing (accepted: mini-run prints no progress)')
    .action(async (srcArg: string, dstArg: string, flags: CpFlags, cmd: Command) => {
      const src = splitCpArg(srcArg)
      const dst = splitCpArg(dstArg)
      if (src.container && dst.container) throw new UsageError('copying between containers is not supported')
      if (!src.container && !dst.container) throw new UsageError('must specify at least one container source')
      const stateRoot = stateRootOf(cmd)
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { copyFromContainer, copyToContainer } = await import('../../runtime/container/copy/copy-container.js')
      const o = { archive: flags.archive === true, followLink: flags.followLink === true }
      if (src.container) {
        const c = findContainer(stateRoot, src.container)
        if (dst.path === '-') {
          await copyFromContainer(c, src.path, { write: (chunk) => writeDrained(process.stdout, chunk) }, o)
        } else await copyFromContainer(c, src.path, dst.path, o)
        return
      }
      const c = findContainer(stateRoot, dst.container!)
      await copyToContainer(c, src.path === '-' ? process.stdin : src.path, dst.path, o)
    })
}
