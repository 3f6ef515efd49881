/**
 * `mini-run build`: a Dockerfile, step by step, into an image of the store.
 *
 * A build is a sequence of mini-run containers (RUN) and store operations
 * (COPY, ADD, WORKDIR make layers directly from files; the rest only change
 * the config), one stage after another; only the stages the target needs
 * are built, as BuildKit does.
 *
 * The cache, as BuildKit and buildah key it: a step's key is its parent's
 * key, the instruction after ARG/ENV expansion (RUN: with the build
 * arguments in its environment), and for COPY and ADD the digest of the
 * content it copies, never mtimes (copy-plan.ts). A hit reuses the step's
 * recorded result (layers and config, its history times included, so a
 * rebuild from the cache is the same image id). So with the classic
 *
 *   COPY requirements.txt .   RUN pip install -r requirements.txt   COPY . .
 *
 * a change to the application code only reruns the last COPY, and a change
 * to requirements.txt reruns from there on.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { MiniRunError, UsageError } from '../errors.js'
import { ensureBuildCacheDirs, readCacheEntry, touchCacheEntry, writeCacheEntry } from '../image/build-cache-index.js'
import { StoreLease } from '../image/store-lease.js'
import { PROXY_ARGS, stepKey } from './cache-key.js'
import { formatPlatform, hostPlatform, parsePlatform } from '../image/platform.js'
import { parseReference } from '../image/reference.js'
import { ImageStore } from '../image/store.js'
import { defaultStateRoot, defaultStoreRoot } from '../paths.js'
import { BuildContext } from './build-context.js'
import { checkRunOptions, parseKeyValueFlags, readSecrets, type BuildEvent, type BuildOptions, type BuildResult } from './build-options.js'
import { rawKeyValues } from './config-steps.js'
import { contextDockerfile } from './dockerfile-path.js'
import { exportOutput } from './export-output.js'
import { readDockerfile } from './read-dockerfile.js'
import { parseDockerfile, parseTrigger, flagValue, instructionText, type Instruction, type ParsedDockerfile, type Stage } from './dockerfile.js'
import { commitState, scratchState, stateChainIds, stateFromImage, stateId, type BuildState } from './image-state.js'
import { MergedTree } from './merged-tree.js'
import { fromContext, namedContext, parseNamedContexts, type NamedContext } from './named-contexts.js'
import { expand, type Lookup } from './shell-lex.js'
import { StageRun } from './stage-run.js'
import { atLine, imageError } from './step-layer.js'
import { overriddenTarget, stagesNeeded, targetStage } from './stage-order.js'

export interface StageResult {
  state: BuildState
  key: string
  /** The stage's ARGs and their values: a stage `FROM` this one inherits them (BuildKit's dispatchState.init). */
  args?: ReadonlyMap<string, string | undefined>
}

/** What every stage of one build shares. */
export interface BuildRun {
  o: BuildOptions
  store: ImageStore
  storeRoot: string
  stateRoot: string
  df: ParsedDockerfile
  context: BuildContext
  /** --build-arg values, and which of them an ARG line used. */
  buildArgs: Map<string, string>
  usedArgs: Set<string>
  /** ARGs before the first FROM, with their values. */
  globalArgs: Map<string, string | undefined>
  secrets: Map<string, Buffer>
  /** The layers and blobs the build uses or makes, until its image is tagged (store-lease.ts). */
  lease: StoreLease
  /** Lease an image's layers, then check they are still there (a prune may have run just before). */
  holdLayers(chainIds: string[], what: string): Promise<void>
  results: Map<number, StageResult>
  event(e: BuildEvent): void
  /** The time for history entries: SOURCE_DATE_EPOCH, else now. */
  now(): Date
  treeOf(state: BuildState): MergedTree
  /** A step through the cache: its recorded result for `key`, or `run`'s (then recorded). */
  cached(key: string, run: () => Promise<BuildState>): Promise<{ state: BuildState; cached: boolean }>
  /** A stage (by name or index) built earlier in this build, or undefined. */
  stageResult(nameOrIndex: string): StageResult | undefined
  /** --build-context's, by name (named-contexts.ts). */
  named: Map<string, NamedContext>
}

