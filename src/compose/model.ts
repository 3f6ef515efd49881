/**
 * A compose project as mini-run runs it: the file(s) loaded, interpolated,
 * validated against the Compose Specification and normalized (short and
 * long syntaxes made one, relative paths made absolute, defaults filled
 * in). Everything here is plain data: `compose config` prints it, and the
 * config hash of a service is the hash of its entry.
 */
import type { HealthConfig } from '../runtime/health/health-config.js'
import type { RestartPolicy } from '../runtime/container/state.js'

export interface Project {
  name: string
  /** The project directory: relative paths in the files are relative to it. */
  workingDir: string
  /** The compose files, absolute, in the order they were merged. */
  files: string[]
  /** The services the active profiles enable, by name. */
  services: Record<string, Service>
  /** Services that no active profile enables (by name): not started, but down removes their containers. */
  disabledServices: string[]
  /** Every profile a service of the file names, enabled or not (config --profiles). */
  profiles?: string[]
  /** Networks by their key in the file. */
  networks: Record<string, ProjectNetwork>
  /** Volumes by their key in the file. */
  volumes: Record<string, ProjectVolume>
  /** Top-level secrets and configs by their key in the file; absent when the file has none. */
  secrets?: Record<string, FileObject>
  configs?: Record<string, FileObject>
  /** Which file errors about a service name (the last that defines it), as given; and the first file. */
  serviceFiles: Record<string, string>
  mainFile: string
  /** The project's environment: the caller's variables over the .env file's (run -e VAR reads it). */
  environment: Record<string, string>
  /** Made from its containers' labels, no file read (project-from-labels.ts): its services are those that have containers. */
  fromLabels?: true
  /** --compatibility (or COMPOSE_COMPATIBILITY): Docker Compose v1's `_` in the names compose makes (`p_web_1`, `p_web`) in place of `-`. */
  compatibility?: true
}

export interface ProjectNetwork {
  /** Its real name: `<project>_<key>`, or `name:`. */
  name: string
  external: boolean
  subnet?: string
  /** ipam.config[0].ip_range */
  ipRange?: string
  /** ipam.config[0].aux_addresses: NAME -> IP, never given to a container */
  auxAddresses?: Record<string, string>
  /** ipam.driver as written (only `default` is taken), for config to print */
  ipamDriver?: string
  gateway?: string
  /** enable_ipv6, and an IPv6 ipam.config entry's subnet and gateway (network create --ipv6's). */
  ipv6?: true
  subnet6?: string
  gateway6?: string
  internal?: boolean
  attachable?: boolean
  /** The bridge options netavark has (network/create-options.ts), as written. */
  driverOpts?: Record<string, string>
  labels: Record<string, string>
}

export interface ProjectVolume {
  /** Its real name: `<project>_<key>`, or `name:`. */
  name: string
  external: boolean
  labels: Record<string, string>
  /** driver_opts: the local driver's (runtime/spec/local-volume.ts), a relative bind device made absolute. */
  driverOpts?: Record<string, string>
}

/**
 * A top-level secret or config: where its content comes from. Without
 * Swarm, as in Docker Compose, a file is bind-mounted read-only; an
 * environment variable's value or a config's inline content is written
 * into the container before it starts (inject-files.ts).
 */
export interface FileObject {
  /** `<project>_<key>`, or `name:` (compose-go's). */
  name: string
  /** Absolute. */
  file?: string
  /** The variable, read from the project's environment when the file is written. */
  environment?: string
  /** Its value where an included project's variables had it (include.ts): those are not the project's. */
  value?: string
  /** configs only: inline. */
  content?: string
  /** Swarm's: refused when a service uses it, as Docker Compose refuses it then. */
  external?: true
  driver?: string
  templateDriver?: string
}

/** A service's use of a secret or config (a short entry is its source alone). */
export interface FileReference {
  /** The key of a top-level secret or config. */
  source: string
  /** The top-level one's name (`<project>_<key>`), as Docker Compose's messages name it. */
  name: string
  /** The path in the container, as the file gives it (secrets: compose-go's /run/secrets/<source> when none). */
  target?: string
  uid?: string
  gid?: string
  mode?: number
  /** Where its content comes from: the top-level entry's, copied here so that a change to it is a change of the service (its config hash). */
  from: { file: string } | { environment: string; value?: string } | { content: string }
}

