import type { Command } from 'commander'
import { openSync } from 'node:fs'
import { UsageError } from '../../errors.js'
import { explainFormat } from '../explain-format.js'
import { globalOptions, type GlobalOptions } from '../global-options.js'
import type { RunOptions } from '../../runtime/container/run-options.js'
import { runOptionsFromFlags, type RunFlags as DockerRunFlags } from '../../runtime/container/run-flags.js'
import { selfCommand } from '../self-command.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface RunFlags extends DockerRunFlags {
  explain?: string | boolean
  pull?: string
  platform?: string
  insecureRegistry: string[]
  /** commander's name for --no-healthcheck */
  healthcheck?: boolean
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a command in a new container')
    .usage('[options] IMAGE [COMMAND] [ARG...]\n       mini-run run [options] --rootfs DIR COMMAND [ARG...]')
    .argument('[image-and-command...]')
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background under a monitor and print the container id')
    .option('--rootfs <dir>', 'run in this root filesystem directory instead of an image (podman)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable; KEY alone copies yours)', collect, [])
    .option('--env-file <file>', 'read variables from a file, one KEY=VALUE (or KEY) a line (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid, resolved in the image\'s /etc/passwd')
    .option('-h, --hostname <name>', 'container hostname (default: the first 12 characters of its id)')
    .option('--name <name>', 'container name')
    .option('--read-only', 'mount the root filesystem read-only')
    .option('-v, --volume <src:container[:ro]>', 'bind a host path (absolute, or ./relative), or mount a volume by name (made on first use) or anonymous (-v /path) (repeatable)', collect, [])
    .option('--mount <type=bind|volume|tmpfs,...>', 'a bind (source=,target=,readonly), volume (source=,target=,readonly,volume-nocopy) or tmpfs (target=,tmpfs-size=) mount (repeatable)', collect, [])
    .option('--tmpfs <container[:options]>', 'a tmpfs at this path (default nosuid,noexec,nodev; repeatable)', collect, [])
    .option('--entrypoint <cmd>', 'override the image\'s entrypoint ("" clears it)')
    .option('-i, --interactive', 'keep stdin attached')
    .option('-t, --tty', 'give the container a pseudo-terminal')
    .option('--init', 'run a minimal init as PID 1 that reaps zombies and forwards signals')
    .option('--cap-add <cap>', 'add a capability (repeatable; ALL for every one)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability (repeatable; ALL for every one)', collect, [])
    .option('--security-opt <option>', 'seccomp=unconfined to run without the default seccomp filter; no-new-privileges (always on)', collect, [])
    .option('--network <mode>', 'bridge (the default: mini-run0, NAT, published ports), none (only lo), host (the host\'s stack and hostname), or a network\'s name; rootless: pasta')
    .option('--network-alias <alias>', 'another name the container has on a user-defined network (repeatable)', collect, [])
    .option('-p, --publish <[ip:][hostPort:]containerPort[/proto]>', 'publish a container port on the host (ranges: 8000-8010:8000-8010; repeatable)', collect, [])
    .option('-P, --publish-all', 'publish every port the image exposes, each on a free host port')
    .option('--dns <ip>', 'a nameserver for the container (repeatable)', collect, [])
    .option('--dns-search <domain>', 'a DNS search domain (repeatable)', collect, [])
    .option('--dns-option <option>', 'a resolv.conf option, e.g. ndots:2 (repeatable)', collect, [])
    .option('--add-host <name:ip>', 'a line for the container\'s /etc/hosts (repeatable)', collect, [])
    .option('--mac-address <mac>', 'the MAC address of the container\'s eth0')
    .option('--ip <address>', 'the container\'s address on its network (default: the next free one)')
    .option('--pid <mode>', 'host: see and signal the host\'s processes (no PID namespace)')
    .option('--ipc <mode>', 'host: the host\'s System V IPC and POSIX message queues')
    .option('--uts <mode>', 'host: the host\'s hostname (no UTS namespace)')
    .option('--group-add <group>', 'an additional group, by name (in the image\'s /etc/group) or number (repeatable)', collect, [])
    .option('--stop-signal <signal>', 'the signal stop sends first (default: the image\'s StopSignal, or SIGTERM)')
    .option('--stop-timeout <seconds>', 'how long stop waits before SIGKILL (default 10)')
    .option('--ulimit <name=soft[:hard]>', 'a resource limit, e.g. nofile=1024:2048 (-1: unlimited; repeatable)', collect, [])
    .option('--log-opt <key=value>', 'run -d\'s json-file log: max-size=20m, max-file=5 (the defaults; repeatable)', collect, [])
    .option('-l, --label <KEY=VALUE>', 'set a label on the container (repeatable)', collect, [])
    .option('--health-cmd <command>', 'a command to check the container\'s health (run by sh -c; 0 healthy, 1 unhealthy)')
    .option('--health-interval <duration>', 'time between checks (e.g. 30s, the default; 1m30s)')
    .option('--health-timeout <duration>', 'how long a check may run (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time to start before failures count (default 0s)')
    .option('--health-start-interval <duration>', 'time between checks during the start period (default 5s)')
    .option('--no-healthcheck', 'disable the image\'s HEALTHCHECK')
    .option('--userns <mode>', 'user namespace: "host" (default as root) or "auto"')
    .option('-m, --memory <bytes>', 'memory limit (e.g. 32m, 1g): cgroup v2 memory.max')
    .option('--memory-swap <bytes>', 'memory plus swap limit; -1 for unlimited swap (default: twice --memory)')
    .option('--pids-limit <n>', 'maximum number of tasks: pids.max (-1 for unlimited)')
    .option('--cpus <n>', 'number of CPUs, e.g. 0.5: cpu.max')
    .option('-c, --cpu-shares <n>', 'relative CPU weight (1024 = default): cpu.weight')
    .option('--cgroup-parent <path>', 'parent cgroup, relative to the cgroup v2 root (default: mini-run)')
    .option('--pull <policy>', 'pull the image: missing, always or never', 'missing')
    .option('--platform <os/arch[/variant]>', 'platform of the image to pull (default: the host\'s)')
    .option('--insecure-registry <host>', 'allow plain HTTP to this registry (repeatable)', collect, [])
    .option('--explain [format]', 'print every step that would start the container, with its reason, and exit (--explain=json for tools)')
    .helpOption('--help', 'display help for command')
    .passThroughOptions()
    .action(async (positional: string[], flags: RunFlags, cmd: Command) => {
      process.exitCode = await runCommand(positional, flags, cmd)
    })
}

