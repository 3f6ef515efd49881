/**
 * RUN as a build step: the command, its mounts and its build arguments
 * make the cache key; running it is a container (run-step.ts) whose
 * writable layer becomes the step's layer.
 */
import { destinationLookups } from './dest-lookups.js'
import { closeSync, fstatSync, mkdirSync, openSync, statSync, utimesSync } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { posix } from 'node:path'
import { pausePoint } from '../crash-point.js'
import { isRoot } from '../paths.js'
import { UsageError } from '../errors.js'
import { buildCacheDirs } from '../image/build-cache-index.js'
import { getLogger } from '../log.js'
import { removeTree, tmpPath } from '../image/store-tmp.js'
import * as isolationCalls from '../native/isolation-calls.js'
import * as lockCalls from '../native/lock-calls.js'
import type { ResolvedImageLike } from '../runtime/container/run-options.js'
import type { VolumeFlags } from '../runtime/spec/volumes.js'
import type { BuildRun } from './builder.js'
import type { BuildOptions } from './build-options.js'
import { commandOf, DEFAULT_SHELL, heredocScript } from './config-steps.js'
import { sourceDigest } from './copy-plan.js'
import { flagValues, type Instruction } from './dockerfile.js'
import { nextState, stateChainIds, stateId, type BuildState } from './image-state.js'
import { commitLayerBlob, writeLayerBlob } from './layer-tar.js'
import { mountSource, type MountSource } from './mount-source.js'
import { cacheMountDir, copyBindSource, mountKey, parseRunMount, userSecretParent, writeSecretFile, type RunMount } from './run-mounts.js'
import { requireRootForRun, RunFailedError, runStep } from './run-step.js'
import { cleanSourcePath } from './source-fs.js'
import type { StageRun } from './stage-run.js'
import { stepError, upperLayer, type StepPlan } from './step-layer.js'

/** An image with no layer (FROM scratch) still needs a lower directory to run in: an empty layer's. */
async function runnableImage(run: BuildRun, state: BuildState): Promise<ResolvedImageLike> {
  let chainIds = stateChainIds(state)
  if (chainIds.length === 0) {
    const blob = await writeLayerBlob(run.store, [])
    const { chainId } = await commitLayerBlob(run.store, blob, [], run.lease)
    chainIds = [chainId]
  }
  const c = state.config.config
  return {
    name: stateId(state),
    chainIds,
    config: { config: { ...(c.Env ? { Env: c.Env } : {}), ...(c.WorkingDir ? { WorkingDir: c.WorkingDir } : {}), ...(c.User ? { User: c.User } : {}) } },
    layerDirs: chainIds.map((id) => run.store.layerFsPath(id)),
  }
}

/**
 * A secret never reaches the image, its history included: where the
 * command line itself spells a secret's value (a test that compares with
 * it, a password typed into the Dockerfile), the history shows <secret>.
 */
export function withoutSecrets(text: string, mounts: readonly RunMount[], secrets: ReadonlyMap<string, Buffer>): string {
  let out = text
  for (const m of mounts) {
    if (m.type !== 'secret') continue
    const value = secrets.get(m.id)?.toString('utf8').trim()
    if (value && value.length >= 4) out = out.split(value).join('<secret>')
  }
  return out
}

/** What of the build's options a RUN's cache key carries: nothing when none is set. */
function runEnvironmentKey(o: Pick<BuildOptions, 'addHosts' | 'shmSize' | 'ulimits'>): unknown[] {
  const hosts = o.addHosts ?? []
  const ulimits = o.ulimits ?? []
  if (!hosts.length && o.shmSize === undefined && !ulimits.length) return []
  return [{ hosts, shm: o.shmSize ?? null, ulimits }]
}