export async function build(o: BuildOptions): Promise<BuildResult> {
  const storeRoot = o.storeRoot ?? defaultStoreRoot()
  const stateRoot = o.stateRoot ?? defaultStateRoot()
  const env = o.env ?? process.env
  const contextDir = resolve(o.context)
  const dockerfilePath = resolve(o.dockerfile ?? contextDockerfile(contextDir))
  // the context first, as Docker checks it: a missing one is named as such, not by its Dockerfile
  const context = BuildContext.open(contextDir, dockerfilePath)
  const text = o.dockerfileText ?? readDockerfile(dockerfilePath)
  if (o.platform !== undefined) checkPlatform(o.platform, '--platform')
  checkRunOptions(o)
  if (o.network !== undefined && !['none', 'host', 'default'].includes(o.network)) {
    throw new UsageError(`--network ${o.network}: use none or host`)
  }
  const names = (o.tags ?? []).map((t) => parseReference(t).name)
  const df = parseDockerfile(text)
  const store = new ImageStore({ root: storeRoot })
  await store.init()
  ensureBuildCacheDirs(storeRoot)

  const run: BuildRun = {
    o,
    store,
    storeRoot,
    stateRoot,
    df,
    context,
    buildArgs: parseKeyValueFlags(o.buildArgs ?? [], '--build-arg', env),
    usedArgs: new Set(),
    globalArgs: new Map(),
    secrets: readSecrets(o.secrets ?? [], env),
    named: parseNamedContexts(o.buildContexts ?? [], process.cwd(), new Set(o.storeOnlyContexts ?? [])),
    lease: new StoreLease(storeRoot),
    async holdLayers(chainIds, what) {
      await run.lease.hold(chainIds)
      const missing = chainIds.find((c) => !existsSync(join(store.layerPath(c), 'layer.json')))
      if (missing !== undefined) throw new MiniRunError(`${what}: layer ${missing} was removed from the store during the build`, { code: 'EINCOMPLETE' })
    },
    results: new Map(),
    event: (e) => o.onEvent?.(e),
    now: () => (o.sourceDateEpoch !== undefined ? new Date(o.sourceDateEpoch * 1000) : new Date()),
    treeOf: (state) => new MergedTree(stateChainIds(state).map((c) => store.layerFsPath(c)).reverse(), store.idMaps),
    async cached(key, step) {
      if (!o.noCache) {
        const entry = readCacheEntry(storeRoot, key)
        const state = entry && { config: entry.config as BuildState['config'], layers: entry.layers }
        if (state) {
          // leased first, then checked: a prune cannot come in between
          await run.lease.hold(stateChainIds(state))
          if (stateChainIds(state).every((c) => existsSync(join(store.layerPath(c), 'layer.json')))) {
            touchCacheEntry(storeRoot, key)
            return { state, cached: true }
          }
        }
      }
      const state = await step()
      await run.lease.hold(stateChainIds(state))
      await writeCacheEntry(storeRoot, store.tmpDir, { key, config: state.config, layers: state.layers, created: new Date().toISOString() })
      return { state, cached: false }
    },
    stageResult(nameOrIndex) {
      const lower = nameOrIndex.toLowerCase()
      const stage = df.stages.find((s) => s.name === lower) ?? (/^\d+$/.test(lower) ? df.stages[Number(lower)] : undefined)
      return stage ? run.results.get(stage.index) : undefined
    },
  }
  try {
    declareGlobalArgs(run)
    const target = overriddenTarget(run, targetStage(df, o.target))
    const order = stagesNeeded(df, target, globalLookup(run), (ref, mount) => (mount ? namedContext(run.named, ref) : fromContext(run.named, df.stages, ref)) !== undefined)
    for (const [n, stage] of order.entries()) {
      o.signal?.throwIfAborted()
      run.results.set(stage.index, await buildStage(run, stage, n + 1, order.length))
    }
    const unused = [...run.buildArgs.keys()].filter((k) => !run.usedArgs.has(k) && !PROXY_ARGS.has(k))
    if (unused.length) run.event({ type: 'warning', message: `one or more build-args [${unused.join(' ')}] were not consumed` })
    let final = run.results.get(target.index)!.state
    const labels = parseKeyValueFlags(o.labels ?? [], '--label')
    if (labels.size) {
      final = structuredClone(final)
      final.config.config.Labels = { ...(final.config.config.Labels ?? {}), ...Object.fromEntries(labels) }
    }
    // a Ctrl-C during the last step (a long COPY) stops the build there too: no image, no name
    o.signal?.throwIfAborted()
    if (o.outputs?.length) {
      // BuildKit's exporters instead of an image: the layers stay as the cache's, nothing is named
      for (const out of o.outputs) {
        if (out.type !== 'cacheonly') run.event({ type: 'export', output: out.type, dest: typeof out.dest === 'string' ? out.dest : 'stdout' })
        await exportOutput(run.treeOf(final), out, o.signal)
      }
      return { id: stateId(final), names: [] }
    }
    run.event({ type: 'commit', names })
    const { id, manifestDigest } = await commitState(store, final, names, run.lease)
    return { id, manifestDigest, names }
  } finally {
    run.lease.release()
  }
}

