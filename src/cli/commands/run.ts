import type { Command } from 'commander'
import { openSync } from 'node:fs'
import { UsageError } from '../../errors.js'
import { readEnvFiles } from '../env-file.js'
import { explainFormat } from '../explain-format.js'
import { globalOptions, type GlobalOptions } from '../global-options.js'
import * as pathDefaults from '../../paths.js'
import type { RunOptions } from '../../runtime/container/run-options.js'

const collect = (value: string, previous: string[]) => [...previous, value]

interface RunFlags {
  rm?: boolean
  detach?: boolean
  rootfs?: string
  env: string[]
  workdir?: string
  user?: string
  hostname?: string
  name?: string
  readOnly?: boolean
  entrypoint?: string
  interactive?: boolean
  tty?: boolean
  init?: boolean
  capAdd: string[]
  capDrop: string[]
  userns?: string
  cgroupParent?: string
  explain?: string | boolean
  pull?: string
  memory?: string
  memorySwap?: string
  pidsLimit?: string
  cpus?: string
  cpuShares?: string
  platform?: string
  insecureRegistry: string[]
  volume: string[]
  mount: string[]
  tmpfs: string[]
  securityOpt: string[]
  privileged?: boolean
  device: string[]
  deviceCgroupRule: string[]
  ulimit: string[]
  logOpt: string[]
  envFile: string[]
  groupAdd: string[]
  stopSignal?: string
  stopTimeout?: string
  network?: string
  pid?: string
  ipc?: string
  uts?: string
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
    .option('--security-opt <option>', 'seccomp=unconfined (no filter) or seccomp=FILE (a profile in Docker\'s format); no-new-privileges[=true|false] (on by default)', collect, [])
    .option('--privileged', 'every capability mini-run holds, no seccomp, no masked paths, /sys writable, the host\'s devices')
    .option('--device <host[:container][:rwm]>', 'a host device node in the container, guarded by the device cgroup (repeatable)', collect, [])
    .option('--device-cgroup-rule <rule>', 'allow a device in the device cgroup: "c 10:229 rwm" (repeatable)', collect, [])
    .option('--network <mode>', 'none (the default: only lo) or host (the host\'s network stack and hostname)')
    .option('--pid <mode>', 'host: see and signal the host\'s processes (no PID namespace)')
    .option('--ipc <mode>', 'host: the host\'s System V IPC and POSIX message queues')
    .option('--uts <mode>', 'host: the host\'s hostname (no UTS namespace)')
    .option('--group-add <group>', 'an additional group, by name (in the image\'s /etc/group) or number (repeatable)', collect, [])
    .option('--stop-signal <signal>', 'the signal stop sends first (default: the image\'s StopSignal, or SIGTERM)')
    .option('--stop-timeout <seconds>', 'how long stop waits before SIGKILL (default 10)')
    .option('--ulimit <name=soft[:hard]>', 'a resource limit, e.g. nofile=1024:2048 (-1: unlimited; repeatable)', collect, [])
    .option('--log-opt <key=value>', 'run -d\'s json-file log: max-size=20m, max-file=5 (the defaults; repeatable)', collect, [])
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

function stopTimeoutOf(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid --stop-timeout "${text}": a whole number of seconds`)
  return Number(text)
}

/** Docker's --security-opt values that mean something here. */
function securityOptions(options: string[]): { seccomp?: false; seccompProfile?: string; noNewPrivileges?: boolean } {
  const out: { seccomp?: false; seccompProfile?: string; noNewPrivileges?: boolean } = {}
  for (const option of options) {
    const [key, value] = option.split(/[=:](.*)/s) as [string, string | undefined]
    if (key === 'seccomp' && value === 'unconfined') out.seccomp = false
    else if (key === 'seccomp' && value) out.seccompProfile = value
    else if (key === 'no-new-privileges' && (value === undefined || value === 'true')) out.noNewPrivileges = true
    else if (key === 'no-new-privileges' && value === 'false') out.noNewPrivileges = false
    else throw new UsageError(`--security-opt ${option}: not supported (seccomp=unconfined, seccomp=FILE, no-new-privileges[=true|false])`)
  }
  return out
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

/** Docker's flags as the runtime's RunOptions. */
function runOptionsOf(positional: string[], flags: RunFlags, global: GlobalOptions): RunOptions {
  if (flags.rootfs === undefined && positional.length === 0) throw new UsageError('"run" requires at least 1 argument: an image (or --rootfs DIR)')
  if (flags.pull && !['missing', 'always', 'never'].includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": use missing, always or never`)
  const tty = flags.tty === true
  return {
    image: flags.rootfs === undefined ? positional[0] : undefined,
    rootfs: flags.rootfs,
    command: flags.rootfs === undefined ? positional.slice(1) : positional,
    entrypoint: flags.entrypoint,
    env: [...readEnvFiles(flags.envFile), ...flags.env],
    workdir: flags.workdir,
    user: flags.user,
    hostname: flags.hostname,
    name: flags.name,
    readOnly: flags.readOnly === true,
    volumes: { volumes: flags.volume, mounts: flags.mount, tmpfs: flags.tmpfs },
    tty,
    init: flags.init === true,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    ...securityOptions(flags.securityOpt),
    privileged: flags.privileged === true,
    devices: flags.device,
    deviceCgroupRules: flags.deviceCgroupRule,
    ulimits: flags.ulimit,
    logOpts: flags.logOpt,
    groupAdd: flags.groupAdd,
    stopSignal: flags.stopSignal,
    stopTimeout: flags.stopTimeout !== undefined ? stopTimeoutOf(flags.stopTimeout) : undefined,
    network: flags.network,
    pid: flags.pid,
    ipc: flags.ipc,
    uts: flags.uts,
    userns: flags.userns,
    cgroupParent: flags.cgroupParent,
    resources: { memory: flags.memory, memorySwap: flags.memorySwap, pidsLimit: flags.pidsLimit, cpus: flags.cpus, cpuShares: flags.cpuShares },
    storeRoot: global.root,
    stateRoot: global.state,
    consoleSize: tty && process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
    // --rm: once the container exits, its monitor runs this very CLI to remove
    // it, as the executable's #! line does: "--" ends Node's own options, or
    // Node 20 would read an --env-file anywhere in argv (nodejs/node#54232)
    detach: flags.detach
      ? {
          interactive: flags.interactive === true,
          exitCommand: flags.rm ? (id) => [process.execPath, '--', process.argv[1]!, ...globalArgs(global), 'rm', '-f', '-v', id] : undefined,
        }
      : undefined,
    resolveImage: async (ref: string, storeRoot: string) => {
      const { resolveForRun } = await import('../resolve-image.js')
      return resolveForRun(ref, storeRoot, (flags.pull ?? 'missing') as 'missing' | 'always' | 'never', {
        ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
        insecureRegistries: flags.insecureRegistry,
      })
    },
  }
}

/** The global options again, for a command the monitor runs later (its store and state are this one's). */
function globalArgs(global: GlobalOptions): string[] {
  const { defaultStateRoot, defaultStoreRoot } = pathDefaults
  return ['--root', global.root ?? defaultStoreRoot(), '--state', global.state ?? defaultStateRoot()]
}
