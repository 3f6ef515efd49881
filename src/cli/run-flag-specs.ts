/**
 * The flags `run` and `create` share (Docker's container options), given to
 * whatever takes options: commander's Command for every command line, and
 * the table the launcher's thin parser reads (run-line-parse.ts), so that
 * both know the same flags. Nothing here may import commander or the
 * runtime: the launcher includes this file.
 */

/** What addRunFlags needs of commander's Command: its option(). */
export interface OptionSink {
  option(flags: string, description: string, parse: (value: string, previous: string[]) => string[], defaultValue: string[]): this
  option(flags: string, description: string, defaultValue?: string): this
}

/** A repeatable flag's values, in order. */
export const collect = (value: string, previous: string[]) => [...previous, value]

/** Every container flag of `run` and `create`. */
export function addRunFlags<C extends OptionSink>(cmd: C): C {
  return cmd
    .option('--rootfs <dir>', 'run in this root filesystem directory instead of an image (podman)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable; KEY alone copies yours)', collect, [])
    .option('--env-file <file>', 'read variables from a file, one KEY=VALUE (or KEY) a line (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid, resolved in the image\'s /etc/passwd')
    .option('-h, --hostname <name>', 'container hostname (default: the first 12 characters of its id)')
    .option('--domainname <name>', 'container NIS domain name (kernel.domainname in its UTS namespace)')
    .option('--sysctl <key=value>', 'a kernel parameter of the container\'s own namespaces: net.*, fs.mqueue.*, kernel\'s System V IPC ones (repeatable)', collect, [])
    .option('--name <name>', 'container name')
    .option('--read-only', 'mount the root filesystem read-only')
    .option('-v, --volume <src:container[:ro]>', 'bind a host path (absolute, or ./relative), or mount a volume by name (made on first use) or anonymous (-v /path) (repeatable)', collect, [])
    .option('--mount <type=bind|volume|tmpfs,...>', 'a bind (source=,target=,readonly), volume (source=,target=,readonly,volume-nocopy) or tmpfs (target=,tmpfs-size=) mount (repeatable)', collect, [])
    .option('--volumes-from <container[:ro|rw]>', 'mount every volume and bind mount of this container at the same paths (ro: all read-only; repeatable)', collect, [])
    .option('--tmpfs <container[:options]>', 'a tmpfs at this path (default nosuid,noexec,nodev; repeatable)', collect, [])
    .option('--entrypoint <cmd>', 'override the image\'s entrypoint ("" clears it)')
    .option('-i, --interactive', 'keep stdin attached')
    .option('-t, --tty', 'give the container a pseudo-terminal')
    .option('--init', 'run a minimal init as PID 1 that reaps zombies and forwards signals')
    .option('--cap-add <cap>', 'add a capability (repeatable; ALL for every one)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability (repeatable; ALL for every one)', collect, [])
    .option('--security-opt <option>', 'seccomp=unconfined (no filter) or seccomp=FILE (a profile in Docker\'s format); no-new-privileges[=true|false] (on by default); apparmor=unconfined and label=disable accepted as no-ops (no AppArmor or SELinux here)', collect, [])
    .option('--privileged', 'every capability mini-run holds, no seccomp, no masked paths, /sys writable, the host\'s devices')
    .option('--device <host[:container][:rwm]>', 'a host device node in the container, guarded by the device cgroup (repeatable)', collect, [])
    .option('--device-cgroup-rule <rule>', 'allow a device in the device cgroup: "c 10:229 rwm" (repeatable)', collect, [])
    .option('--network <mode>', 'bridge (the default: mini-run0, NAT, published ports), none (only lo), host (the host\'s stack and hostname), container:NAME (join a running container\'s network), or a network\'s name; rootless: pasta. Repeat it to join more networks of your own; name=NET,alias=A,ip=IP,mac-address=MAC sets them per network', collect, [])
    .option('--network-alias <alias>', 'another name the container has on a user-defined network (repeatable)', collect, [])
    .option('-p, --publish <[ip:][hostPort:]containerPort[/proto]>', 'publish a container port on the host (ranges: 8000-8010:8000-8010; repeatable)', collect, [])
    .option('-P, --publish-all', 'publish every exposed port (the image\'s EXPOSE and --expose), each on a free host port')
    .option('--expose <port[-end][/proto]>', 'expose a port or a range of ports without publishing it (-P publishes it; repeatable)', collect, [])
    .option('--dns <ip>', 'a nameserver for the container (repeatable)', collect, [])
    .option('--dns-search <domain>', 'a DNS search domain (repeatable)', collect, [])
    .option('--dns-option <option>', 'a resolv.conf option, e.g. ndots:2 (repeatable)', collect, [])
    .option('--add-host <name:ip>', 'a line for the container\'s /etc/hosts (repeatable)', collect, [])
    .option('--link <name[:alias]>', 'reach a running container by alias, name and hostname (/etc/hosts); on the default bridge, also Docker\'s ALIAS_PORT_* and ALIAS_ENV_* variables (repeatable; legacy: a network of your own has DNS)', collect, [])
    .option('--mac-address <mac>', 'the MAC address of the container\'s eth0')
    .option('--ip <address>', 'the container\'s address on its network (default: the next free one)')
    .option('--ip6 <address>', 'its IPv6 address, on a network with IPv6 (network create --ipv6; default: the next free one)')
    .option('--pid <mode>', 'host: see and signal the host\'s processes (no PID namespace); container:NAME: another container\'s')
    .option('--ipc <mode>', 'host: the host\'s System V IPC and POSIX message queues; container:NAME: another container\'s; private, shareable')
    .option('--uts <mode>', 'host: the host\'s hostname (no UTS namespace)')
    .option('--cgroupns <mode>', 'private (the default: /sys/fs/cgroup and /proc/self/cgroup rooted at its own cgroup) or host (the host\'s cgroup namespace: the whole tree, read-only)')
    .option('--group-add <group>', 'an additional group, by name (in the image\'s /etc/group) or number (repeatable)', collect, [])
    .option('--stop-signal <signal>', 'the signal stop sends first (default: the image\'s StopSignal, or SIGTERM)')
    .option('--stop-timeout <seconds>', 'how long stop waits before SIGKILL (default 10; -1: for ever)')
    .option('--ulimit <name=soft[:hard]>', 'a resource limit, e.g. nofile=1024:2048 (-1: unlimited; repeatable)', collect, [])
    .option('--log-opt <key=value>', 'run -d\'s json-file log: max-size=20m, max-file=5 (the defaults; repeatable)', collect, [])
    .option('--userns <mode>', 'user namespace: "host" (default as root) or "auto"')
    .option('-m, --memory <bytes>', 'memory limit (e.g. 32m, 1g): cgroup v2 memory.max')
    .option('--memory-swap <bytes>', 'memory plus swap limit; -1 for unlimited swap (default: twice --memory)')
    .option('--pids-limit <n>', 'maximum number of tasks: pids.max (-1 for unlimited)')
    .option('--cpus <n>', 'number of CPUs, e.g. 0.5: cpu.max')
    .option('-c, --cpu-shares <n>', 'relative CPU weight (1024 = default): cpu.weight')
    .option('--cpu-period <us>', 'the CFS period in microseconds (1000-1000000), with --cpu-quota: cpu.max')
    .option('--cpu-quota <us>', 'microseconds of CPU time per period (-1: unlimited): cpu.max')
    .option('--cpuset-cpus <list>', 'the CPUs it may run on, e.g. 0-2,4: cpuset.cpus')
    .option('--cpuset-mems <list>', 'the memory nodes it may use (NUMA), e.g. 0: cpuset.mems')
    .option('--memory-swappiness <n>', 'how readily the kernel swaps the container\'s anonymous pages, 0 to 100 (-1: the host\'s): cgroup v1 only')
    .option('--oom-kill-disable', 'do not let the OOM killer kill the container\'s processes at its memory limit: cgroup v1 only')
    .option('--blkio-weight <n>', 'relative block I/O weight, 10 to 1000 (0: none): io.weight')
    .option('--blkio-weight-device <dev:weight>', 'a block device\'s weight, e.g. /dev/sda:200: io.weight (repeatable)', collect, [])
    .option('--device-read-bps <dev:rate>', 'read at most this many bytes a second from a device, e.g. /dev/sda:1mb: io.max (repeatable)', collect, [])
    .option('--device-write-bps <dev:rate>', 'write at most this many bytes a second to a device: io.max (repeatable)', collect, [])
    .option('--device-read-iops <dev:rate>', 'at most this many reads a second from a device: io.max (repeatable)', collect, [])
    .option('--device-write-iops <dev:rate>', 'at most this many writes a second to a device: io.max (repeatable)', collect, [])
    .option('--memory-reservation <bytes>', 'a soft limit the kernel reclaims down to under memory pressure: memory.low')
    .option('--cgroup-parent <path>', 'parent cgroup, relative to the cgroup v2 root (default: mini-run)')
    .option('--pull <policy>', 'pull the image: missing, always or never', 'missing')
    .option('--platform <os/arch[/variant]>', 'platform of the image to pull (default: the host\'s)')
    .option('-q, --quiet', 'suppress the pull output')
    .option('--insecure-registry <host>', 'allow plain HTTP to this registry (repeatable)', collect, [])
    .option('--restart <policy>', 'restart policy when the container exits: no, on-failure[:max-retries], always, unless-stopped')
    .option('-l, --label <key=value>', 'set a label on the container (repeatable)', collect, [])
    .option('--label-file <file>', 'read labels from a file, one KEY=VALUE a line (repeatable)', collect, [])
    .option('--annotation <key=value>', 'an annotation in the container\'s OCI spec, metadata for the runtime, as Docker passes it (inspect: HostConfig.Annotations; repeatable)', collect, [])
    .option('--cidfile <file>', 'write the container id to this file')
    .option('--shm-size <bytes>', 'size of /dev/shm (default 64m)')
    .option('--oom-score-adj <n>', 'the OOM killer\'s preference for the container\'s processes, -1000 to 1000 (below the caller\'s needs CAP_SYS_RESOURCE)')
    .option('--log-driver <driver>', 'json-file (the default) or none')
    .option('--detach-keys <keys>', 'the key sequence that detaches from the container (default ctrl-p,ctrl-q)')
    .option('--health-cmd <command>', 'a command to check the container\'s health (run by sh -c; 0 healthy, 1 unhealthy)')
    .option('--health-interval <duration>', 'time between checks (e.g. 30s, the default; 1m30s)')
    .option('--health-timeout <duration>', 'how long a check may run (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time to start before failures count (default 0s)')
    .option('--health-start-interval <duration>', 'time between checks during the start period (default 5s)')
    .option('--no-healthcheck', 'disable the image\'s HEALTHCHECK')
    .option('--disable-content-trust', DISABLE_CONTENT_TRUST)
}