function checkPlatform(text: string, what: string): void {
  const want = parsePlatform(text)
  const host = hostPlatform()
  if (want.os !== host.os || want.architecture !== host.architecture || (want.variant && host.variant && want.variant !== host.variant)) {
    throw new UsageError(`${what} ${text}: RUN executes natively on this ${formatPlatform(host)} machine (no emulation); build on a ${formatPlatform(want)} machine`)
  }
}

/** BuildKit's automatic platform ARGs, in the global scope. */
function platformArgs(): Map<string, string> {
  const p = hostPlatform()
  const platform = formatPlatform(p)
  const args = new Map<string, string>()
  for (const prefix of ['BUILD', 'TARGET']) {
    args.set(`${prefix}PLATFORM`, platform)
    args.set(`${prefix}OS`, p.os)
    args.set(`${prefix}ARCH`, p.architecture)
    args.set(`${prefix}VARIANT`, p.variant ?? '')
  }
  return args
}

/**
 * The ARGs before the first FROM, as BuildKit's buildMetaArgs: each value
 * expanded with the ones set before it (on the same line too); a bare
 * `ARG TARGETARCH` keeps the predefined value, it does not unset it.
 */
function declareGlobalArgs(run: BuildRun): void {
  for (const [k, v] of platformArgs()) run.globalArgs.set(k, v)
  for (const i of run.df.globalArgs) {
    atLine(i, () => {
      for (const [name, raw] of rawKeyValues(i, run.df.escape, globalLookup(run), { bareNames: true })) {
        const given = run.buildArgs.get(name)
        if (given !== undefined) run.usedArgs.add(name)
        const value = given ?? (raw === undefined ? undefined : expand(raw, globalLookup(run), run.df.escape).word)
        if (value !== undefined || !run.globalArgs.has(name)) run.globalArgs.set(name, value)
      }
    })
  }
}

export function globalLookup(run: BuildRun): Lookup {
  return (name) => run.globalArgs.get(name) ?? (PROXY_ARGS.has(name) ? run.buildArgs.get(name) : undefined)
}

/**
 * SOURCE_DATE_EPOCH decides every step's times (history, layer mtimes), so
 * it is part of each stage's first key: a build with another epoch must
 * not reuse the steps of this one. Absent, the keys are as before.
 */
function epochKey(run: BuildRun): string[] {
  return run.o.sourceDateEpoch !== undefined ? [`SOURCE_DATE_EPOCH=${run.o.sourceDateEpoch}`] : []
}

/**
 * FROM a directory context, as BuildKit takes a local named context for a
 * stage's base: its files on scratch (one layer, root's), an empty config.
 */
