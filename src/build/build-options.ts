/**
 * What a build is asked to do (the library's one options interface for
 * `mini-run build`), what it reports while it runs, and the parsing of the
 * flag values it takes (--build-arg, --label, --secret).
 */
import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import type { ResolvedImage } from '../image/store-types.js'
import { parseAddHost } from '../network/etc-files.js'
import { parseUlimit } from '../runtime/spec/ulimits.js'
import type { BuildOutput } from './export-output.js'
import type { RunOutput } from './run-step.js'

export interface BuildOptions {
  /** The build context directory. */
  context: string
  /** The Dockerfile; default <context>/Dockerfile, or <context>/dockerfile when only that is there (dockerfile-path.ts). */
  dockerfile?: string
  /** Names for the result (-t); none: an untagged image. */
  tags?: string[]
  /** --build-arg KEY=VALUE, or KEY alone to take the caller's environment's value. */
  buildArgs?: string[]
  /** Build up to this stage (its name, or its index). Default: the last. */
  target?: string
  /** --no-cache: run every step (and record the results). */
  noCache?: boolean
  /** --pull: fetch base images again even when the store has them. */
  pull?: boolean
  /** --platform: only this machine's (RUN executes natively). */
  platform?: string
  /** --label KEY=VALUE, on the final image. */
  labels?: string[]
  /** --secret id=ID,src=FILE | id=ID,env=VAR: for RUN --mount=type=secret. */
  secrets?: string[]
  /** RUN's network: "none" (default) or "host". */
  network?: string
  /** --add-host NAME:IP: lines in RUN's /etc/hosts. */
  addHosts?: string[]
  /** --shm-size: the size of RUN's /dev/shm, in bytes (default 64 MiB). */
  shmSize?: number
  /** --ulimit NAME=SOFT[:HARD]: RUN's resource limits, as run's. */
  ulimits?: string[]
  /** --build-context NAME=DIRECTORY|docker-image://REF: for FROM NAME, COPY --from=NAME, RUN --mount from=NAME. */
  buildContexts?: string[]
  /** Names of buildContexts whose image comes from the store alone, never pulled (compose's service:NAME, just built). */
  storeOnlyContexts?: string[]
  /** The Dockerfile's text, given rather than read (compose's dockerfile_inline); `dockerfile` still names it. */
  dockerfileText?: string
  storeRoot?: string
  stateRoot?: string
  /** The cgroup parent of RUN's containers (relative to the v2 root). */
  cgroupParent?: string
  /** SOURCE_DATE_EPOCH: layer mtimes clamped to it, and history and config times set to it. */
  sourceDateEpoch?: number
  /** A base image by reference: from the store, or pulled (always, when pull is true). */
  resolveImage: (ref: string, pull: boolean) => Promise<ResolvedImage>
  /** Where RUN's output goes. */
  output: RunOutput
  onEvent?: (event: BuildEvent) => void
  /** Aborting it stops the build (Ctrl-C): a running RUN's container is killed and removed. */
  signal?: AbortSignal
  /**
   * -o/--output: write the target's filesystem out (export-output.ts)
   * instead of storing an image; the tags are then not used, as buildx
   * gives them to image exporters only. None: an image of the store.
   */
  outputs?: BuildOutput[]
  /** Environment for --build-arg KEY and --secret env=; default process.env. */
  env?: Record<string, string | undefined>
}

export type BuildEvent =
  /** A step starts: STEP n/N of stage s/S. */
  | { type: 'step'; stage: number; stages: number; step: number; steps: number; text: string }
  /** The step's result came from the cache. */
  | { type: 'cached'; id: string }
  /** The step is done; the image so far has this id. */
  | { type: 'done'; id: string; cached: boolean; ms: number }
  | { type: 'warning'; message: string }
  /** The final image is being written under these names. */
  | { type: 'commit'; names: string[] }
  /** The target's filesystem is being written out: a directory, a file, or "stdout". */
  | { type: 'export'; output: 'local' | 'tar'; dest: string }

