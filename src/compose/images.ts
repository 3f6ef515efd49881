/**
 * The images a project's services run: built (services with `build:`,
 * when the image is missing, with --build, or pull_policy: build) or
 * pulled (missing, or pull_policy: always), each once, before any
 * container is made; a missing image is an error naming the service.
 */
import { parseReference } from '../image/reference.js'
import { readRef } from '../image/refs.js'
import { ImageStore } from '../image/store.js'
import type { ResolvedImage } from '../image/store-types.js'
import { emit, warn, type ComposeContext } from './compose-context.js'
import { At } from './compose-error.js'
import { buildOrder, contextServices } from './build-config.js'
import type { Project, Service } from './model.js'

export interface ImageOptions {
  /** up --build, or `compose build`: build every service that has a build section. */
  build?: boolean
  /** up --no-build: never build. */
  noBuild?: boolean
  /** up --pull: the policy of every service, in place of its file's (a built service's build included, as docker compose's). */
  pull?: 'always' | 'missing' | 'never' | 'build'
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return code === 'ENOIMAGE' || code === 'EINCOMPLETE'
}

async function resolveOrUndefined(store: ImageStore, ref: string): Promise<ResolvedImage | undefined> {
  try {
    return await store.resolve(ref)
  } catch (err) {
    if (isMissing(err)) return undefined
    throw err
  }
}

export interface BuildServiceOptions {
  /** Its environment (build secrets of `environment:` read it) and services (additional_contexts' service:NAME). */
  project: Pick<Project, 'environment' | 'services'>
  /** A caller's own (a watch's): else Ctrl-C is listened for here. */
  signal?: AbortSignal
}

/**
 * The service's image built. Ctrl-C stops it at once, a RUN's container
 * removed (BuildInterruptedError, exit 130), as `build`'s own; a caller that
 * listens for it already (a watch) hands its own signal.
 */
export async function buildService(ctx: ComposeContext, s: Service, at: At, o: BuildServiceOptions): Promise<ResolvedImage> {
  const b = s.build!
  const signal = o.signal
  // the builder and the registry client load only when a build or a pull happens
  const [{ build }, { ensureImage }, { interruptOnSignals }, { BuildInterruptedError }, { builderContexts, builderSecrets }, { shmSizeOf }] = await Promise.all([
    import('../build/builder.js'),
    import('../registry/ensure-image.js'),
    import('../build/interrupt.js'),
    import('../build/run-step.js'),
    import('./build-config.js'),
    import('../runtime/container/container-flags.js'),
  ])
  const secrets = builderSecrets(b.secrets ?? [], o.project.environment)
  const contexts = builderContexts(b, (name) => o.project.services[name]?.image, at)
  const store = new ImageStore({ root: ctx.storeRoot })
  // build.tags as Docker's builder takes them: names, not digests
  b.tags.forEach((tag, i) => {
    let digest: string | undefined
    try {
      digest = parseReference(tag).digest
    } catch (err) {
      throw at.at('build', 'tags', i).error((err as Error).message, err)
    }
    if (digest !== undefined) throw at.at('build', 'tags', i).error(`"${tag}": a build tag cannot be a digest`)
  })
  for (const [key, values] of [['cache_from', b.cacheFrom], ['cache_to', b.cacheTo]] as const) {
    if (values?.length) warn(ctx, `service "${s.name}": build.${key} (${values.join(', ')}) is not used: mini-run's builder caches in its store alone`)
  }
  emit(ctx, 'Image', s.image, 'Building')
  const own = signal ? undefined : interruptOnSignals()
  const stop = signal ?? own!.signal
  try {
    await build({
      context: b.context,
      dockerfile: b.dockerfile,
      tags: [s.image, ...b.tags],
      buildArgs: Object.entries(b.args).map(([k, v]) => `${k}=${v}`),
      ...(b.target !== undefined ? { target: b.target } : {}),
      noCache: b.noCache,
      pull: b.pull,
      labels: Object.entries(b.labels).map(([k, v]) => `${k}=${v}`),
      ...(b.network !== undefined ? { network: b.network } : {}),
      ...(b.dockerfileInline !== undefined ? { dockerfileText: b.dockerfileInline } : {}),
      ...(b.platforms?.length ? { platform: b.platforms[0]! } : {}),
      secrets: secrets.secrets,
      buildContexts: contexts.values,
      storeOnlyContexts: contexts.storeOnly,
      env: secrets.env,
      addHosts: b.extraHosts ?? [],
      ...(b.shmSize !== undefined ? { shmSize: shmSizeOf(b.shmSize) } : {}),
      ulimits: b.ulimits ?? [],
      storeRoot: ctx.storeRoot,
      stateRoot: ctx.stateRoot,
      ...(ctx.cgroupParent !== undefined ? { cgroupParent: ctx.cgroupParent } : {}),
      // a base image's pull stops on Ctrl-C too
      resolveImage: async (ref, pull) => (await ensureImage(ref, pull ? 'always' : 'missing', { store, insecureRegistries: ctx.insecureRegistries ?? [], signal: stop })).image,
      output: ctx.build?.output ?? { onData: () => undefined },
      onEvent: (e) => ctx.build?.onEvent?.(s.image, e),
      signal: stop,
    })
  } catch (err) {
    if (stop.aborted) throw new BuildInterruptedError()
    throw at.at('build').error(`building ${s.image}: ${(err as Error).message}`, err)
  } finally {
    own?.dispose()
  }
  emit(ctx, 'Image', s.image, 'Built')
  return store.resolve(s.image)
}

