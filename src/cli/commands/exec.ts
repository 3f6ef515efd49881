import type { Command } from 'commander'
import { openSync } from 'node:fs'
import { stateRootOf } from '../state-root.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface ExecFlags {
  interactive?: boolean
  tty?: boolean
  env: string[]
  workdir?: string
  user?: string
  explain?: boolean
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('run a command in a running container (its namespaces, cgroup, capabilities and user rules)')
    .usage('[options] CONTAINER COMMAND [ARG...]')
    .argument('<container>')
    .argument('<command...>')
    .option('-i, --interactive', 'keep stdin attached')
    .option('-t, --tty', 'give the command a pseudo-terminal')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid, resolved in the container\'s /etc/passwd')
    .option('--explain', 'print the steps that would run, and exit')
    .passThroughOptions()
    .action(async (ref: string, command: string[], flags: ExecFlags, cmd: Command) => {
      const { findContainer } = await import('../../runtime/container/containers.js')
      const { execInContainer } = await import('../../runtime/container/exec-container.js')
      const c = findContainer(stateRootOf(cmd), ref)
      const tty = flags.tty === true
      process.exitCode = await execInContainer(c, {
        command,
        env: flags.env,
        ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
        ...(flags.user !== undefined ? { user: flags.user } : {}),
        tty,
        ...(tty && process.stdout.isTTY ? { consoleSize: { height: process.stdout.rows, width: process.stdout.columns } } : {}),
        stdio: [flags.interactive || tty ? 0 : openSync('/dev/null', 'r'), 1, 2],
        forwardSignals: true,
        ...(flags.explain
          ? { plan: (plan) => import('../../runtime/plan/explain.js').then(({ formatPlan }) => process.stdout.write(formatPlan(plan))) }
          : {}),
      })
    })
}