export async function runCommandStep(s: StageRun, i: Instruction): Promise<StepPlan> {
  const run = s.run
  const shell = s.config.Shell ?? DEFAULT_SHELL
  const script = heredocScript(i)
  const argv = script ? [...shell, `${SCRIPT_DIR}/${script.name}`] : commandOf(i, shell)
  const mounts = flagValues(i, 'mount').map((m) => parseRunMount(s.expandWord(m), s.workdir))
  const security = s.flag(i, 'security')
  if (security !== undefined && security !== 'sandbox') throw stepError(i, `--security=${security} is not supported (RUN is always sandboxed)`)
  let network = s.flag(i, 'network') ?? 'default'
  if (network === 'default') network = run.o.network && run.o.network !== 'default' ? run.o.network : 'none'
  if (network !== 'none' && network !== 'host') throw stepError(i, `--network=${network}: none or host`)
  const args = s.argEnv()
  // a bind mount's content decides the result like a COPY's does
  const binds = mounts.filter((m): m is Extract<RunMount, { type: 'bind' }> => m.type === 'bind')
  const bindDigests: unknown[] = []
  // each source found once: the step runs on what its key was made of (a tag moved meanwhile changes neither)
  const sources = new Map<RunMount, MountSource>()
  for (const m of binds) {
    const source = await mountSource(s, i, m.from)
    sources.set(m, source)
    const { fs, label, key, image } = source
    // an ordinary user may not read a stage's or an image's files (another container user's 0600 file): its layers' ids
    // stand for them; an image's are its content's, exactly, for root too (nothing to hash at each build)
    if (key !== undefined && (image || !isRoot())) {
      bindDigests.push(`${key}:${cleanSourcePath(m.source)}`)
      continue
    }
    const item = fs.lookup(cleanSourcePath(m.source))
    if (!item) throw stepError(i, `--mount source ${m.source} not found in the ${label}`)
    bindDigests.push(sourceDigest(fs, item))
  }
  const prefix = args.keyed.length ? `|${args.keyed.length} ${args.keyed.join(' ')} ` : ''
  const createdBy = withoutSecrets(`RUN ${prefix}${argv.join(' ')}`, mounts, run.secrets)
  return {
    // the build's hosts, /dev/shm size and limits are part of what a RUN ran in, as BuildKit's ExecOp has them (left out when unset: earlier keys stay)
    parts: ['RUN', argv, args.keyed, mounts.map(mountKey), network, bindDigests, ...(script ? [script.content] : []), ...runEnvironmentKey(run.o)],
    run: async () => {
      const state = s.state
      const prepared = await prepareMounts(s, i, mounts, sources)
      try {
        if (script) prepared.volumes.mounts.push(`type=bind,source=${await writeScript(run, script, prepared.temporary)},target=${SCRIPT_DIR},readonly`)
        const result = await runStep({
          storeRoot: run.storeRoot,
          stateRoot: run.stateRoot,
          ...(run.o.cgroupParent !== undefined ? { cgroupParent: run.o.cgroupParent } : {}),
          image: await runnableImage(run, state),
          argv,
          env: args.all,
          secretEnv: prepared.env,
          network,
          ...(run.o.addHosts?.length ? { addHosts: run.o.addHosts } : {}),
          ...(run.o.shmSize !== undefined ? { shmSize: run.o.shmSize } : {}),
          ...(run.o.ulimits?.length ? { ulimits: run.o.ulimits } : {}),
          volumes: prepared.volumes,
          output: run.o.output,
          ...(run.o.signal ? { signal: run.o.signal } : {}),
        }).catch((err: unknown) => {
          if (err instanceof RunFailedError) {
            throw new RunFailedError(`Dockerfile:${i.line}: RUN ${argv.join(' ')}: ${err.message}`, err.exitCode, err)
          }
          // the container refused before it ran (USER not in the image's /etc/passwd): the line is still the RUN's
          if (err instanceof UsageError && err.code !== 'EDOCKERFILE') throw new UsageError(`Dockerfile:${i.line}: RUN ${argv.join(' ')}: ${err.message}`, { code: 'EDOCKERFILE', cause: err })
          throw err
        })
        let layer
        try {
          // a RUN that changed nothing makes no layer, as in BuildKit
          layer = await upperLayer(run, state, result)
        } finally {
          await result.remove()
        }
        return nextState(state, { createdBy, created: run.now().toISOString(), ...(layer ? { layer } : {}) })
      } finally {
        await prepared.cleanup()
      }
    },
  }
}