async function runCommand(positional: string[], flags: RunFlags, cmd: Command): Promise<number> {
  const explain = explainFormat(flags.explain, positional)
  const { prepareContainer } = await import('../../runtime/container/prepare.js')
  const prepared = await prepareContainer(runOptionsOf(positional, flags, globalOptions(cmd)), explain !== undefined)
  for (const warning of prepared.warnings) process.stderr.write(`mini-run: ${warning}\n`)
  if (explain !== undefined) {
    const { formatPlan, planJson } = await import('../../runtime/plan/explain.js')
    process.stdout.write(explain === 'json' ? planJson(prepared.plan) : formatPlan(prepared.plan))
    return 0
  }
  if (flags.detach) {
    const { startDetached } = await import('../../runtime/container/start-detached.js')
    process.stdout.write(`${await startDetached(prepared)}\n`)
    return 0
  }
  const { runPrepared } = await import('../../runtime/container/run-foreground.js')
  // Without -i the container's stdin is /dev/null, as in Docker.
  const stdin = flags.interactive || flags.tty ? 0 : openSync('/dev/null', 'r')
  return runPrepared(prepared, { stdio: [stdin, 1, 2], forwardSignals: true }, { remove: flags.rm === true })
}

/** Docker's flags as the runtime's RunOptions (run-flags.ts), with this CLI's image resolution and pull progress. */
function runOptionsOf(positional: string[], flags: RunFlags, global: GlobalOptions): RunOptions {
  if (flags.rootfs === undefined && positional.length === 0) throw new UsageError('"run" requires at least 1 argument: an image (or --rootfs DIR)')
  if (flags.pull && !['missing', 'always', 'never'].includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": use missing, always or never`)
  const image = flags.rootfs === undefined ? positional[0] : undefined
  return runOptionsFromFlags(image, flags.rootfs === undefined ? positional.slice(1) : positional, { ...flags, noHealthcheck: flags.healthcheck === false }, {
    storeRoot: global.root,
    stateRoot: global.state,
    selfCommand: selfCommand(global),
    consoleSize: process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
    resolveImage: async (ref: string, storeRoot: string) => {
      const { resolveForRun } = await import('../resolve-image.js')
      return resolveForRun(ref, storeRoot, (flags.pull ?? 'missing') as 'missing' | 'always' | 'never', {
        ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
        insecureRegistries: flags.insecureRegistry,
      })
    },
  })
}