/** One entry of volumes_from: a service's first container, or a container by name. */
export interface VolumesFrom {
  service?: string
  /** The container: for a service, its first one's name (filled in by load.ts). */
  container?: string
  readOnly: boolean
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully'

export interface Dependency {
  condition: DependencyCondition
  /** false: a missing or failed dependency only warns. */
  required: boolean
  /** restart: true: restarting the dependency restarts this one too. */
  restart: boolean
}

export interface BlkioConfig {
  weight?: string
  weightDevice: string[]
  deviceReadBps: string[]
  deviceWriteBps: string[]
  deviceReadIops: string[]
  deviceWriteIops: string[]
}

export interface BuildConfig {
  /** Absolute. */
  context: string
  /** Absolute. */
  dockerfile: string
  args: Record<string, string>
  target?: string
  labels: Record<string, string>
  network?: string
  noCache: boolean
  pull: boolean
  /** More names the built image gets (build.tags), as given. */
  tags: string[]
  /** The service names its image (image:): `compose push` pushes only such builds, as Docker Compose does. */
  namedImage: boolean
  /** dockerfile_inline: the Dockerfile's text (then `dockerfile` is the context's Dockerfile, for its ignore file). */
  dockerfileInline?: string
  /** For RUN --mount=type=secret: by id, from a file or the project's environment (build-config.ts). */
  secrets?: BuildSecret[]
  /** RUN's /etc/hosts lines (NAME:IP), /dev/shm size and limits, as the service's own are written. */
  extraHosts?: string[]
  shmSize?: string
  ulimits?: string[]
  /** At most one: this machine's. */
  platforms?: string[]
  /** NAME to an absolute directory, docker-image://REF or service:NAME (build-config.ts). */
  additionalContexts?: Record<string, string>
  /** BuildKit's external caches, as given: not used (the store's cache is), and said so when built. */
  cacheFrom?: string[]
  cacheTo?: string[]
}

export type BuildSecret = { source: string; id: string } & ({ file: string } | { environment: string; value?: string })

/** Docker's restart policy, as the runtime carries it out (runtime/container/restart-policy.ts). */
export type { RestartPolicy }

/** One mount of a service, in --mount's terms. */
export interface ServiceVolume {
  type: 'bind' | 'volume' | 'tmpfs'
  /** bind: an absolute host path; volume: the key of a top-level volume, or undefined for an anonymous one. */
  source?: string
  target: string
  readOnly: boolean
  /** bind: create a missing host path (the short syntax does, as Docker's -v). */
  createHostPath?: boolean
  /** volume: no copy of the image's files into an empty volume. */
  nocopy?: boolean
  /** tmpfs: size in bytes. */
  size?: number
}

/** post_start or pre_stop: a command run in the container as `exec` runs it (hooks.ts). */
export interface ServiceHook {
  command: string[]
  user?: string
  privileged?: true
  workingDir?: string
  environment: Record<string, string>
}

export interface ServiceNetwork {
  aliases: string[]
  ipv4Address?: string
  ipv6Address?: string
  macAddress?: string
}

export interface Service {
  name: string
  /** The image to run (or to name the built one); for a build without one, `<project>-<service>`. */
  image: string
  build?: BuildConfig
  pullPolicy: 'missing' | 'always' | 'never' | 'build' | 'refresh'
  /** refresh (daily, weekly, every_<duration>): how long ago a pull may be, in ms. */
  pullRefresh?: { ms: number }
  /**
   * pull_policy as the file has it, which `config` writes back (if_not_present
   * as compose-go's normalization does: missing). When given, `compose pull`
   * skips a missing policy's image the store has (docker compose's shouldPullImage).
   */
  pullPolicyText?: string
  platform?: string
  command?: string[]
  /** [] clears the image's. */
  entrypoint?: string[]
  /** env_file first, then environment; a KEY without a value and not set in the caller's environment is left out. */
  environment: Record<string, string>
  /** [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], as -p takes them. */
  ports: string[]
  expose: string[]
  volumes: ServiceVolume[]
  /** Absent when none, as in the config hash. */
  secrets?: FileReference[]
  configs?: FileReference[]
  volumesFrom: VolumesFrom[]
  tmpfs: string[]
  /** By the network's key; none with network_mode. */
  networks: Record<string, ServiceNetwork>
  /** service:NAME joins that service's (first) container's network, container:NAME a container's (run's --network container:). */
  networkMode?: 'none' | 'host' | 'bridge' | `service:${string}` | `container:${string}`
  dependsOn: Record<string, Dependency>
  /**
   * links: SERVICE[:ALIAS]. Each is a dependency, and its alias a name of
   * that service's containers on the networks both join (load.ts
   * linkAliases): the whole network resolves it, where Docker's daemon
   * gives a link's alias to the linking container alone.
   */
  links?: { service: string; alias: string }[]
  /** external_links: CONTAINER[:ALIAS], run's --link (runtime/container/container-links.ts): /etc/hosts lines of containers outside the project. */
  externalLinks?: string[]
  healthcheck?: HealthConfig
  restart: RestartPolicy
  replicas: number
  user?: string
  workingDir?: string
  hostname?: string
  domainname?: string
  /** Kernel parameters of the container's own namespaces (run's --sysctl); absent when none, as in the config hash. */
  sysctls?: Record<string, string>
  /** The container's OCI annotations (run's --annotation); absent when none. */
  annotations?: Record<string, string>
  containerName?: string
  init: boolean
  readOnly: boolean
  tty: boolean
  stdinOpen: boolean
  capAdd: string[]
  capDrop: string[]
  securityOpt: string[]
  privileged: boolean
  /** HOST[:CONTAINER][:rwm], as --device */
  devices: string[]
  deviceCgroupRules: string[]
  groupAdd: string[]
  memLimit?: string
  memswapLimit?: string
  cpus?: string
  cpuShares?: string
  /** mem_swappiness and oom_kill_disable: run's --memory-swappiness and --oom-kill-disable; absent when not given */
  memSwappiness?: string
  oomKillDisable?: boolean
  /** blkio_config: run's block I/O flags, "PATH:VALUE" each (blkio-config.ts); absent when not given */
  blkio?: BlkioConfig
  /** cpuset: --cpuset-cpus */
  cpuset?: string
  cpuPeriod?: string
  cpuQuota?: string
  /** mem_reservation, or deploy.resources.reservations.memory: --memory-reservation */
  memReservation?: string
  pidsLimit?: string
  /** As run's --shm-size (64m, bytes). */
  shmSize?: string
  /** oom_score_adj: --oom-score-adj */
  oomScoreAdj?: string
  ulimits: string[]
  /** logging.driver as given (json-file or local: both log as json-file here); not part of the config hash. */
  logDriver?: string
  logOpts: string[]
  dns: string[]
  dnsSearch: string[]
  dnsOpt: string[]
  extraHosts: string[]
  macAddress?: string
  pid?: string
  ipc?: string
  uts?: string
  cgroupParent?: string
  /** cgroup: host or private, run's --cgroupns. */
  cgroup?: 'host' | 'private'
  userns?: string
  stopSignal?: string
  /** Seconds (stop_grace_period, rounded up). */
  stopTimeout?: number
  labels: Record<string, string>
  profiles: string[]
  /** Absent when none. */
  postStart?: ServiceHook[]
  preStop?: ServiceHook[]
  /** develop.watch's triggers, for `compose watch` (develop.ts); absent when none. */
  develop?: Develop
}

/** compose watch's triggers (develop.ts loads them, watch.ts acts on them). */
export type WatchAction = 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec'

export interface WatchTrigger {
  /** Absolute, on the host. */
  path: string
  action: WatchAction
  /** Absolute, in the container: for the sync actions. */
  target?: string
  ignore: string[]
  include: string[]
  initialSync: boolean
  /** sync+exec's command. */
  exec?: ServiceHook
}

export interface Develop {
  watch: WatchTrigger[]
}
