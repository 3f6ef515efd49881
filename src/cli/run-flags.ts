/**
 * The flags `run` and `create` share (Docker's container options) as
 * commander options, and what the CLI adds to their translation into
 * RunOptions (runtime/container/container-flags.ts, which compose uses
 * too): the verb's rules, image resolution with pull progress, and this
 * CLI as the command the monitor and the health runner run later.
 */
import type { Command } from 'commander'
import { UsageError } from '../errors.js'
import type { GlobalOptions } from './global-options.js'
import * as pathDefaults from '../paths.js'
import { runOptionsFromFlags, type ContainerFlags } from '../runtime/container/container-flags.js'
import { parseRestartPolicy } from '../runtime/container/restart-policy.js'
import type { RunOptions } from '../runtime/container/run-options.js'

const collect = (value: string, previous: string[]) => [...previous, value]

/** The container flags (container-flags.ts), and those only the CLI reads. */
export interface RunFlags extends ContainerFlags {
  explain?: string | boolean
  pull?: string
  platform?: string
  insecureRegistry: string[]
  cidfile?: string
  detachKeys?: string
  /** commander's name for --no-healthcheck */
  healthcheck?: boolean
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
    .option('--health-cmd <command>', 'a command to check the container\'s health (run by sh -c; 0 healthy, 1 unhealthy)')
    .option('--health-interval <duration>', 'time between checks (e.g. 30s, the default; 1m30s)')
    .option('--health-timeout <duration>', 'how long a check may run (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time to start before failures count (default 0s)')
    .option('--health-start-interval <duration>', 'time between checks during the start period (default 5s)')
    .option('--no-healthcheck', 'disable the image\'s HEALTHCHECK')
}

/** Docker's flags as the runtime's RunOptions (container-flags.ts), with this CLI's image resolution and pull progress. */
export function runOptionsOf(positional: string[], flags: RunFlags, global: GlobalOptions, verb: 'run' | 'create' = 'run'): RunOptions {
  if (flags.rootfs === undefined && positional.length === 0) throw new UsageError(`"${verb}" requires at least 1 argument: an image (or --rootfs DIR)`)
  // create: every start is detached, under a monitor; so is an attached run (attachedRun)
  const attached = verb === 'run' && attachedRun(flags)
  if (flags.pull && !['missing', 'always', 'never'].includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": use missing, always or never`)
  const image = flags.rootfs === undefined ? positional[0] : undefined
  const command = flags.rootfs === undefined ? positional.slice(1) : positional
  const detach = flags.detach || verb === 'create' || attached
  return runOptionsFromFlags(image, command, { ...flags, detach, noHealthcheck: flags.healthcheck === false }, {
    storeRoot: global.root,
    stateRoot: global.state,
    selfCommand: selfCommand(global),
    waitAttach: attached,
    // only a -t container has a console; without one, process.stdout stays
    // unmade (making it loads Node's streams, 2 ms)
    consoleSize: flags.tty && process.stdout.isTTY ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
    resolveImage: async (ref: string, storeRoot: string) => {
      const { resolveForRun } = await import('./resolve-image.js')
      return resolveForRun(ref, storeRoot, (flags.pull ?? 'missing') as 'missing' | 'always' | 'never', {
        ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
        insecureRegistries: flags.insecureRegistry,
      })
    },
  })
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
 * The argv that runs this very CLI again with this command's store and
 * state: the monitor's exit command and a health runner are made of it, run
 * after this process is gone; compose's context too. As the executable's #!
 * line runs it: "--" ends Node's own options, or Node 20 would read an
 * --env-file anywhere in argv (nodejs/node#54232).
 */
export function selfCommand(global: GlobalOptions): string[] {
  return [process.execPath, '--', process.argv[1]!, ...globalArgs(global)]
}

/** The global options again, for a command the monitor runs later (its store and state are this one's). */
export function globalArgs(global: GlobalOptions): string[] {
  const { defaultStateRoot, defaultStoreRoot } = pathDefaults
  return ['--root', global.root ?? defaultStoreRoot(), '--state', global.state ?? defaultStateRoot()]
}
