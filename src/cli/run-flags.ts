/**
 * The flags `run` and `create` share (Docker's container options), and
 * their translation into the runtime's RunOptions.
 */
import type { Command } from 'commander'
import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { readEnvFiles } from './env-file.js'
import type { GlobalOptions } from './global-options.js'
import * as pathDefaults from '../paths.js'
import { parseSize } from '../runtime/cgroup/cgroup-limits.js'
import { parseRestartPolicy } from '../runtime/container/restart-policy.js'
import type { RunOptions } from '../runtime/container/run-options.js'

const collect = (value: string, previous: string[]) => [...previous, value]

export interface RunFlags {
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
  networkAlias: string[]
  publish: string[]
  publishAll?: boolean
  dns: string[]
  dnsSearch: string[]
  dnsOption: string[]
  addHost: string[]
  macAddress?: string
  ip?: string
  pid?: string
  ipc?: string
  uts?: string
  restart?: string
  label: string[]
  labelFile: string[]
  cidfile?: string
  shmSize?: string
  logDriver?: string
  detachKeys?: string
}

/** Every container flag of `run` and `create`. */
export function addRunFlags(cmd: Command): Command {
  return cmd
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
    .option('--restart <policy>', 'restart policy when the container exits: no, on-failure[:max-retries], always, unless-stopped')
    .option('-l, --label <key=value>', 'set a label on the container (repeatable)', collect, [])
    .option('--label-file <file>', 'read labels from a file, one KEY=VALUE a line (repeatable)', collect, [])
    .option('--cidfile <file>', 'write the container id to this file')
    .option('--shm-size <bytes>', 'size of /dev/shm (default 64m)')
    .option('--log-driver <driver>', 'json-file (the default) or none')
    .option('--detach-keys <keys>', 'the key sequence that detaches from the container (default ctrl-p,ctrl-q)')
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

/** Docker's flags as the runtime's RunOptions. */
export function runOptionsOf(positional: string[], flags: RunFlags, global: GlobalOptions, verb: 'run' | 'create' = 'run'): RunOptions {
  if (flags.rootfs === undefined && positional.length === 0) throw new UsageError(`"${verb}" requires at least 1 argument: an image (or --rootfs DIR)`)
  const restart = flags.restart !== undefined ? parseRestartPolicy(flags.restart) : undefined
  if (restart && restart.name !== 'no' && flags.rm) throw new UsageError('Conflicting options: --restart and --rm')
  // create: every start is detached, under a monitor; so is an attached run (attachedRun)
  const attached = verb === 'run' && attachedRun(flags)
  const detach = flags.detach || verb === 'create' || attached
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
    networkFlags: {
      aliases: flags.networkAlias,
      publish: flags.publish,
      publishAll: flags.publishAll === true,
      dns: flags.dns,
      dnsSearch: flags.dnsSearch,
      dnsOption: flags.dnsOption,
      addHost: flags.addHost,
      macAddress: flags.macAddress,
      ip: flags.ip,
    },
    pid: flags.pid,
    ipc: flags.ipc,
    uts: flags.uts,
    userns: flags.userns,
    cgroupParent: flags.cgroupParent,
    resources: { memory: flags.memory, memorySwap: flags.memorySwap, pidsLimit: flags.pidsLimit, cpus: flags.cpus, cpuShares: flags.cpuShares },
    storeRoot: global.root,
    stateRoot: global.state,
    consoleSize: tty && process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
    // Once the container exits, its monitor runs `internal cleanup` of this
    // very CLI: it tears the network down and releases the cgroup, then
    // removes the container (--rm) or carries out its restart policy
    detach: detach
      ? {
          interactive: flags.interactive === true,
          waitAttach: attached || undefined,
          autoRemove: flags.rm === true,
          exitCommand: (id) => cliCommand(global, ['internal', 'cleanup', id]),
        }
      : undefined,
    ...(restart ? { restart } : {}),
    ...(flags.shmSize !== undefined ? { shmSize: shmSizeOf(flags.shmSize) } : {}),
    ...(flags.logDriver !== undefined ? { logDriver: logDriverOf(flags.logDriver) } : {}),
    labels: readLabels(flags.label, flags.labelFile),
    resolveImage: async (ref: string, storeRoot: string) => {
      const { resolveForRun } = await import('./resolve-image.js')
      return resolveForRun(ref, storeRoot, (flags.pull ?? 'missing') as 'missing' | 'always' | 'never', {
        ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
        insecureRegistries: flags.insecureRegistry,
      })
    },
  }
}

/**
 * `run -it` and `run --restart` in the foreground run under a monitor, and
 * the CLI attaches to it, as Docker's does: the detach keys can then leave
 * the container running, and a restart policy has someone to carry it out.
 * Every other foreground run stays the CLI's own child (no monitor, fewer
 * processes, the start-up path that is measured).
 */
export function attachedRun(flags: Pick<RunFlags, 'detach' | 'interactive' | 'tty' | 'restart'>): boolean {
  if (flags.detach) return false
  if (flags.interactive && flags.tty) return true
  return flags.restart !== undefined && parseRestartPolicy(flags.restart).name !== 'no'
}

/**
 * A command of this very CLI for the monitor to exec later, as the
 * executable's #! line runs it: "--" ends Node's own options, or Node 20
 * would read an --env-file anywhere in argv (nodejs/node#54232).
 */
function cliCommand(global: GlobalOptions, args: string[]): string[] {
  return [process.execPath, '--', process.argv[1]!, ...globalArgs(global), ...args]
}

/** --shm-size: Docker's sizes (64m, 1g, bytes); more than 0. */
function shmSizeOf(text: string): number {
  const bytes = parseSize(text, '--shm-size')
  if (bytes <= 0) throw new UsageError(`invalid --shm-size "${text}": must be greater than 0`)
  return bytes
}

function logDriverOf(text: string): 'json-file' | 'none' {
  if (text === 'json-file' || text === 'none') return text
  throw new UsageError(`--log-driver ${text}: not supported (json-file, none)`)
}

/** --label KEY=VALUE (KEY alone: an empty value) and --label-file, a label a line; later ones win. */
export function readLabels(labels: string[], files: string[]): Record<string, string> | undefined {
  const entries = [...files.flatMap((file) => readLabelFile(file)), ...labels]
  if (entries.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    const key = eq < 0 ? entry : entry.slice(0, eq)
    if (key === '') throw new UsageError(`invalid label '${entry}': empty name`)
    out[key] = eq < 0 ? '' : entry.slice(eq + 1)
  }
  return out
}

function readLabelFile(file: string): string[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new UsageError(`--label-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err })
  }
  return text.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '' && !l.startsWith('#'))
}

/** The global options again, for a command the monitor runs later (its store and state are this one's). */
export function globalArgs(global: GlobalOptions): string[] {
  const { defaultStateRoot, defaultStoreRoot } = pathDefaults
  return ['--root', global.root ?? defaultStoreRoot(), '--state', global.state ?? defaultStateRoot()]
}
