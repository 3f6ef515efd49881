/** `compose start|stop|restart|build|pull|config|exec|run`: each loads the project and calls the library. */
import type { Command } from 'commander'
import { openSync, readFileSync, writeFileSync } from 'node:fs'
import { MiniRunError, UsageError } from '../../errors.js'
import { contextFor, hideBuildOutput, loadFor } from './context.js'
import { PULL_FLAG, pullFlag } from './pull-flag.js'
import type { ComposeContext } from '../../compose/compose-context.js'
import type { ContainerInfo } from '../../runtime/container/containers.js'
import type { Service } from '../../compose/model.js'

function seconds(text: string | undefined, flag = '--timeout'): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid ${flag} "${text}": a whole number of seconds`)
  return Number(text)
}

export async function lifecycleCommand(verb: 'start' | 'stop' | 'restart' | 'pause' | 'unpause', services: string[], flags: { timeout?: string; deps?: boolean; wait?: boolean; waitTimeout?: string }, cmd: Command): Promise<void> {
  const waitTimeout = seconds(flags.waitTimeout, '--wait-timeout')
  const project = await loadFor(cmd, services, { byName: true })
  const ctx = await contextFor(cmd)
  const lifecycle = await import('../../compose/lifecycle.js')
  const list = services.length ? services : undefined
  if (verb === 'start') {
    await lifecycle.start(ctx, project, list)
    // --wait: as up --wait, until they run (healthy where checked)
    if (flags.wait) {
      const { waitRunning } = await import('../../compose/wait-running.js')
      const completing = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.dependsOn).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)))
      await waitRunning(ctx, project.name, new Set(list ?? Object.keys(project.services)), waitTimeout === undefined ? undefined : waitTimeout * 1000, completing)
    }
  }
  else if (verb === 'stop') await lifecycle.stop(ctx, project, list, seconds(flags.timeout))
  else if (verb === 'restart') await lifecycle.restart(ctx, project, list, seconds(flags.timeout), { noDeps: flags.deps === false })
  else await lifecycle.pause(ctx, project, list, verb === 'pause')
}

export interface ConfigFlags {
  quiet?: boolean
  services?: boolean
  volumes?: boolean
  networks?: boolean
  images?: boolean
  profiles?: boolean
  environment?: boolean
  variables?: boolean
  format?: string
  output?: string
  hash?: string
  resolveImageDigests?: boolean
  lockImageDigests?: boolean
}

export async function configCommand(services: string[], flags: ConfigFlags, cmd: Command): Promise<void> {
  if (flags.variables) return (await import('./config-variables.js')).configVariables(services, flags.format, cmd)
  if (flags.hash) return configHashes(flags.hash, cmd)
  const loaded = await loadFor(cmd, services)
  const unknown = services.find((s) => !loaded.services[s])
  if (unknown !== undefined) throw new UsageError(`no such service: ${unknown}`)
  // the services named and their dependencies, as compose-go's WithSelectedServices keeps them
  const { inScope } = await import('../../compose/load.js')
  const kept = new Set(inScope(loaded.services, services))
  let project = { ...loaded, services: Object.fromEntries(Object.entries(loaded.services).filter(([n]) => kept.has(n))) }
  // the document's images, and -q's check of them; not the lists (docker compose's runConfigImages reads the project as it is)
  const listing = flags.services || flags.volumes || flags.networks || flags.images || flags.profiles || flags.environment
  // --lock-image-digests resolves them too (docker compose's PreRunE)
  if ((flags.resolveImageDigests || flags.lockImageDigests) && !listing) {
    const [{ withImagesResolved }, { registryDigest }] = await Promise.all([import('../../compose/image-digests.js'), import('../../registry/manifest-inspect.js')])
    project = await withImagesResolved(project, (ref) => registryDigest(ref))
  }
  if (flags.quiet) return
  const lines = (list: Iterable<string>) => void process.stdout.write([...list].map((l) => `${l}\n`).join(''))
  if (flags.services) return lines(Object.keys(project.services).sort())
  if (flags.volumes) return lines(Object.keys(project.volumes))
  if (flags.networks) return lines(Object.keys(project.networks))
  // each image once, in the services' order (docker compose config --images)
  if (flags.images) return lines(new Set(Object.keys(project.services).sort().map((n) => project.services[n]!.image)))
  if (flags.profiles) return lines(project.profiles ?? [])
  if (flags.environment) return lines(Object.entries(project.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`))
  const [{ configDocument, documentText }, { lockDocument }] = await Promise.all([import('../../compose/config-document.js'), import('../../compose/image-digests.js')])
  if (flags.format !== undefined && flags.format !== 'yaml' && flags.format !== 'json') throw new UsageError(`invalid --format "${flags.format}": yaml or json`)
  // compose-go's Project.MarshalJSON writes its name always, its YAML not when empty: the lock file's is
  const lock = () => (flags.format === 'json' ? { name: '', ...lockDocument(project) } : lockDocument(project))
  const text = documentText(flags.lockImageDigests ? lock() : configDocument(project), flags.format ?? 'yaml')
  if (flags.output === undefined) return void process.stdout.write(text)
  try {
    writeFileSync(flags.output, text)
  } catch (err) {
    throw new UsageError(`--output ${flags.output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** config --hash SERVICE[,SERVICE...] or '*': "NAME HASH" a line, by name (docker compose's runHash). */
async function configHashes(list: string, cmd: Command): Promise<void> {
  const names = list === '*' ? [] : [...new Set(list.split(','))]
  // the services the profiles enable: one a profile disables is no such service (docker compose's ForServices)
  const project = await loadFor(cmd, [])
  const unknown = names.find((s) => !project.services[s])
  if (unknown !== undefined) throw new UsageError(`no such service: ${unknown}`)
  const { serviceHash } = await import('../../compose/config-hash.js')
  const chosen = (names.length ? names : Object.keys(project.services)).sort()
  process.stdout.write(chosen.map((n) => `${n} ${serviceHash(project.services[n]!)}\n`).join(''))
}

export interface ExecFlags {
  detach?: boolean
  tty?: boolean
  env: string[]
  workdir?: string
  user?: string
  index: string
  privileged?: boolean
}

export async function execCommand(args: string[], flags: ExecFlags, cmd: Command): Promise<void> {
  const [service, ...command] = args
  if (!service || command.length === 0) throw new UsageError('"compose exec" requires a service and a command')
  const project = await loadFor(cmd, [service], { byName: true })
  const ctx = await contextFor(cmd)
  const [{ projectContainers }, { servicesWithContainers }, { execInContainer, prepareExec }, { detachedExec }, { randomHex }] = await Promise.all([
    import('../../compose/project-containers.js'),
    import('../../compose/service-scope.js'),
    import('../../runtime/container/exec-container.js'),
    import('../../runtime/container/exec-records.js'),
    import('../../random.js'),
  ])
  servicesWithContainers(project, [service])
  const index = Number(flags.index)
  const c = projectContainers(ctx.stateRoot, project.name).find((x) => x.service === service && !x.oneoff && x.number === index)
  if (!c || c.info.status !== 'running') throw new MiniRunError(`service "${service}" is not running`, { code: 'ENOTRUNNING' })
  // a terminal when there is one, as Docker Compose does; -T says none
  // -d: no terminal, as docker compose's exec -d has none
  const tty = flags.detach !== true && flags.tty !== false && process.stdin.isTTY === true && process.stdout.isTTY === true
  const execId = randomHex(32)
  const plan = prepareExec(c.info, {
    command,
    privileged: flags.privileged === true,
    env: flags.env,
    workdir: flags.workdir,
    user: flags.user,
    tty,
    consoleSize: tty ? { height: process.stdout.rows, width: process.stdout.columns } : undefined,
    stateRoot: ctx.stateRoot,
    ...(flags.detach && { detached: detachedExec(ctx.stateRoot, c.info.id, execId, ctx.selfCommand) }),
  })
  if (flags.detach) {
    // started and left running in the container under a monitor of its own, as `exec -d` leaves it (cli/commands/exec.ts)
    const { execDetached } = await import('../../runtime/container/exec-detached.js')
    return void (await execDetached(ctx.stateRoot, c.info, plan, execId))
  }
  // with a terminal, Docker's CLI under docker compose watches for its detach keys too (ctrl-p ctrl-q)
  const keys = tty ? await import('../detach-keys.js') : undefined
  const result = await execInContainer(c.info, plan, { stdio: [0, 1, 2], forwardSignals: true, detachFilter: keys?.detachFilter() })
  process.exitCode = result === 'detached' ? keys!.reportDetached() : result
}

export interface RunFlags {
  detach?: boolean
  rm?: boolean
  env: string[]
  user?: string
  workdir?: string
  name?: string
  entrypoint?: string
  servicePorts?: boolean
  publish: string[]
  volume: string[]
  useAliases?: boolean
  deps?: boolean
  tty?: boolean
  interactive?: boolean
  capAdd?: string[]
  capDrop?: string[]
  label?: string[]
  envFromFile?: string[]
  build?: boolean
  pull?: string
  removeOrphans?: boolean
  quiet?: boolean
  quietBuild?: boolean
  quietPull?: boolean
}

export async function runCommand(args: string[], flags: RunFlags, cmd: Command): Promise<void> {
  const [service, ...command] = args
  if (!service) throw new UsageError('"compose run" requires a service')
  if (flags.pull !== undefined && !PULL_FLAG.includes(flags.pull)) throw new UsageError(`invalid --pull "${flags.pull}": always, missing, never or build`)
  const project = await loadFor(cmd, [service], { onHost: true })
  // --quiet-pull: the pull's progress, which mini-run does not print (only the Pulling and Pulled lines, which docker compose keeps too)
  const ctx = await contextFor(cmd, { quiet: flags.quiet === true })
  if (flags.quiet || flags.quietBuild) hideBuildOutput(ctx)
  const [{ createOneOff, oneOffMadeFirst, runOneOff, startOneOff }, { shellWords }, { At }, { parseDotenv }] = await Promise.all([
    import('../../compose/run-oneoff.js'),
    import('../../compose/values.js'),
    import('../../compose/compose-error.js'),
    import('../../compose/dotenv.js'),
  ])
  // --env-from-file, as docker compose's getEnvironment: -e first (KEY alone from the project's environment), then
  // each file's variables that are not set yet, so the first file wins; a file's ${} reads -e's and the earlier files'
  const environment = new Map<string, string>()
  for (const e of flags.env) {
    const eq = e.indexOf('=')
    const value = eq < 0 ? project.environment[e] : e.slice(eq + 1)
    if (value !== undefined) environment.set(eq < 0 ? e : e.slice(0, eq), value)
  }
  const fromFiles: string[] = []
  for (const file of flags.envFromFile ?? []) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new UsageError(`--env-from-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    for (const [k, v] of parseDotenv(text, file, (k) => environment.get(k))) {
      if (environment.has(k)) continue
      environment.set(k, v)
      fromFiles.push(`${k}=${v}`)
    }
  }
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true
  const tty = flags.tty !== false && terminal
  const interactive = flags.interactive !== false
  const options = {
    ...(command.length ? { command } : {}),
    ...(flags.entrypoint !== undefined ? { entrypoint: shellWords(flags.entrypoint, new At('--entrypoint')) } : {}),
    env: [...fromFiles, ...flags.env],
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    servicePorts: flags.servicePorts === true,
    publish: flags.publish,
    volumes: flags.volume,
    useAliases: flags.useAliases === true,
    noDeps: flags.deps === false,
    remove: flags.rm === true,
    capAdd: flags.capAdd ?? [],
    capDrop: flags.capDrop ?? [],
    labels: Object.fromEntries(
      (flags.label ?? []).map((l) => {
        if (!l.includes('=')) throw new UsageError('label must be set as KEY=VALUE')
        return [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]
      }),
    ),
    build: flags.build === true,
    ...(flags.pull !== undefined ? { pull: pullFlag(flags.pull) } : {}),
    removeOrphans: flags.removeOrphans === true,
  }
  // -d: the service's terminal (none with -T), and its name on stdout, as docker compose run -d prints it
  if (flags.detach) return void process.stdout.write(`${await startOneOff(ctx, project, service, { ...options, ...(flags.tty === false ? { tty: false } : {}), interactive })}\n`)
  if (oneOffMadeFirst(project, service)) {
    process.exitCode = await runCreatedThenAttached(ctx, await createOneOff(ctx, project, service, { ...options, tty, interactive, ...(tty ? { consoleSize: { height: process.stdout.rows, width: process.stdout.columns } } : {}) }), { interactive, rm: flags.rm === true })
    return
  }
  process.exitCode = await runOneOff(ctx, project, service, {
    ...options,
    tty,
    interactive,
    stdio: [interactive ? 0 : openSync('/dev/null', 'r'), 1, 2],
    ...(tty ? { consoleSize: { height: process.stdout.rows, width: process.stdout.columns } } : {}),
  })
}

