/**
 * `mini-run compose`: Docker Compose's verbs on a compose.yaml. Each verb's
 * work is in cli/compose/ (parse, call src/compose/, print).
 */
import { Option, type Command } from 'commander'
import type { ComposePsFlags } from '../compose/ps.js'
import { registerContainerVerbs } from './compose-containers.js'
import { registerServiceVerbs } from './compose-service-verbs.js'
import { bothGiven } from './dual-flags.js'

const collect = (value: string, previous: string[]) => [...previous, value]

/** up's --no-attach SERVICE: a value, not the negation of --attach that commander makes of a --no- flag. */
function noAttach(): Option {
  const o = new Option('--no-attach <service>', 'do not show this service\'s output (repeatable)').argParser(collect).default([])
  o.negate = false
  return o
}

export function register(program: Command): void {
  const compose = program
    .command('compose')
    .description('run multi-container applications from a compose.yaml (Docker Compose)')
    .option('-f, --file <file>', 'a compose file (repeatable: later ones are merged over earlier ones)', collect, [])
    .option('-p, --project-name <name>', 'the project name (default: COMPOSE_PROJECT_NAME, the file\'s name:, or the directory\'s)')
    .option('--project-directory <dir>', 'the directory relative paths start from (default: the first file\'s)')
    .option('--env-file <file>', 'a file of variables for interpolation (default: .env in the project directory; repeatable)', collect, [])
    .option('--profile <profile>', 'enable the services of a profile (repeatable; default: COMPOSE_PROFILES)', collect, [])
    .option('--progress <type>', 'auto, tty, plain, json or quiet: how progress is shown on stderr (default: COMPOSE_PROGRESS, or auto; mini-run draws no bars: auto and tty are plain)')
    .option('--ansi <when>', 'never, always or auto: colours in the services\' log prefixes (default: COMPOSE_ANSI, or auto)')
    .option('--compatibility', 'Docker Compose v1\'s names: `_` in those of the containers and images compose makes (p_web_1), in place of `-` (default: COMPOSE_COMPATIBILITY)')
    .option('--parallel <n>', 'taken, as docker compose\'s limit on parallel pulls and builds (mini-run does them one at a time)')
    .enablePositionalOptions()
    // every verb: the display the flags ask for, checked before anything is done
    .hook('preAction', async (self) => (await import('../compose/display.js')).setDisplay(self.opts()))

  const up = compose
    .command('up')
    .description('create and start the services\' containers, networks and volumes (idempotent)')
    .argument('[service...]')
    .option('-d, --detach', 'start in the background and return')
    .option('--build', 'build images before starting')
    .option('--no-build', 'do not build a missing image')
    .option('--force-recreate', 'recreate containers even if nothing changed')
    .option('--no-recreate', 'keep existing containers even if their configuration changed')
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .option('--no-deps', 'do not start the services\' dependencies')
    .option('--pull <policy>', 'every service\'s pull_policy, in place of its file\'s: always, missing (or if_not_present), never or build')
    .option('-t, --timeout <seconds>', 'how long stop waits for a container being replaced')
    .option('--scale <service=n>', 'run n containers of the service, whatever its file says (repeatable)', collect, [])
    .option('--wait', 'return once the services run, healthy where they have a health check (implies -d)')
    .option('--wait-timeout <seconds>', 'how long --wait waits')
    .option('--abort-on-container-exit', 'stop every container once one exits')
    .option('--abort-on-container-failure', 'stop every container once one exits with a failure (non-zero)')
    .option('--exit-code-from <service>', 'exit with this service\'s container\'s code (implies --abort-on-container-exit)')
    .option('--always-recreate-deps', 'recreate the dependencies\' containers too, even when unchanged')
    .option('--no-start', 'create the containers, start none (as compose create)')
    .option('-V, --renew-anon-volumes', 'a recreated container gets new anonymous volumes instead of its predecessor\'s')
    .option('--attach <service>', 'show only this service\'s output (repeatable)', collect, [])
    .option('--attach-dependencies', 'show the output of the services\' dependencies too')
    .addOption(noAttach())
    .option('--no-log-prefix', 'no prefix on the output\'s lines')
    .option('--no-color', 'no colours in the prefixes')
    .option('--timestamps', 'a timestamp before each line of the output')
    .option('--quiet-pull', 'pull without progress (mini-run prints none: only the Pulling/Pulled lines)')
    .option('--quiet-build', 'hide the builds\' output')
    .option('-w, --watch', 'watch the services\' develop.watch paths while attached, as compose watch does')
    .option('-y, --yes', 'assume yes to prompts (mini-run asks none)')
    .option('--menu', 'taken, as docker compose\'s navigation menu (mini-run has none)')
    .action(async (services: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { upCommand } = await import('../compose/up-down.js')
      // commander's names for the --no-* flags
      await upCommand(services, { ...flags, noBuild: flags.build === false || bothBuild(), build: flags.build === true || bothBuild(), noRecreate: flags.recreate === false, noDeps: flags.deps === false, noStart: flags.start === false, noLogPrefix: flags.logPrefix === false, noColor: flags.color === false }, cmd)
    })
  const bothBuild = bothGiven(up, 'build')

  compose
    .command('watch')
    .description('bring the services up, then act on changes to their develop.watch paths: sync, restart, rebuild (until Ctrl-C)')
    .argument('[service...]')
    .option('--no-up', 'do not build and start the services before watching')
    // both spellings, for Docker's --prune=false (bool-flag-values.ts)
    .option('--prune', 'remove the image a rebuild replaced, when nothing else names or uses it (the default)')
    .option('--no-prune', 'keep the images rebuilds replace')
    .option('--quiet', 'hide the builds\' output')
    .action(async (services: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { watchCommand } = await import('../compose/watch.js')
      await watchCommand(services, flags, cmd)
    })

  compose
    .command('down')
    .description('stop and remove the containers and networks (and volumes with -v)')
    .argument('[service...]')
    .option('-v, --volumes', 'remove named volumes and containers\' anonymous volumes too')
    .option('--rmi <type>', 'remove images: local (those without a name of their own) or all')
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .option('-t, --timeout <seconds>', 'how long stop waits')
    .action(async (services: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { downCommand } = await import('../compose/up-down.js')
      await downCommand(services, flags, cmd)
    })

  compose
    .command('ps')
    .description('list the project\'s containers')
    .argument('[service...]')
    .option('-a, --all', 'stopped containers too')
    .option('-q, --quiet', 'only ids')
    .option('--services', 'only service names')
    .option('--format <format>', "'table' (default), 'table TEMPLATE', 'json', or a Go template over the container's fields (as ps, with .Name, .Service, .Project, .Health, .ExitCode)")
    .option('--status <state>', 'only containers in this state (repeatable): paused, restarting, removing, running, dead, created, exited', collect, [])
    .option('--filter <status=state>', 'only containers in this state (the one filter: status)')
    .option('--orphans [bool]', 'list the containers of services the file no longer has (default true; --orphans=false: only the services the file enables)')
    .option('--no-trunc', 'the command and ids whole')
    .action(async (services: string[], flags: ComposePsFlags & { trunc?: boolean }, cmd: Command) => {
      flags.noTrunc = flags.trunc === false
      const { psCommand } = await import('../compose/ps.js')
      await psCommand(services, flags, cmd)
    })

  compose
    .command('logs')
    .description('the services\' output, each line prefixed with its container')
    .argument('[service...]')
    .option('-f, --follow', 'follow until the containers stop')
    .option('-n, --tail <n>', 'only the last n lines of each')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'only lines logged since this time (RFC 3339, a Unix timestamp, or a duration before now: 10m, 1h30m)')
    .option('--until <time>', 'only lines logged before this time (the same forms)')
    .option('--no-log-prefix', 'no prefix')
    .option('--no-color', 'no colours in the prefixes')
    .option('--index <n>', 'only the service\'s container of this number (its replicas count from 1)')
    .action(async (services: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { logsCommand } = await import('../compose/logs.js')
      await logsCommand(services, { ...flags, prefix: flags.logPrefix !== false }, cmd)
    })

  compose
    .command('ls')
    .description('list the projects that have containers (running ones unless -a)')
    .option('-a, --all', 'projects with only stopped containers too')
    .option('-q, --quiet', 'only names')
    .option('--format <format>', 'table (default) or json')
    .option('--filter <name=REGEXP>', 'only the projects whose name matches (repeatable: any of them)', collect, [])
    .action(async (flags: { all?: boolean; quiet?: boolean; format?: string; filter: string[] }, cmd: Command) => {
      const { lsCommand } = await import('../compose/ls.js')
      await lsCommand(flags, cmd)
    })
  compose
    .command('events')
    .description('the containers\' events of the project, as they happen (from the events log)')
    .argument('[service...]')
    .option('--json', 'one JSON object a line')
    .option('--since <time>', 'also the events since this time (RFC 3339, a Unix timestamp, or a duration before now)')
    .option('--until <time>', 'stop at this time (the same forms)')
    .action(async (services: string[], flags: { json?: boolean; since?: string; until?: string }, cmd: Command) => {
      const { eventsCommand } = await import('../compose/events.js')
      await eventsCommand(services, flags, cmd)
    })
  compose
    .command('top')
    .description('the processes of the services\' running containers')
    .argument('[service...]')
    .action(async (services: string[], _flags: unknown, cmd: Command) => {
      const { topCommand } = await import('../compose/top.js')
      await topCommand(services, cmd)
    })
  compose
    .command('rm')
    .description('remove the services\' stopped containers')
    .argument('[service...]')
    .option('-f, --force', 'do not ask for confirmation')
    .option('-s, --stop', 'stop the running containers first')
    .option('-v, --volumes', 'remove their anonymous volumes too')
    .action(async (services: string[], flags: { force?: boolean; stop?: boolean; volumes?: boolean }, cmd: Command) => {
      const { rmCommand } = await import('../compose/remove-kill.js')
      await rmCommand(services, flags, cmd)
    })
  compose
    .command('kill')
    .description('signal the services\' running containers (SIGKILL unless -s)')
    .argument('[service...]')
    .option('-s, --signal <signal>', 'the signal to send', 'SIGKILL')
    .option('--remove-orphans', 'signal the containers of services the file no longer has too (as docker compose kill does)')
    .action(async (services: string[], flags: { signal?: string; removeOrphans?: boolean }, cmd: Command) => {
      const { killCommand } = await import('../compose/remove-kill.js')
      await killCommand(services, flags, cmd)
    })
  compose
    .command('port')
    .description('where a service\'s container publishes a port of its own')
    .argument('<service>')
    .argument('<private_port>')
    .option('--protocol <proto>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'which container of the service, 1 first', '1')
    .action(async (service: string, port: string, flags: { protocol?: string; index?: string }, cmd: Command) => {
      const { portCommand } = await import('../compose/remove-kill.js')
      await portCommand(service, port, flags, cmd)
    })

  const lifecycleVerbs = {
    start: 'start the services\' stopped containers',
    stop: 'stop the services\' containers',
    restart: 'restart the services\' containers',
    pause: 'freeze the services\' running containers',
    unpause: 'thaw the services\' paused containers',
  } as const
  for (const verb of Object.keys(lifecycleVerbs) as (keyof typeof lifecycleVerbs)[]) {
    const c = compose.command(verb).description(lifecycleVerbs[verb]).argument('[service...]')
    if (verb === 'stop' || verb === 'restart') c.option('-t, --timeout <seconds>', 'how long stop waits before SIGKILL')
    if (verb === 'restart') c.option('--no-deps', 'do not restart the services that depend on these with restart: true')
    if (verb === 'start') c.option('--wait', 'return once the services run, healthy where they have a health check').option('--wait-timeout <seconds>', 'how long --wait waits')
    c.action(async (services: string[], flags: { timeout?: string; deps?: boolean; wait?: boolean; waitTimeout?: string }, cmd: Command) => {
      const { lifecycleCommand } = await import('../compose/verbs.js')
      await lifecycleCommand(verb, services, flags, cmd)
    })
  }

  compose
    .command('build')
    .description('build the services\' images')
    .argument('[service...]')
    .option('--no-cache', 'do not use the build cache')
    .option('--pull', 'pull base images again')
    .option('--build-arg <KEY[=VALUE]>', 'a build argument for every service built (KEY alone: the project\'s environment\'s; repeatable)', collect, [])
    .option('-q, --quiet', 'say nothing of the builds')
    .option('--progress <type>', 'compose\'s --progress, given after the verb (auto, tty, plain, json or quiet)')
    .option('--push', 'push the images built, as compose push does')
    .option('--with-dependencies', 'build the services\' dependencies too')
    .action(async (services: string[], flags: { cache?: boolean; pull?: boolean; buildArg: string[]; quiet?: boolean; progress?: string; push?: boolean; withDependencies?: boolean }, cmd: Command) => {
      const { buildCommand } = await import('../compose/build-pull.js')
      await buildCommand(services, { ...flags, noCache: flags.cache === false, pull: flags.pull === true }, cmd)
    })

  compose
    .command('pull')
    .description('pull the services\' images')
    .argument('[service...]')
    .option('--ignore-pull-failures', 'go on when an image cannot be pulled')
    .option('-q, --quiet', 'no progress lines')
    .option('--include-deps', 'pull the services\' dependencies too')
    .option('--ignore-buildable', 'skip the services that build their image')
    .option('--policy <policy>', 'missing (an image the store has is kept, unless tagged latest) or always')
    .option('--parallel', 'taken, as docker compose\'s deprecated flag (mini-run pulls one image at a time)')
    .option('--no-parallel', 'taken, as docker compose\'s deprecated flag')
    .action(async (services: string[], flags: { ignorePullFailures?: boolean; quiet?: boolean; includeDeps?: boolean; ignoreBuildable?: boolean; policy?: string }, cmd: Command) => {
      const { pullCommand } = await import('../compose/build-pull.js')
      await pullCommand(services, flags, cmd)
    })

  compose
    .command('config')
    .description('check the compose file and print the project it describes (with SERVICEs: those and their dependencies)')
    .argument('[service...]')
    .option('-q, --quiet', 'only check')
    .option('--services', 'only the service names')
    .option('--volumes', 'only the volume names')
    .option('--networks', 'only the network names')
    .option('--images', 'only the images the services run')
    .option('--profiles', 'only the profiles the services name')
    .option('--environment', 'only the variables interpolation reads (the shell\'s, then .env)')
    .option('--variables', 'the variables the files read: required, default and alternate values (--format table, json or yaml)')
    .option('--hash <services>', 'the hash of each service\'s configuration, "NAME HASH" a line: SERVICE[,SERVICE...] or "*" for all')
    .option('--format <format>', 'yaml (the default) or json')
    .option('-o, --output <file>', 'write it to this file rather than stdout')
    .option('--resolve-image-digests', 'pin each image the file names to the digest its registry gives it now (a multi-platform image\'s index): NAME:TAG@DIGEST')
    .option('--lock-image-digests', 'print an override file of the services\' images alone, each pinned as --resolve-image-digests pins it (-f FILE -f LOCK then runs those)')
    .action(async (services: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { configCommand } = await import('../compose/verbs.js')
      await configCommand(services, flags, cmd)
    })

  compose
    .command('exec')
    .description('run a command in a service\'s running container')
    .usage('[options] SERVICE COMMAND [ARG...]')
    .argument('<service-and-command...>')
    .option('-d, --detach', 'start the command and leave it running in the container')
    .option('-T, --no-tty', 'no pseudo-terminal (the default when stdin is not a terminal)')
    .option('-t, --tty', 'a pseudo-terminal when there is one (the default, as docker compose exec\'s -t)')
    .option('-i, --interactive', 'keep stdin attached (the default, as docker compose exec\'s -i)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user>', 'user')
    .option('--index <n>', 'which container of the service', '1')
    .option('--privileged', 'give the command every capability')
    .passThroughOptions()
    .action(async (args: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { execCommand } = await import('../compose/verbs.js')
      await execCommand(args, flags as never, cmd)
    })

  compose
    .command('run')
    .description('run a one-off command in a new container of a service')
    .usage('[options] SERVICE [COMMAND] [ARG...]')
    .argument('<service-and-command...>')
    .option('-d, --detach', 'run it in the background and print its name')
    .option('--rm', 'remove the container when it exits')
    .option('-e, --env <KEY[=VALUE]>', 'set an environment variable (repeatable; KEY alone: the project\'s, from the shell or .env)', collect, [])
    .option('-u, --user <user>', 'user')
    .option('-w, --workdir <dir>', 'working directory')
    .option('--name <name>', 'the container\'s name')
    .option('--entrypoint <cmd>', 'override the entrypoint (and drop the service\'s command unless one is given)')
    .option('-P, --service-ports', 'publish the service\'s ports')
    .option('-p, --publish <port>', 'publish a port (repeatable)', collect, [])
    .option('-v, --volume <volume>', 'mount a volume, in the service\'s short syntax (repeatable)', collect, [])
    .option('--use-aliases', 'give the container the service\'s network aliases (its name among them)')
    .option('--no-deps', 'do not start the service\'s dependencies')
    .option('--cap-add <cap>', 'add a capability to the service\'s (repeatable)', collect, [])
    .option('--cap-drop <cap>', 'drop a capability (repeatable)', collect, [])
    .option('-l, --label <KEY=VALUE>', 'add or override a label (repeatable)', collect, [])
    .option('--env-from-file <file>', 'set the variables of an env file (repeatable; -e over them)', collect, [])
    .option('--build', 'build the image before starting the container')
    .option('--pull <policy>', 'the service\'s pull_policy, in place of its file\'s: always, missing (or if_not_present), never or build')
    .option('--remove-orphans', 'remove containers of services no longer in the file')
    .option('-q, --quiet', 'say nothing of pulls and builds')
    .option('--quiet-build', 'hide the build\'s output')
    .option('--quiet-pull', 'pull without progress (mini-run prints none: only the Pulling/Pulled lines)')
    .option('-T, --no-tty', 'no pseudo-terminal')
    .option('-t, --tty', 'a pseudo-terminal when there is one (the default)')
    .option('-i, --interactive', 'keep stdin attached (the default)')
    .passThroughOptions()
    .action(async (args: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { runCommand } = await import('../compose/verbs.js')
      await runCommand(args, flags as never, cmd)
    })

  registerContainerVerbs(compose)
  registerServiceVerbs(compose)
}