export async function pullService(ctx: ComposeContext, s: Service, at: At): Promise<ResolvedImage> {
  const { pullImage } = await import('../registry/pull.js')
  const store = new ImageStore({ root: ctx.storeRoot })
  emit(ctx, 'Image', s.image, 'Pulling')
  try {
    await pullImage(s.image, {
      store,
      ...(s.platform !== undefined ? { platform: s.platform } : {}),
      insecureRegistries: ctx.insecureRegistries ?? [],
      progress: (e) => ctx.onPull?.(s.image, e),
    })
  } catch (err) {
    throw at.at('image').error(`pulling ${s.image}: ${(err as Error).message}`, err)
  }
  emit(ctx, 'Image', s.image, 'Pulled')
  return store.resolve(s.image)
}

/**
 * The image id of each service, built or pulled as needed, in dependency
 * order (as Docker Compose builds): a service's image may be another's FROM.
 */
export async function ensureImages(ctx: ComposeContext, project: Project, services: readonly string[], o: ImageOptions, fileOf: (service: string) => string): Promise<Record<string, string>> {
  const store = new ImageStore({ root: ctx.storeRoot })
  const done = new Map<string, ResolvedImage>()
  const ids: Record<string, string> = {}
  // and the services whose images their builds read (additional_contexts' service:NAME), first
  const wanted = new Set(services)
  for (const name of wanted) for (const c of contextServices(project.services[name]?.build)) if (project.services[c]) wanted.add(c)
  for (const name of buildOrder(project.services, project.mainFile).filter((n) => wanted.has(n))) {
    const s = project.services[name]!
    const at = new At(fileOf(name), ['services', name])
    let image = done.get(s.image)
    if (!image) {
      // its own build, or that of another service making the same image (docker compose's isServiceImageToBuild)
      const builder = s.build ? s : [...wanted].map((n) => project.services[n]!).find((b) => b.build?.namedImage && b.image === s.image)
      const build = () => buildService(ctx, builder!, builder === s ? at : new At(fileOf(builder!.name), ['services', builder!.name]), { project })
      let local = await resolveOrUndefined(store, s.image)
      // --pull replaces the file's policy, build included
      const effective = o.pull ?? s.pullPolicy
      const policy = effective === 'build' ? 'missing' : effective
      // --build makes a buildable service's policy build: never pulled first (docker compose's createOptions.Apply)
      const due =
        !(o.build && builder) && (policy === 'always' || (policy === 'refresh' && (local === undefined || (await pulledBefore(store, s.image, Date.now() - s.pullRefresh!.ms)))))
      // a named image that can be built is pulled first when its policy asks, as docker compose's pullRequiredImages
      // does; the build stands in for a pull that fails: its image's Warning, with the reason
      if (due && builder?.build?.namedImage) local = await pullService(ctx, s, at).catch((err: Error) => (pullFailed(ctx, s.image, err, 'Warning'), local))
      if (builder && !o.noBuild && (o.build || effective === 'build' || !local)) image = await build()
      else if (due && !builder) image = await pullService(ctx, s, at)
      else if (local) image = local
      // --no-build keeps a buildable service from its build, not another from its pull
      else if (policy === 'never' || (o.noBuild && builder)) throw at.at('image').error(`no such image: ${s.image} (${policy === 'never' ? 'pull_policy: never' : '--no-build'})`)
      else image = await pullService(ctx, s, at)
      done.set(s.image, image)
    }
    ids[name] = image.configDigest
  }
  return ids
}

/**
 * A pull that failed where a build stands in for it (Warning) or that is let
 * go (Error): the image's event, the reason its words, as docker compose's
 * pullServiceImage says it: " Image app:1  pulling app:1: manifest unknown".
 */
export function pullFailed(ctx: ComposeContext, image: string, err: Error, level: 'Warning' | 'Error'): void {
  const detail = (err as { detail?: unknown }).detail
  emit(ctx, 'Image', image, typeof detail === 'string' ? detail : err.message, level)
}

/** The name was last pulled (or tagged) before `time` (ms), as Docker Compose reads an image's LastTagTime for daily, weekly and every_. */
async function pulledBefore(store: ImageStore, image: string, time: number): Promise<boolean> {
  const updated = (await readRef(store.refsDir, parseReference(image).name))?.updated
  return !updated || Date.parse(updated) < time
}
