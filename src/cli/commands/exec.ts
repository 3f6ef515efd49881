import { Option, type Command } from 'commander'
import { openSync } from 'node:fs'
import { UsageError } from '../../errors.js'
import { stateRootOf } from '../state-root.js'
import { globalOptions } from '../global-options.js'
import { explainFormat } from '../explain-format.js'
import { refuseTtyWithoutTerminal } from '../tty-check.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface ExecFlags {
  detach?: boolean
  interactive?: boolean
  tty?: boolean
  env: string[]
  envFile: string[]
  privileged?: boolean
  workdir?: string
  user?: string
  explain?: string | boolean
  detachKeys?: string
  execId?: string
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a command in a running container (its namespaces, cgroup, capabilities and user rules)')
    .usage('[options] CONTAINER COMMAND [ARG...]')
    .argument('<container-and-command...>')
    .option('-d, --detach', 'start the command and leave it running in the container')
    .option('-i, --interactive', 'keep stdin attached')
    .option('-t, --tty', 'give the command a pseudo-terminal')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file, as run --env-file does (repeatable)', collect, [])
    .option('--privileged', 'give the command every capability (the container\'s seccomp filter and mounts stay)')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid, resolved in the container\'s /etc/passwd')
    .option('--detach-keys <keys>', 'with -it, the key sequence that detaches, leaving the command running (default ctrl-p,ctrl-q)')
    .option('--explain [format]', 'print every step that would run, with its reason, and exit (--explain=json for tools)')
    // the service's: the Docker API's exec id, for the exec's events and its record (exec-records.ts)
    .addOption(new Option('--exec-id <id>').hideHelp())
    .passThroughOptions()
    .action(async (positional: string[], flags: ExecFlags, cmd: Command) => {
      const explain = explainFormat(flags.explain, positional)
      const [ref, ...command] = positional
      if (ref === undefined || command.length === 0) throw new UsageError('"exec" requires a container and a command')
      // -d takes no input: a terminal as stdin is not needed (docker/cli checks it only for an attached exec)
      if (!explain && !flags.detach) refuseTtyWithoutTerminal(flags)
      // Docker's daemon refuses a sequence it cannot read, before the exec starts; with -it its CLI watches for it
      const keys = flags.detachKeys !== undefined || (flags.interactive && flags.tty) ? await import('../detach-keys.js') : undefined
      if (flags.detachKeys !== undefined) keys!.parseDetachKeys(flags.detachKeys)
      const detachFilter = flags.interactive && flags.tty ? keys!.detachFilter(flags.detachKeys) : undefined
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { execInContainer, prepareExec, stepFailedToStart } = await import('../../runtime/container/exec-container.js')
      const { readEnvFiles } = await import('../../runtime/spec/env-file.js')
      // Docker's ReadKVEnvStrings: the files first, then -e, the later winning
      const env = [...readEnvFiles(flags.envFile), ...flags.env]
      const stateRoot = stateRootOf(cmd)
      const c = findContainer(stateRoot, ref)
      const tty = flags.tty === true
      const { EXEC_ID, detachedExec } = await import('../../runtime/container/exec-records.js')
      if (flags.execId !== undefined && !EXEC_ID.test(flags.execId)) throw new UsageError(`invalid exec id: ${flags.execId}`)
      const { randomHex } = await import('../../random.js')
      const execID = flags.execId ?? randomHex(32)
      const plan = prepareExec(c, {
        command,
        env,
        privileged: flags.privileged === true,
        workdir: flags.workdir,
        user: flags.user,
        tty,
        consoleSize: tty && process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
        stateRoot,
        // its exit command says exec_die, with the code the monitor wrote
        ...(flags.detach && { detached: detachedExec(stateRoot, c.id, execID, (await import('../run-flags.js')).selfCommand(globalOptions(cmd))) }),
      })
      if (explain) {
        const { formatPlan, planJson } = await import('../../runtime/plan/explain.js')
        process.stdout.write(explain === 'json' ? planJson(plan) : formatPlan(plan, 'exec'))
        return
      }
      // Docker's exec events: the command in the action, the exec's id as an attribute
      const { containerEvent } = await import('../../events/container-events.js')
      const event = (action: string, extra: Record<string, string> = {}) =>
        containerEvent(stateRootOf(cmd), action === 'exec_die' ? action : `${action}: ${command.join(' ')}`, c, { execID, ...extra })
      event('exec_create')
      if (flags.detach) {
        const { execDetached } = await import('../../runtime/container/exec-detached.js')
        event('exec_start')
        await execDetached(stateRoot, c, plan, execID).catch(stepFailedToStart)
        return
      }
      const stdin = flags.interactive || tty ? 0 : openSync('/dev/null', 'r')
      event('exec_start')
      const result = await execInContainer(c, plan, { stdio: [stdin, 1, 2], forwardSignals: true, interactive: flags.interactive === true, detachFilter }).catch(stepFailedToStart)
      // detached: the command runs on (once this process exits, the host's reaper has it), and Docker's CLI says so
      if (result === 'detached') return void (process.exitCode = keys!.reportDetached())
      process.exitCode = result
      event('exec_die', { exitCode: String(process.exitCode) })
    })
}
