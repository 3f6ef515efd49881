/**
 * Load a compose project as compose-go does: find the files, parse each
 * (YAML), interpolate its values (${VAR} from the caller's environment and
 * the .env file), apply its services' extends, validate it against the Compose Specification's schema,
 * merge the files, then make the typed model (normalize-service.ts), with
 * its names, profiles and dependency order checked. Every error names the
 * file and the path in it. Nothing is created: `up` loads before it makes
 * anything, so a file with an error leaves nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { At, ComposeError } from './compose-error.js'
import { startWaves, withDependencies } from './dependency-order.js'
import { parseDotenv } from './dotenv.js'
import { findComposeFiles } from './find-files.js'
import { projectFileObjects } from './file-objects.js'
import { applyExtends } from './extends.js'
import { applyIncludes, type IncludeContext } from './include.js'
import { interpolateTree, type Lookup } from './interpolate.js'
import { mergeFiles } from './merge.js'
import type { Project, ProjectVolume, Service } from './model.js'
import { completeService, normalizeService } from './normalize-service.js'
import { referencedServices } from './referenced-services.js'
import { containerName, separatorOf, type Naming } from './project-containers.js'
import { stringToBool } from '../go-bool.js'
import { projectNetworks } from './project-networks.js'
import { volumeDriverOpts } from './syntax-volumes.js'
import { projectName } from './project-name.js'
import { schemaError } from './schema-errors.js'
import { bool, isMap, listOrDict, str, strings, type Raw } from './values.js'
import { validateCompose, YAMLParseError } from './vendor.js'
import { parseComposeYaml } from './yaml-tags.js'
import { LABELS } from './labels.js'
import { linkAliases } from './links.js'

export interface LoadOptions {
  /** -f files; none: looked up as Docker does (find-files.ts). */
  files?: string[]
  /** -p */
  projectName?: string
  /** --project-directory: default the first file's directory. */
  projectDirectory?: string
  /** --env-file: default <project directory>/.env, when there is one. */
  envFiles?: string[]
  /** --profile; default COMPOSE_PROFILES. */
  profiles?: string[]
  /** Services named on the command line: enabled whatever their profiles. */
  services?: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /**
   * The services' values checked against this host too (a device node is
   * there, CPUs within its own): for a verb about to make containers, so
   * that it makes nothing; not for one that only reads or removes.
   */
  onHost?: boolean
  /**
   * env_file is not read: for a verb that acts on what exists (down, ps,
   * logs...), as docker compose's projectOrName loads WithoutEnvironmentResolution,
   * so a deleted env file does not stop its `down`.
   */
  skipEnvFiles?: boolean
  /** --compatibility; else COMPOSE_COMPATIBILITY of the shell or .env (Project.compatibility). */
  compatibility?: boolean
}

export interface Loaded {
  project: Project
  warnings: string[]
}

const UNSUPPORTED_TOP = ['models']

