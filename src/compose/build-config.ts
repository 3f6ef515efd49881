/**
 * A service's `build:` section, as the Compose Specification's build
 * support describes it and as mini-run's builder can carry it out:
 *
 * - `dockerfile_inline`: the Dockerfile's text in the file itself (the
 *   builder takes it as `-f -` would);
 * - `secrets`: top-level secrets for `RUN --mount=type=secret`, each under
 *   the id of its `target` or its source, from a file or a variable of the
 *   project's environment, as Docker Compose hands them to the builder
 *   (build_bake.go toBakeSecrets);
 * - `extra_hosts`, `shm_size`, `ulimits`: RUN's /etc/hosts, /dev/shm and
 *   limits, as `mini-run build`'s --add-host, --shm-size and --ulimit;
 * - `platforms`: one, this machine's, as Docker Compose's classic builder
 *   takes no more than one.
 *
 * - `additional_contexts`: named contexts (a directory, `docker-image://`,
 *   or `service:NAME`, another service's image, built before), as `mini-run
 *   build --build-context`.
 *
 * - `cache_from`/`cache_to`: BuildKit's external caches, which mini-run's
 *   builder has not (its cache is the store's own): each build says so in a
 *   WARNING line and builds without them, as BuildKit builds when a cache
 *   source cannot be read.
 *
 * The rest (ssh, privileged, entitlements, isolation) is refused by its
 * path rather than dropped.
 */
import { resolve } from 'node:path'
import type { At } from './compose-error.js'
import type { BuildConfig, BuildSecret, FileObject, Service } from './model.js'
import { startWaves } from './dependency-order.js'
import { contextKey } from '../build/context-key.js'
import type { Lookup } from './interpolate.js'
import { extraHosts, ulimitsOf } from './service-values.js'
import { size } from './service-policies.js'
import { parseSize } from '../runtime/cgroup/cgroup-limits.js'
import { bool, isMap, listOrDict, str, strings, type Raw } from './values.js'

export interface BuildContextInput {
  projectDir: string
  lookup: Lookup
  secrets: Readonly<Record<string, FileObject>>
}

const ALLOWED = ['context', 'dockerfile', 'dockerfile_inline', 'additional_contexts', 'cache_from', 'cache_to', 'args', 'target', 'labels', 'network', 'no_cache', 'pull', 'tags', 'secrets', 'extra_hosts', 'shm_size', 'ulimits', 'platforms']