async function dirContextStart(run: BuildRun, name: string, stage: Stage): Promise<StageResult> {
  const at = (i: Instruction): Instruction => ({ ...i, line: stage.from.line, endLine: stage.from.line })
  const copy = at(parseDockerfile(`# escape=${run.df.escape}\nFROM scratch\nCOPY --from=${name} / /\n`).stages[0]!.instructions[0]!)
  const files = new StageRun(run, { ...stage, instructions: [copy] }, { state: scratchState(), key: stepKey('', ['FROM', 'scratch', ...epochKey(run)]) })
  await files.step(copy)
  return { state: files.state, key: files.key, args: files.args }
}

async function buildStage(run: BuildRun, stage: Stage, stageNo: number, stages: number): Promise<StageResult> {
  let steps = 1 + stage.instructions.length
  let step = 0
  const announce = (text: string) => run.event({ type: 'step', stage: stageNo, stages, step: ++step, steps, text })
  announce(instructionText(stage.from))
  const platform = flagValue(stage.from, 'platform')
  if (platform !== undefined) atLine(stage.from, () => checkPlatform(expand(platform, globalLookup(run), run.df.escape).word, `FROM --platform`))
  const base = atLine(stage.from, () => expand(stage.base, globalLookup(run), run.df.escape).word)
  let start: StageResult
  const named = namedContext(run.named, base)
  const earlier = run.df.stages.find((s) => s.name === base.toLowerCase() && s.index < stage.index)
  if (named?.kind === 'dir') {
    start = await dirContextStart(run, base, stage)
  } else if (named) {
    // a named context is the image, in a stage's or an image's place (BuildKit's)
    const image = await run.o.resolveImage(named.ref, run.o.pull === true && !named.storeOnly).catch((err: unknown) => {
      throw imageError(stage.from, err)
    })
    start = { state: stateFromImage(image), key: stepKey('', ['FROM', image.configDigest, ...epochKey(run)]) }
  } else if (base.toLowerCase() === 'scratch') {
    start = { state: scratchState(), key: stepKey('', ['FROM', 'scratch', ...epochKey(run)]) }
  } else if (earlier) {
    const result = run.results.get(earlier.index)
    if (!result) throw new UsageError(`Dockerfile:${stage.from.line}: stage "${earlier.name}" was not built`, { code: 'EDOCKERFILE' })
    start = result
  } else {
    if (base === '') throw new UsageError(`Dockerfile:${stage.from.line}: FROM names no image (an ARG without a value?)`, { code: 'EDOCKERFILE' })
    const image = await run.o.resolveImage(base, run.o.pull === true).catch((err: unknown) => {
      throw imageError(stage.from, err)
    })
    start = { state: stateFromImage(image), key: stepKey('', ['FROM', image.configDigest, ...epochKey(run)]) }
  }
  await run.holdLayers(stateChainIds(start.state), `Dockerfile:${stage.from.line}: FROM`)
  // the base's ONBUILD triggers run first, then leave the config (BuildKit's
  // resolveStages: a base stage's as an image's; grandchildren never see them)
  const triggers = (start.state.config.config.OnBuild ?? []).map((t) => parseTrigger(t, run.df.escape, stage.from.line))
  if (start.state.config.config.OnBuild != null) {
    const state = structuredClone(start.state)
    state.config.config.OnBuild = null
    start = { ...start, state }
  }
  steps += triggers.length
  const stageRun = new StageRun(run, stage, start)
  for (const instruction of [...triggers, ...stage.instructions]) {
    announce(instructionText(instruction))
    run.o.signal?.throwIfAborted()
    const t0 = Date.now()
    const { cached } = await stageRun.step(instruction)
    if (cached) run.event({ type: 'cached', id: stateId(stageRun.state) })
    run.event({ type: 'done', id: stateId(stageRun.state), cached, ms: Date.now() - t0 })
  }
  return { state: stageRun.state, key: stageRun.key, args: stageRun.args }
}
