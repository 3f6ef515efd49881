/** `exec [--process FILE | ID COMMAND...] [--tty] [--console-socket S] [--pid-file F] [--detach] ID`. */
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { MiniRunError } from '../../../errors.js'
import { readHostSecurity } from '../../../oci/config/host-security.js'
import { readProcessFile } from '../../../oci/config/process.js'
import { execOci, execProcess } from '../../../oci/exec.js'
import { checkPreserveFds } from './create.js'
import { contextOf, warnAll } from '../context.js'

interface Flags {
  process?: string
  tty?: boolean
  consoleSocket?: string
  pidFile?: string
  detach?: boolean
  cwd?: string
  env: string[]
  user?: string
  additionalGids: string[]
  cap: string[]
  noNewPrivs?: boolean
  preserveFds: string
}

const collect = (v: string, all: string[]) => [...all, v]

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a new process in a running container')
    .argument('<id>', 'the container id')
    .argument('[command...]', 'the command and its arguments (without --process)')
    .option('-p, --process <file>', 'a process.json: the whole process (runtime spec config.md "Process")')
    .option('-t, --tty', 'a pty for the process')
    .option('--console-socket <path>', 'a unix socket to send the pty master to')
    .option('--pid-file <file>', 'write the process\'s pid here')
    .option('-d, --detach', 'return once the process runs')
    .option('--cwd <dir>', 'its working directory')
    .option('-e, --env <KEY=VALUE>', 'an environment variable (repeatable)', collect, [])
    .option('-u, --user <uid[:gid]>', 'its user')
    .option('-g, --additional-gids <gid>', 'a supplementary group (repeatable)', collect, [])
    .option('-c, --cap <cap>', 'a capability to add (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('--preserve-fds <n>', 'only 0 is supported', '0')
    .option('--process-label <label>', 'accepted: mini-run has no SELinux')
    .option('--apparmor <profile>', 'accepted: mini-run has no AppArmor')
    .passThroughOptions()
    .action(async (id: string, command: string[], o: Flags, cmd: Command) => {
      const ctx = contextOf(cmd)
      checkPreserveFds(o.preserveFds)
      const warnings: string[] = []
      let process
      if (o.process) {
        let json: unknown
        try {
          json = JSON.parse(readFileSync(o.process, 'utf8'))
        } catch (err) {
          throw new MiniRunError(`--process ${o.process}: ${(err as Error).message}`, { cause: err })
        }
        process = readProcessFile(json, readHostSecurity(), warnings)
      } else {
        const gids = o.additionalGids.map((g) => {
          if (!/^\d+$/.test(g)) throw new MiniRunError(`--additional-gids ${g}: a number`, { code: 'EUSAGE' })
          return Number(g)
        })
        process = (base: Parameters<typeof execProcess>[0]) => execProcess(base, {
          args: command, tty: o.tty === true, env: o.env, caps: o.cap, additionalGids: gids, noNewPrivs: o.noNewPrivs === true,
          ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.user ? { user: o.user } : {}),
        })
      }
      warnAll(ctx, warnings)
      const code = await execOci({
        root: ctx.root, id, process, detach: o.detach === true,
        ...(o.consoleSocket ? { consoleSocket: o.consoleSocket } : {}), ...(o.pidFile ? { pidFile: o.pidFile } : {}),
      })
      if (code !== undefined) globalThis.process.exitCode = code
    })
}