export interface BuildResult {
  /** The image id (its config digest); with outputs, the id the image would have had. */
  id: string
  /** Absent with outputs: no image was stored. */
  manifestDigest?: string
  /** The names as stored (normalized); none with outputs. */
  names: string[]
}

/** RUN's --add-host, --shm-size and --ulimit values checked before the first step, not at the first RUN. */
export function checkRunOptions(o: Pick<BuildOptions, 'addHosts' | 'shmSize' | 'ulimits'>): void {
  for (const h of o.addHosts ?? []) parseAddHost(h)
  for (const u of o.ulimits ?? []) parseUlimit(u)
  if (o.shmSize !== undefined && !(Number.isSafeInteger(o.shmSize) && o.shmSize > 0)) throw new UsageError(`invalid --shm-size ${o.shmSize}: must be greater than 0`)
}

/** KEY=VALUE lists (--build-arg, --label); a bare KEY takes `env`'s value, or is left out. */
export function parseKeyValueFlags(values: readonly string[], flag: string, env?: Record<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>()
  for (const v of values) {
    const eq = v.indexOf('=')
    if (eq === 0) throw new UsageError(`invalid ${flag} "${v}": the name is empty`)
    if (eq < 0) {
      if (!env) throw new UsageError(`invalid ${flag} "${v}": expected KEY=VALUE`)
      const value = env[v]
      if (value !== undefined) out.set(v, value)
      continue
    }
    out.set(v.slice(0, eq), v.slice(eq + 1))
  }
  return out
}

/**
 * A flag's fields as Go's encoding/csv reads them (docker's --secret and
 * --mount): split at commas, a field in double quotes may hold commas,
 * and "" in it is a quote.
 */
export function csvFields(text: string): string[] {
  const out: string[] = []
  let i = 0
  while (i <= text.length) {
    if (text[i] === '"') {
      let field = ''
      i++
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') (field += '"'), (i += 2)
        else if (text[i] === '"') break
        else field += text[i++]
      }
      if (i >= text.length) throw new UsageError(`invalid value "${text}": a quote is not closed`)
      i++
      if (i < text.length && text[i] !== ',') throw new UsageError(`invalid value "${text}": text after a closing quote`)
      out.push(field)
      i++
      continue
    }
    const end = text.indexOf(',', i)
    out.push(text.slice(i, end < 0 ? text.length : end))
    if (end < 0) break
    i = end + 1
  }
  return out
}

/** --secret id=ID[,src=FILE|,env=VAR][,type=file|env]: the secrets' contents by id. */
export function readSecrets(values: readonly string[], env: Record<string, string | undefined>): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const value of values) {
    const fields = new Map<string, string>()
    for (const part of csvFields(value)) {
      const eq = part.indexOf('=')
      if (eq <= 0) throw new UsageError(`invalid --secret "${value}": expected id=ID,src=FILE or id=ID,env=VAR`)
      const key = part.slice(0, eq).toLowerCase()
      fields.set(key === 'source' ? 'src' : key, part.slice(eq + 1))
    }
    const id = fields.get('id')
    if (!id) throw new UsageError(`invalid --secret "${value}": id is required`)
    for (const key of fields.keys()) {
      if (!['id', 'src', 'env', 'type'].includes(key)) throw new UsageError(`invalid --secret "${value}": unknown field "${key}"`)
    }
    const type = fields.get('type') ?? (fields.has('env') ? 'env' : fields.has('src') ? 'file' : undefined)
    if (type === 'file' || (type === undefined && fields.has('src'))) {
      const src = fields.get('src')
      if (!src) throw new UsageError(`invalid --secret "${value}": src=FILE is required for type=file`)
      try {
        out.set(id, readFileSync(src))
      } catch (err) {
        throw new UsageError(`--secret ${id}: cannot read ${src}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
      continue
    }
    // type=env, or only an id: the environment variable of that name (as buildx does)
    const name = fields.get('env') ?? id
    const content = env[name]
    if (content === undefined) throw new UsageError(`--secret ${id}: the environment has no ${name}`)
    out.set(id, Buffer.from(content))
  }
  return out
}