/** Docker's --disable-content-trust (run, create, pull, push, build): true by default there, and mini-run checks no signatures either way. */
export const DISABLE_CONTENT_TRUST = 'accepted for Docker: mini-run verifies and signs no images (Docker Content Trust)'

/**
 * Docker's hidden spellings of container flags (pflag's MarkHidden, docker/cli
 * cli/command/container/opts.go): the same value under another name, not in
 * --help. The launcher's tables (run-line-tables.ts) and commander
 * (run-flags.ts addRunFlagAliases) both read them from here.
 */
export const HIDDEN_RUN_FLAG_ALIASES: Readonly<Record<string, string>> = {
  '--dns-opt': '--dns-option',
  // the old spellings, still in many scripts (`--net=host`)
  '--net': '--network',
  '--net-alias': '--network-alias',
}


/** run's own flags, beside the container flags. */
export function addRunVerbFlags<C extends OptionSink>(cmd: C): C {
  return cmd
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background under a monitor and print the container id')
    .option('-a, --attach <stream>', 'show only these streams of a foreground run: STDIN, STDOUT or STDERR (repeatable; default STDOUT and STDERR, and STDIN with -i)', collect, [])
    .option('--explain [format]', 'print every step that would start the container, with its reason, and exit (--explain=json for tools)')
    // the positive one first: --sig-proxy=false becomes --no-sig-proxy (bool-flag-values.ts), and
    // commander then gives sigProxy no default (undefined: on), which run-line-tables.ts reads alike
    .option('--sig-proxy', 'pass the signals the CLI receives on to the container (the default)')
    .option('--no-sig-proxy', 'keep them: the CLI stays until the container exits (the third SIGINT or SIGTERM ends the CLI alone)')
}

/** The options before the verb (`mini-run --root X run ...`). */
export function addGlobalFlags<C extends OptionSink>(cmd: C): C {
  return cmd
    .option('--root <dir>', 'image store directory (default: /var/lib/mini-run as root, ~/.local/share/mini-run otherwise)')
    .option('--state <dir>', 'runtime state directory (default: /run/mini-run as root, $XDG_RUNTIME_DIR/mini-run otherwise)')
    .option('--log-level <level>', 'pino log level on stderr (trace, debug, info, warn, error)')
    // Docker's -D/--debug; runc has a --debug too, which alone no longer makes a line runc's (oci/detect.ts)
    .option('-D, --debug', 'debug output on stderr: --log-level debug')
}