export function buildOf(v: unknown, at: At, ctx: BuildContextInput, namedImage: boolean, service: string): BuildConfig {
  const b: Raw = typeof v === 'string' ? { context: v } : (v as Raw)
  for (const key of Object.keys(b)) {
    if (!ALLOWED.includes(key) && !key.startsWith('x-')) throw at.at(key).error('not supported by mini-run')
  }
  const contextText = b.context === undefined ? '.' : str(b.context, at.at('context'))
  if (/^[a-z]+:\/\//.test(contextText) || contextText.startsWith('git@')) throw at.at('context').error('a remote build context is not supported: use a directory')
  const context = resolve(ctx.projectDir, contextText)
  const network = b.network === undefined ? undefined : str(b.network, at.at('network'))
  if (network !== undefined && !['none', 'host', 'default'].includes(network)) throw at.at('network').error('none, host or default')
  // compose-go's validation: one or the other
  if (b.dockerfile !== undefined && b.dockerfile_inline !== undefined && b.dockerfile_inline !== '') throw at.error('dockerfile and dockerfile_inline cannot be set at the same time')
  // an empty one is none, as compose-go reads it
  const inline = b.dockerfile_inline === undefined || b.dockerfile_inline === '' ? undefined : str(b.dockerfile_inline, at.at('dockerfile_inline'))
  const shmSize = b.shm_size === undefined ? undefined : size(b.shm_size, at.at('shm_size'))
  if (shmSize !== undefined && parseSize(shmSize, 'shm_size') <= 0) throw at.at('shm_size').error('must be greater than 0')
  const platforms = strings(b.platforms, at.at('platforms'))
  // Docker Compose's classic builder's words (build_classic.go)
  if (platforms.length > 1) throw at.at('platforms').error('the classic builder doesn\'t support multi-arch build: mini-run builds for one platform, this machine\'s')
  const secrets = buildSecrets(b.secrets, at.at('secrets'), ctx.secrets, service)
  const hosts = extraHosts(b.extra_hosts, at.at('extra_hosts'))
  const ulimits = ulimitsOf(b.ulimits, at.at('ulimits'))
  const contexts = additionalContexts(b.additional_contexts, at.at('additional_contexts'), ctx.projectDir, service)
  // kept as given, and said unused when a build runs (images.ts): mini-run's cache is its store's own
  const cacheFrom = strings(b.cache_from, at.at('cache_from'))
  const cacheTo = strings(b.cache_to, at.at('cache_to'))
  return {
    context,
    dockerfile: resolve(context, b.dockerfile === undefined ? 'Dockerfile' : str(b.dockerfile, at.at('dockerfile'))),
    ...(inline !== undefined ? { dockerfileInline: inline } : {}),
    args: listOrDict(b.args, at.at('args'), ctx.lookup),
    ...(b.target !== undefined ? { target: str(b.target, at.at('target')) } : {}),
    labels: listOrDict(b.labels, at.at('labels')),
    ...(network !== undefined ? { network } : {}),
    noCache: b.no_cache === undefined ? false : bool(b.no_cache, at.at('no_cache')),
    pull: b.pull === undefined ? false : bool(b.pull, at.at('pull')),
    // once each, as compose-go's EnforceUnicity keeps them; checked as references when they are built (images.ts)
    tags: [...new Set(strings(b.tags, at.at('tags')))],
    namedImage,
    ...(secrets.length ? { secrets } : {}),
    ...(hosts.length ? { extraHosts: hosts } : {}),
    ...(shmSize !== undefined ? { shmSize } : {}),
    ...(ulimits.length ? { ulimits } : {}),
    ...(platforms.length ? { platforms } : {}),
    ...(Object.keys(contexts).length ? { additionalContexts: contexts } : {}),
    ...(cacheFrom.length ? { cacheFrom } : {}),
    ...(cacheTo.length ? { cacheTo } : {}),
  }
}

/**
 * additional_contexts: NAME to a directory (from the project directory, as
 * compose-go's absContextPath), `docker-image://REF`, or `service:NAME`,
 * the image another service builds (built first).
 */
function additionalContexts(v: unknown, at: At, projectDir: string, service: string): Record<string, string> {
  const raw = listOrDict(v, at)
  for (const [name, value] of Object.entries(raw)) {
    if (value === `service:${service}`) throw at.at(name).error(`"${value}": a service's build cannot read its own image`)
    // a name FROM and --from can give: a lower-case image or stage name (BuildKit's NamedContext parses it so)
    if (contextKey(name) === undefined) throw at.at(name).error(`"${name}" is not a valid context name: an image or stage name, in lower case`)
    if (value.startsWith('docker-image://') || value.startsWith('service:')) continue
    if (value.includes('://') || value.startsWith('git@') || value.startsWith('github.com/')) throw at.at(name).error(`"${value}": only a directory, docker-image://REF or service:NAME is supported`)
    raw[name] = resolve(projectDir, value)
  }
  return raw
}

/** The services whose images a build section reads (additional_contexts' service:NAME). */
export function contextServices(b: BuildConfig | undefined): string[] {
  return Object.values(b?.additionalContexts ?? {}).flatMap((v) => (v.startsWith('service:') ? [v.slice(8)] : []))
}

/** The builder's --build-context values, service:NAME as that service's image, from the store alone (just built, never pulled). */
export function builderContexts(b: BuildConfig, imageOf: (service: string) => string | undefined, at: At): { values: string[]; storeOnly: string[] } {
  const storeOnly: string[] = []
  const values = Object.entries(b.additionalContexts ?? {}).map(([name, value]) => {
    if (!value.startsWith('service:')) return `${name}=${value}`
    const image = imageOf(value.slice(8))
    if (image === undefined) throw at.at('build', 'additional_contexts', name).error(`"${value}": no such service`)
    storeOnly.push(name)
    return `${name}=docker-image://${image}`
  })
  return { values, storeOnly }
}

/**
 * Services in the order their images are built: after the services they
 * depend on, and after those whose image they read (service:NAME), as
 * Docker Compose's classic builder orders them.
 */
export function buildOrder(services: Readonly<Record<string, Pick<Service, 'dependsOn' | 'build'>>>, file: string): string[] {
  const withContexts = Object.fromEntries(
    Object.entries(services).map(([name, s]) => [name, { dependsOn: { ...s.dependsOn, ...Object.fromEntries(contextServices(s.build).map((c) => [c, 'build'])) } }]),
  )
  return startWaves(withContexts, file).flat()
}

/** build.secrets: short (the source) or long (source, target) entries of the top-level secrets. */
function buildSecrets(v: unknown, at: At, defined: Readonly<Record<string, FileObject>>, service: string): BuildSecret[] {
  if (v === undefined || v === null) return []
  const list = Array.isArray(v) ? v : []
  return list.map((entry, i) => {
    const here = at.at(i)
    const e: Raw = isMap(entry) ? entry : { source: entry }
    const source = str(e.source, here.at('source'))
    const object = defined[source]
    if (!object) throw here.error(`service "${service}" refers to undefined build secret ${source}`)
    if (object.external) throw here.error(`unsupported external secret ${object.name} (Swarm's)`)
    const id = e.target === undefined ? source : str(e.target, here.at('target'))
    if (object.environment !== undefined) return { source, id, environment: object.environment, ...(object.value !== undefined ? { value: object.value } : {}) }
    return { source, id, file: object.file! }
  })
}

/** The builder's --secret values and the environment they read (build-options.ts readSecrets). */
export function builderSecrets(secrets: readonly BuildSecret[], environment: Readonly<Record<string, string>>): { secrets: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {}
  const out = secrets.map((s, i) => {
    // quoted as CSV (csvFields): a path or an id may hold a comma
    const q = (field: string) => `"${field.replaceAll('"', '""')}"`
    if ('file' in s) return `${q(`id=${s.id}`)},${q(`src=${s.file}`)}`
    // its own name, so a secret of an included project (its value) and the project's variable cannot clash
    const name = `MINI_RUN_BUILD_SECRET_${i}`
    // unset: empty, as Docker Compose hands the builder VAR= then
    env[name] = s.value ?? environment[s.environment] ?? ''
    return `${q(`id=${s.id}`)},env=${name}`
  })
  return { secrets: out, env }
}