/** Where a "#!" heredoc's file is mounted, as BuildKit does. */
const SCRIPT_DIR = '/dev/pipes'

/** A directory holding the "#!" heredoc as an executable file (removed with the step's mounts). */
async function writeScript(run: BuildRun, script: { name: string; content: string }, temporary: string[]): Promise<string> {
  if (script.name.includes('/')) throw new UsageError(`heredoc ${script.name}: a name cannot hold "/"`)
  const dir = tmpPath(run.store.tmpDir, 'script')
  temporary.push(dir)
  await mkdir(dir, { mode: 0o755 })
  await writeFile(posix.join(dir, script.name), script.content, { mode: 0o755 })
  // both modes pass the umask: under 077 a USER other than root could not run the script
  await chmod(dir, 0o755)
  await chmod(posix.join(dir, script.name), 0o755)
  return dir
}

async function prepareMounts(
  s: StageRun,
  i: Instruction,
  mounts: RunMount[],
  sources: ReadonlyMap<RunMount, MountSource>,
): Promise<{ volumes: Required<Pick<VolumeFlags, 'mounts' | 'tmpfs'>>; env: string[]; temporary: string[]; cleanup: () => Promise<void> }> {
  const run = s.run
  const volumes: Required<Pick<VolumeFlags, 'mounts' | 'tmpfs'>> = { mounts: [], tmpfs: [] }
  // secrets given as env=: in the RUN's environment only, never in the config, the image's or the step container's
  const env: string[] = []
  const temporary: string[] = []
  const locks: number[] = []
  const tmpfsMounts: string[] = []
  // each undone on its own: one that fails leaves the others to be undone (and logged, the store's
  // clean-up of stale tmp/ entries finishes it)
  const undo = async (what: string, step: () => unknown) => {
    try {
      await step()
    } catch (err) {
      getLogger().warn({ err }, `build: ${what}`)
    }
  }
  const cleanup = async () => {
    for (const fd of locks.splice(0)) await undo('close a cache mount\'s lock', () => closeSync(fd))
    // the RUN's container is gone: detached, a secret's tmpfs goes with its bytes
    for (const dir of tmpfsMounts.splice(0)) await undo(`unmount ${dir}`, () => isolationCalls.umount(dir, 2 /* MNT_DETACH */))
    for (const path of temporary.splice(0)) await undo(`remove ${path}`, () => removeTree(path))
  }
  // a file is mounted on a file the container creates, in a directory that
  // must exist: where the image lacks it, an empty tmpfs (/run/secrets)
  // (looked up as an ordinary user can: dest-lookups.ts)
  const parents = [...new Set(mounts.filter((m) => m.target).map((m) => posix.dirname(m.target)))].filter((p) => p !== '/')
  const tree = await destinationLookups(s.run.treeOf(s.state), { lookups: parents, ensure: [] }, run.o.signal)
  const fileParents = new Set<string>()
  const fileTarget = (target: string) => {
    const parent = posix.dirname(target)
    if (parent !== '/' && !tree.lookup(parent)?.stat.isDirectory() && !fileParents.has(parent)) {
      fileParents.add(parent)
      volumes.tmpfs.push(`${parent}:mode=755`)
    }
  }
  try {
    for (const m of mounts) {
      if (m.target.includes(',')) throw stepError(i, `--mount target ${m.target}: a comma cannot be in a mount path here`)
      switch (m.type) {
        case 'cache': {
          const { dir, fd } = lockCacheMount(buildCacheDirs(run.storeRoot).mounts, m)
          locks.push(fd)
          // its last use, for builder prune's until= and --keep-storage
          touchDir(dir)
          volumes.mounts.push(`type=bind,source=${dir},target=${m.target}${m.readOnly ? ',readonly' : ''}`)
          break
        }
        case 'secret': {
          const content = run.secrets.get(m.id)
          if (!content) {
            if (m.required) throw stepError(i, `secret ${m.id} is required: give it with --secret id=${m.id},src=FILE`)
            break
          }
          if (m.env !== undefined) env.push(`${m.env}=${content.toString('utf8')}`)
          if (!m.asFile) break
          const path = posix.join(await secretTmpfs(run, content.length, (m.mode & 0o111) !== 0, temporary, tmpfsMounts), 'secret')
          writeSecretFile(path, content, m)
          fileTarget(m.target)
          volumes.mounts.push(`type=bind,source=${path},target=${m.target},readonly`)
          break
        }
        case 'bind': {
          const { fs, label } = sources.get(m) ?? (await mountSource(s, i, m.from))
          const path = tmpPath(run.store.tmpDir, 'bind')
          temporary.push(path)
          const copy = await copyBindSource(fs, cleanSourcePath(m.source), path, run.o.signal)
          if (!copy) throw stepError(i, `--mount source ${m.source} not found in the ${label}`)
          if (!copy.directory) fileTarget(m.target)
          volumes.mounts.push(`type=bind,source=${path},target=${m.target}${m.readWrite ? '' : ',readonly'}`)
          break
        }
        case 'tmpfs':
          volumes.mounts.push(`type=tmpfs,target=${m.target}${m.size ? `,tmpfs-size=${m.size}` : ''}`)
          break
      }
    }
  } catch (err) {
    void cleanup()
    throw err
  }
  return { volumes, env, temporary, cleanup }
}