export function loadProject(o: LoadOptions = {}): Loaded {
  const cwd = o.cwd ?? process.cwd()
  const env = o.env ?? process.env
  const shown = (file: string) => (file.startsWith(cwd + '/') ? relative(cwd, file) : file)
  const envFilesIn = (dir: string) => o.envFiles?.map((f) => resolve(cwd, f)) ?? (existsSync(resolve(dir, '.env')) ? [resolve(dir, '.env')] : [])
  // without -f, compose-go reads the .env of the working directory first: its COMPOSE_FILE says which files
  const early = o.files?.length || env.COMPOSE_FILE ? undefined : readEnvFiles(envFilesIn(resolve(cwd, o.projectDirectory ?? '.')), env, shown)
  const found = findComposeFiles(o.files ?? [], cwd, early?.has('COMPOSE_FILE') ? { COMPOSE_PATH_SEPARATOR: early.get('COMPOSE_PATH_SEPARATOR'), ...env, COMPOSE_FILE: early.get('COMPOSE_FILE') } : env)
  const warnings = [...found.warnings]
  const projectDir = resolve(cwd, o.projectDirectory ?? dirname(found.files[0]!))

  // the caller's environment wins over .env, as in Docker
  const dotenv = readEnvFiles(envFilesIn(projectDir), env, shown)
  const lookup: Lookup = (name) => env[name] ?? dotenv.get(name)

  const unset = new Set<string>()
  const origins = new WeakMap<Raw, Map<string, string>>()
  const includeContext: IncludeContext = {
    interpolation: { lookup, unset },
    shown,
    workingDir: projectDir,
    chain: [],
    origins,
    readEnvFiles: (files, parent) => readEnvFiles(files, { get: parent }, shown),
    readFile: (path, ctx) => readComposeFile(path, ctx, warnings),
  }
  const read = found.files.map((file) => readComposeFile(file, includeContext, warnings))
  const raws = read.map((r) => r.raw)
  const merged = mergeFiles(raws, read.map((r) => r.resets))
  const mainFile = shown(found.files[0]!)
  // compose-go's load: files that, merged, say nothing (empty, or only comments) are an error
  if (Object.keys(merged).length === 0) throw new ComposeError(mainFile, [], 'empty compose file')
  for (const key of UNSUPPORTED_TOP) if (merged[key] !== undefined) throw new ComposeError(mainFile, [key], 'not supported by mini-run')
  const name = projectName({
    flag: o.projectName,
    env: lookup('COMPOSE_PROJECT_NAME'),
    // the last file's that names one, as written: an empty name (a lock file's, config --lock-image-digests --format json)
    // overrides none; one that interpolates to nothing leaves the directory's, as compose-go's projectName
    file: fileProjectName(read),
    dir: projectDir,
  })
  // which file errors about a resource name: the last that defines it, or the one its include brought it from
  const fileOf = (section: string, key: string) => {
    for (let i = raws.length - 1; i >= 0; i--) {
      if (isMap(raws[i]![section]) && (raws[i]![section] as Raw)[key] !== undefined) return origins.get(raws[i]!)?.get(`${section}\0${key}`) ?? shown(found.files[i]!)
    }
    return mainFile
  }
  const networks = projectNetworks(merged.networks, name, (key) => new At(fileOf('networks', key), ['networks', key]))
  const volumes = projectVolumes(merged.volumes, name, projectDir, (key) => new At(fileOf('volumes', key), ['volumes', key]))
  const secrets = projectFileObjects('secret', merged.secrets, name, projectDir, (key) => new At(fileOf('secrets', key), ['secrets', key]))
  const configs = projectFileObjects('config', merged.configs, name, projectDir, (key) => new At(fileOf('configs', key), ['configs', key]))

  const rawServices = (merged.services ?? {}) as Raw
  const serviceAt = (n: string) => new At(fileOf('services', n), ['services', n])
  const profilesOf = new Map(Object.entries(rawServices).map(([n, raw]) => [n, strings(isMap(raw) ? raw.profiles : undefined, serviceAt(n).at('profiles'))]))
  const active = o.profiles ?? (lookup('COMPOSE_PROFILES') ?? '').split(',').filter(Boolean)
  const activeProfile = (n: string) => profilesOf.get(n)!.length === 0 || profilesOf.get(n)!.some((p) => active.includes(p) || p === '*') || active.includes('*')
  // compose-go's WithServicesEnabled: a service named on the command line enables its profiles, so the services of those profiles it depends on start too
  const profiles = [...active, ...(o.services ?? []).flatMap((n) => (profilesOf.has(n) && !activeProfile(n) ? profilesOf.get(n)! : []))]
  const enabled = (n: string) => profilesOf.get(n)!.length === 0 || profilesOf.get(n)!.some((p) => profiles.includes(p) || p === '*') || profiles.includes('*') || o.services?.includes(n) === true

  const naming = { name, ...((o.compatibility || stringToBool(lookup('COMPOSE_COMPATIBILITY') ?? '')) && { compatibility: true as const }) }
  const serviceCtx = {
    projectName: name,
    separator: separatorOf(naming),
    projectDir,
    lookup,
    volumes: new Set(Object.keys(volumes)),
    networks: new Set(Object.keys(networks)),
    secrets,
    configs,
    warnings,
    onHost: o.onHost === true,
    skipEnvFiles: o.skipEnvFiles === true,
  }
  const all: Record<string, Service> = {}
  for (const [serviceName, raw] of Object.entries(rawServices)) all[serviceName] = normalizeService(serviceName, (raw ?? {}) as Raw, serviceAt(serviceName), serviceCtx)
  const services: Record<string, Service> = {}
  for (const s of Object.values(all)) if (enabled(s.name)) services[s.name] = s
  for (const s of Object.values(services)) volumesFromServices(s, all, naming, new At(fileOf('services', s.name), ['services', s.name, 'volumes_from']))
  for (const s of Object.values(services)) {
    for (const [dep, d] of Object.entries(s.dependsOn)) {
      const at = new At(fileOf('services', s.name), ['services', s.name, 'depends_on', dep])
      if (!all[dep]) throw at.error(`service "${s.name}" depends on undefined service "${dep}"`)
      if (!services[dep]) {
        if (d.required) throw at.error(`service "${dep}" is not enabled by the active profiles (${profiles.join(',') || 'none'})`)
        delete s.dependsOn[dep]
      }
    }
  }
  // env_file and label_file read, and the host checked, only for the services the command acts on: the
  // enabled ones, or those named and their dependencies (compose-go's WithSelectedServices, then the
  // resolution), and those joining them, which up recreates along; a missing env file of a service
  // not started fails nothing
  for (const n of inScope(services, o.services, { joining: true })) completeService(services[n]!, (rawServices[n] ?? {}) as Raw, serviceAt(n), serviceCtx)
  linkAliases(services, (n) => new At(fileOf('services', n), ['services', n, 'links']))
  startWaves(services, mainFile)
  const names = new Map<string, string>()
  for (const s of Object.values(services)) {
    if (!s.containerName) continue
    const other = names.get(s.containerName)
    if (other) throw new ComposeError(fileOf('services', s.name), ['services', s.name, 'container_name'], `"${s.containerName}" is also the container name of service ${other}`)
    names.set(s.containerName, s.name)
  }
  return {
    project: {
      name,
      workingDir: projectDir,
      files: found.files,
      services,
      disabledServices: Object.keys(all).filter((n) => !services[n]),
      profiles: [...new Set([...profilesOf.values()].flat())].sort(),
      networks,
      volumes,
      ...(Object.keys(secrets).length ? { secrets } : {}),
      ...(Object.keys(configs).length ? { configs } : {}),
      serviceFiles: Object.fromEntries(Object.keys(all).map((n) => [n, fileOf('services', n)])),
      mainFile,
      environment: Object.fromEntries([...dotenv, ...Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)]),
      ...(naming.compatibility && { compatibility: true }),
    },
    warnings: [...[...unset].map((v) => `The "${v}" variable is not set. Defaulting to a blank string.`), ...warnings],
  }
}