/**
 * compose run of a service with secrets or configs to write, or post_start
 * hooks: its one-off container is made and written into (createOneOff), then
 * started under its monitor, given its hooks, and attached, as `run -it` is (cli/commands/run.ts runAttached):
 * the detach keys leave it running, a hang-up ends it, --rm waits for its
 * removal; a start that fails leaves nothing.
 */
async function runCreatedThenAttached(ctx: ComposeContext, made: { container: ContainerInfo; service: Service; discard: () => Promise<void> }, o: { interactive: boolean; rm: boolean }): Promise<number> {
  const [{ startExisting }, { findContainer, monitorAlive }, { attachSession, finishSession }, { setTimeout: sleep }, { runHooks }] = await Promise.all([
    import('../../runtime/container/start-existing.js'),
    import('../../runtime/container/containers.js'),
    import('../attach-session.js'),
    import('node:timers/promises'),
    import('../../compose/hooks.js'),
  ])
  let c: ContainerInfo
  try {
    c = { ...made.container, ...(await startExisting(ctx.stateRoot, made.container, { monitor: { waitAttach: true } })), status: 'running', paused: false, restarting: false }
  } catch (err) {
    await made.discard()
    throw err
  }
  // alongside the attach, as docker compose run does (run.go): a hook's failure is the run's only when its command succeeded
  const hooks = runHooks(ctx, made.service, c, made.service.postStart).then(
    () => undefined,
    (err: unknown) => err,
  )
  const result = await attachSession(ctx.stateRoot, c, { stdin: o.interactive, sigProxy: true, endOnHangup: true })
  const code = await finishSession(ctx.stateRoot, c, result, { reportDetach: false })
  const hookFailed = await hooks
  if (o.rm && !result.detached) {
    for (const end = Date.now() + 30_000; Date.now() < end; await sleep(10)) {
      let now
      try {
        now = findContainer(ctx.stateRoot, c.id)
      } catch {
        break // removed
      }
      if (!monitorAlive(now, { exitCommand: true })) break
    }
  }
  if (hookFailed !== undefined && code === 0) throw hookFailed
  return code
}