/**
 * A tmpfs of its own for a secret's file while its RUN runs, as BuildKit
 * keeps secrets (solver/llbsolver/mounts/mount.go): its bytes are in memory
 * only, never on the store's disk, and go when it is unmounted after the
 * RUN, failed or interrupted too. A killed build's is unmounted by the
 * store's next clean-up of tmp/ (store-tmp.ts). Root only, as RUN is. Its
 * root is 0700; the mount is nosuid, nodev, as big as the secret, and
 * noexec unless the secret's mode lets it run, as BuildKit's; and noswap,
 * where the kernel knows it (6.4 on), so its pages never reach a swap
 * device either.
 */
async function secretTmpfs(run: BuildRun, size: number, exec: boolean, temporary: string[], tmpfsMounts: string[]): Promise<string> {
  requireRootForRun()
  // an ordinary user may mount no tmpfs: their runtime directory's, or the store's 0700 tmp/ (userSecretParent)
  const dir = tmpPath(isRoot() ? run.store.tmpDir : await userSecretParent(run.stateRoot, run.store.tmpDir), 'secret')
  mkdirSync(dir, { mode: 0o700 })
  temporary.push(dir)
  if (!isRoot()) return dir
  // size=0 would be no limit; the kernel rounds up to a page
  const data = `mode=700,size=${Math.max(size, 1)},nr_inodes=4`
  try {
    // never written to swap either (Linux 6.4's noswap), where the kernel has it
    isolationCalls.mountTmpfs(dir, `${data},noswap`, { exec })
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EINVAL') throw err
    isolationCalls.mountTmpfs(dir, data, { exec })
  }
  tmpfsMounts.push(dir)
  return dir
}

function touchDir(dir: string): void {
  try {
    const now = new Date()
    utimesSync(dir, now, now)
  } catch {
    // a read-only store: the last use stays its last change
  }
}

/**
 * The cache mount's directory, open and flocked. Locked (and private, made
 * locked): one RUN at a time uses it; shared: any number, and a shared flock
 * tells builder prune (build-cache-prune.ts) that they do. A prune that
 * took the directory between the open and the flock has moved it away: the
 * lock is then on a directory in the store's trash, so a new one is made
 * and locked instead.
 */
function lockCacheMount(mountsDir: string, m: Extract<RunMount, { type: 'cache' }>): { dir: string; fd: number } {
  for (;;) {
    const dir = cacheMountDir(mountsDir, m)
    const fd = openSync(dir, 'r')
    try {
      pausePoint('build:cache-mount-opened')
      lockCalls.flock(fd, m.sharing === 'shared' ? 'shared' : 'exclusive')
      const now = statSync(dir, { throwIfNoEntry: false })
      const held = fstatSync(fd)
      if (now && now.ino === held.ino && now.dev === held.dev) return { dir, fd }
    } catch (err) {
      closeSync(fd)
      throw err
    }
    closeSync(fd)
  }
}