/** The .env file (or --env-file's), read in order: a later file's variables over an earlier's. */
function readEnvFiles(files: readonly string[], env: NodeJS.ProcessEnv | { get: Lookup }, shown: (file: string) => string): Map<string, string> {
  const outer = (n: string) => (typeof env.get === 'function' ? (env.get as Lookup)(n) : (env as NodeJS.ProcessEnv)[n])
  const dotenv = new Map<string, string>()
  for (const file of files) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new ComposeError(shown(file), [], `cannot read the env file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
    }
    for (const [k, v] of parseDotenv(text, shown(file), (n) => outer(n) ?? dotenv.get(n))) dotenv.set(k, v)
  }
  return dotenv
}

/** A compose file's YAML as written (`-` is stdin), or one line naming the file and where its YAML breaks. */
export function readComposeYaml(path: string, shown: string): { value: unknown; resets: string[][] } {
  let text: string
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8')
  } catch (err) {
    throw new ComposeError(shown, [], `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
  try {
    return parseComposeYaml(text)
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0]
      throw new ComposeError(shown, [], `${line ? `line ${line.line}, column ${line.col}: ` : ''}${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, { cause: err })
    }
    throw err
  }
}

/** One file: YAML, interpolation, its includes (include.ts), its services' extends (extends.ts), the schema. */
function fileProjectName(read: readonly { raw: Raw; named: boolean }[]): string | undefined {
  const last = read.filter((r) => r.named).pop()?.raw.name
  return typeof last === 'string' && last !== '' ? last : undefined
}

/** named: the file gives a top-level name, non-empty as written (compose-go's projectName reads it so, before interpolation). */
function readComposeFile(path: string, ctx: IncludeContext, warnings: string[]): { raw: Raw; resets: string[][]; named: boolean } {
  const shown = path === '-' ? '-' : ctx.shown(path)
  let { value: parsed, resets } = readComposeYaml(path, shown)
  if (parsed === null || parsed === undefined) parsed = {}
  if (!isMap(parsed)) throw new ComposeError(shown, [], 'the top level must be a mapping (services:, volumes:, ...)')
  if (parsed.version !== undefined) warnings.push(`${shown}: the attribute \`version\` is obsolete, it will be ignored`)
  const interpolated = interpolateTree(parsed, ctx.interpolation, new At(shown)) as Raw
  applyIncludes(interpolated, resets, new At(shown), { ...ctx, chain: [...ctx.chain, resolve(ctx.workingDir, path)] })
  // the paths of the files given are relative to the project's directory, whichever directory each is in (compose-go's)
  applyExtends(interpolated, shown, resets, ctx.workingDir, ctx)
  if (!validateCompose(interpolated)) throw schemaError(shown, validateCompose.errors ?? [], interpolated)
  return { raw: interpolated, resets, named: typeof parsed.name === 'string' && parsed.name !== '' }
}

/**
 * volumes_from's services: each names its first container, and is a
 * dependency the service starts after (compose-go adds it to depends_on).
 */
function volumesFromServices(s: Service, all: Record<string, Service>, project: Naming, at: At): void {
  s.volumesFrom.forEach((v, i) => {
    if (v.service === undefined) return
    const from = all[v.service]
    if (!from) throw at.at(i).error(`service "${s.name}" mounts volumes from undefined service "${v.service}"`)
    v.container = containerName(project, from, 1)
    s.dependsOn[v.service] ??= { condition: 'service_started', required: true, restart: false }
  })
}

function projectVolumes(v: unknown, project: string, projectDir: string, at: (key: string) => At): Record<string, ProjectVolume> {
  const out: Record<string, ProjectVolume> = {}
  for (const [key, value] of Object.entries(isMap(v) ? v : {})) {
    const here = at(key)
    const n: Raw = isMap(value) ? value : {}
    for (const k of Object.keys(n)) {
      if (!['name', 'external', 'driver', 'driver_opts', 'labels'].includes(k) && !k.startsWith('x-')) throw here.at(k).error('not supported by mini-run')
    }
    if (n.driver !== undefined && str(n.driver, here.at('driver')) !== 'local') throw here.at('driver').error(`the ${String(n.driver)} driver is not supported by mini-run (local)`)
    const external = n.external === undefined ? false : isMap(n.external) ? true : bool(n.external, here.at('external'))
    const name = n.name !== undefined ? str(n.name, here.at('name')) : isMap(n.external) && n.external.name !== undefined ? str(n.external.name, here.at('external', 'name')) : external ? key : `${project}_${key}`
    const driverOpts = n.driver_opts === undefined ? undefined : volumeDriverOpts(n.driver_opts, projectDir, here.at('driver_opts'))
    out[key] = { name, external, labels: { ...listOrDict(n.labels, here.at('labels')), [LABELS.project]: project, [LABELS.volume]: key }, ...(driverOpts ? { driverOpts } : {}) }
  }
  return out
}

/**
 * The enabled services a command names and what they depend on; with
 * joining, the services that join one of those too (network_mode, pid, ipc
 * service:, or volumes_from: up recreates them with it) with their own
 * dependencies. All of them when it names none.
 */
export function inScope(services: Record<string, Service>, named: readonly string[] | undefined, o: { joining?: boolean } = {}): string[] {
  const known = (named ?? []).filter((n) => services[n])
  if (known.length === 0) return Object.keys(services)
  const seen = withDependencies(services, known)
  for (let grew = o.joining === true; grew; ) {
    grew = false
    for (const s of Object.values(services)) {
      if (seen.has(s.name) || !referencedServices(s).some((r) => seen.has(r))) continue
      for (const n of withDependencies(services, [s.name])) seen.add(n)
      grew = true
    }
  }
  return [...seen]
}
