/**
 * The steps that make layers: RUN (a container's writable layer), COPY and
 * ADD (files from the context, another stage or an image), WORKDIR (the
 * directory, when the image lacks it). Each returns what its cache key is
 * made of and how to run it; StageRun sends it through the cache.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { posix } from 'node:path'
import { gunzipSync, constants as zlibConstants } from 'node:zlib'
import { UsageError } from '../errors.js'
import type { Descriptor } from '../image/oci.js'
import { buildCacheDirs } from '../image/build-cache-index.js'
import { ingestLayer } from '../image/ingest-layer.js'
import { tmpPath, removeTree } from '../image/store-tmp.js'
import { parseGroup, parsePasswd, resolveUser } from '../runtime/resolve-user.js'
import type { ResolvedImageLike } from '../runtime/run-container.js'
import type { VolumeFlags } from '../runtime/volumes.js'
import * as native from '../native/lib.js'
import type { BuildRun } from './builder.js'
import { commandOf, DEFAULT_SHELL } from './config-steps.js'
import { contentDigest, ensureDirs, planCopy, sortEntries, type CopySource, type InlineFile } from './copy-plan.js'
import { flagValue, flagValues, type Instruction } from './dockerfile.js'
import { nextState, stateChainIds, stateId, type BuildState } from './image-state.js'
import { commitLayerBlob, writeLayerBlob, type LayerFile } from './layer-tar.js'
import { MergedTree } from './merged-tree.js'
import { overlayDiff } from './overlay-diff.js'
import { cacheMountDir, materialize, mountKey, parseRunMount, writeSecretFile, type RunMount } from './run-mounts.js'
import { RunFailedError, runStep } from './run-step.js'
import { cleanSourcePath, HostDirSourceFs, resolveSource, TreeSourceFs, walkSource, type SourceFs } from './source-fs.js'
import type { StageRun } from './stage-run.js'

export interface StepPlan {
  /** What the cache key is made of (with the parent's key). */
  parts: unknown[]
  run: () => Promise<BuildState>
  /** Called once the step is done, hit or miss. */
  cleanup?: () => Promise<void>
}

function stepError(i: Instruction, message: string): UsageError {
  return new UsageError(`Dockerfile:${i.line}: ${i.keyword}: ${message}`, { code: 'EDOCKERFILE' })
}

/** Make a layer of `files` on top of `state`, in the store. */
async function makeLayer(run: BuildRun, state: BuildState, files: Iterable<LayerFile>): Promise<{ diffId: string; descriptor: Descriptor }> {
  const blob = await writeLayerBlob(run.store, files, run.o.sourceDateEpoch !== undefined ? { sourceDateEpoch: run.o.sourceDateEpoch } : {})
  const { descriptor, chainId } = await commitLayerBlob(run.store, blob, state.config.rootfs.diff_ids)
  await run.lease.hold([chainId])
  return { diffId: blob.diffId, descriptor }
}

/** An image with no layer (FROM scratch) still needs a lower directory to run in: an empty layer's. */
async function runnableImage(run: BuildRun, state: BuildState): Promise<ResolvedImageLike> {
  let chainIds = stateChainIds(state)
  if (chainIds.length === 0) {
    const blob = await writeLayerBlob(run.store, [])
    const { chainId } = await commitLayerBlob(run.store, blob, [])
    await run.lease.hold([chainId])
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

// ---- RUN ------------------------------------------------------------------

export async function runCommandStep(s: StageRun, i: Instruction): Promise<StepPlan> {
  const run = s.run
  const argv = commandOf(i, s.config.Shell ?? DEFAULT_SHELL)
  const mounts = flagValues(i, 'mount').map((m) => parseRunMount(s.expandWord(m), s.workdir))
  const security = s.flag(i, 'security')
  if (security !== undefined && security !== 'sandbox') throw stepError(i, `--security=${security} is not supported (RUN is always sandboxed)`)
  let network = s.flag(i, 'network') ?? 'default'
  if (network === 'default') network = run.o.network && run.o.network !== 'default' ? run.o.network : 'none'
  if (network !== 'none' && network !== 'host') throw stepError(i, `--network=${network}: none or host`)
  const args = s.argEnv()
  // a bind mount's content decides the result like a COPY's does
  const binds = mounts.filter((m): m is Extract<RunMount, { type: 'bind' }> => m.type === 'bind')
  const bindDigests = binds.map((m) => {
    const { fs, label } = mountSource(s, m.from)
    const item = fs.lookup(cleanSourcePath(m.source))
    if (!item) throw stepError(i, `--mount source ${m.source} not found in the ${label}`)
    const files = item.stat.isDirectory() ? [...walkSource(fs, item)] : [item]
    return contentDigest(files.map((f) => ({ path: f.rel, type: f.stat.isDirectory() ? 'dir' : f.stat.isFile() ? 'file' : 'symlink', mode: f.stat.mode, uid: f.stat.uid, gid: f.stat.gid, mtime: 0, size: f.stat.isFile() ? f.stat.size : 0, source: f.host })))
  })
  const prefix = args.keyed.length ? `|${args.keyed.length} ${args.keyed.join(' ')} ` : ''
  const createdBy = `RUN ${prefix}${argv.join(' ')}`
  return {
    parts: ['RUN', argv, args.keyed, mounts.map(mountKey), network, bindDigests],
    run: async () => {
      const state = s.state
      const tree = run.treeOf(state)
      const prepared = prepareMounts(s, i, mounts)
      try {
        const result = await runStep({
          storeRoot: run.storeRoot,
          stateRoot: run.stateRoot,
          ...(run.o.cgroupParent !== undefined ? { cgroupParent: run.o.cgroupParent } : {}),
          image: await runnableImage(run, state),
          tree,
          argv,
          env: args.all,
          network,
          volumes: prepared.volumes,
          output: run.o.output,
          ...(run.o.signal ? { signal: run.o.signal } : {}),
        }).catch((err: unknown) => {
          if (err instanceof RunFailedError) {
            throw new RunFailedError(`Dockerfile:${i.line}: RUN ${argv.join(' ')}: ${err.message}`, err.exitCode, err)
          }
          throw err
        })
        let layer
        try {
          const files = [...overlayDiff(result.upperDir)]
          // a RUN that changed nothing makes no layer, as in BuildKit
          if (files.length) layer = await makeLayer(run, state, files)
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

/** Where a bind mount or COPY --from reads: a stage of this build, an image, or the context. */
function mountSource(s: StageRun, from: string | undefined): { fs: SourceFs; label: string } {
  if (from === undefined) return { fs: s.run.context, label: 'build context' }
  const stage = s.run.stageResult(from)
  if (stage) return { fs: new TreeSourceFs(s.run.treeOf(stage.state), `stage ${from}`), label: `stage ${from}` }
  throw new UsageError(`--mount from=${from}: no stage of that name before this one`)
}

function prepareMounts(s: StageRun, i: Instruction, mounts: RunMount[]): { volumes: VolumeFlags; cleanup: () => Promise<void> } {
  const run = s.run
  const volumes: Required<Pick<VolumeFlags, 'mounts' | 'tmpfs'>> = { mounts: [], tmpfs: [] }
  const temporary: string[] = []
  const locks: number[] = []
  const cleanup = async () => {
    for (const fd of locks.splice(0)) closeSync(fd)
    for (const path of temporary.splice(0)) await removeTree(path)
  }
  // a file is mounted on a file the container creates, in a directory that
  // must exist: where the image lacks it, an empty tmpfs (/run/secrets)
  const tree = s.run.treeOf(s.state)
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
          const dir = cacheMountDir(buildCacheDirs(run.storeRoot).mounts, m)
          if (m.sharing !== 'shared') {
            // locked (and private, made locked): one RUN at a time uses the directory
            const fd = openSync(dir, 'r')
            locks.push(fd)
            native.flock(fd, 'exclusive')
          }
          volumes.mounts.push(`type=bind,source=${dir},target=${m.target}${m.readOnly ? ',readonly' : ''}`)
          break
        }
        case 'secret': {
          const content = run.secrets.get(m.id)
          if (!content) {
            if (m.required) throw stepError(i, `secret ${m.id} is required: give it with --secret id=${m.id},src=FILE`)
            break
          }
          const path = tmpPath(run.store.tmpDir, 'secret')
          temporary.push(path)
          writeSecretFile(path, content, m)
          fileTarget(m.target)
          volumes.mounts.push(`type=bind,source=${path},target=${m.target},readonly`)
          break
        }
        case 'bind': {
          const { fs, label } = mountSource(s, m.from)
          const item = fs.lookup(cleanSourcePath(m.source))
          if (!item) throw stepError(i, `--mount source ${m.source} not found in the ${label}`)
          const path = tmpPath(run.store.tmpDir, 'bind')
          temporary.push(path)
          materialize(fs, item, path)
          if (!item.stat.isDirectory()) fileTarget(m.target)
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
  return { volumes, cleanup }
}

// ---- COPY and ADD ----------------------------------------------------------

const HEREDOC_WORD = /^<<-?(["']?)(\w+)\1$/
const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i

export async function copyStep(s: StageRun, i: Instruction): Promise<StepPlan> {
  const run = s.run
  const isAdd = i.keyword === 'ADD'
  for (const flag of ['parents', 'exclude', 'checksum', 'keep-git-dir']) {
    if (flagValue(i, flag) !== undefined) throw stepError(i, `--${flag} is not supported`)
  }
  const words = i.json ? i.json.map((w) => s.expandWord(w)) : s.expandWords(i.args)
  if (words.length < 2) throw stepError(i, 'requires at least two arguments: SOURCE... DEST')
  const dest = words.pop()!
  const from = s.flag(i, 'from')
  const chown = s.flag(i, 'chown')
  const chmod = s.flag(i, 'chmod')
  if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod)) throw stepError(i, `--chmod=${chmod}: an octal mode such as 755`)
  const tree = run.treeOf(s.state)

  const inline: InlineFile[] = []
  const sources: CopySource[] = []
  const temporary: string[] = []
  const cleanup = async () => {
    for (const path of temporary.splice(0)) await removeTree(path)
  }
  try {
    let fs: SourceFs = run.context
    if (from !== undefined) {
      const stage = run.stageResult(from)
      if (stage) fs = new TreeSourceFs(run.treeOf(stage.state), `stage ${from}`)
      else {
        const image = await run.o.resolveImage(from, false)
        await run.lease.hold(image.chainIds)
        fs = new TreeSourceFs(new MergedTree([...image.layerDirs].reverse()), `image ${from}`)
      }
    }
    for (const word of words) {
      const heredoc = HEREDOC_WORD.exec(word)
      if (heredoc) {
        const body = i.heredocs.find((h) => h.name === heredoc[2])
        if (!body) throw stepError(i, `heredoc ${word} has no body`)
        inline.push({ name: body.name, content: Buffer.from(body.expand ? s.expandWord(body.content) : body.content) })
        continue
      }
      if (REMOTE.test(word)) {
        if (isAdd) throw stepError(i, `${word}: remote sources are not supported; download them in a RUN step (wget, curl) or into the context`)
        throw stepError(i, `${word}: COPY takes paths in the build context`)
      }
      if (!isAdd || from !== undefined) {
        sources.push({ fs, path: word })
        continue
      }
      // ADD: a local tar archive is extracted into the destination
      for (const item of resolveSource(fs, word)) {
        const kind = item.stat.isFile() ? archiveKind(item.host) : undefined
        if (kind === 'xz' || kind === 'bzip2') {
          throw stepError(i, `${item.rel}: ${kind} archives cannot be extracted here; use a .tar.gz, or COPY it and RUN tar`)
        }
        if (kind === 'tar') {
          const dir = tmpPath(run.store.tmpDir, 'add')
          temporary.push(dir)
          await mkdir(dir, { mode: 0o700 })
          // the store's hardened unpacker: no "..", no writes through links
          await ingestLayer(createReadStream(item.host), `${dir}/fs`, { rootless: run.store.rootless, limits: run.store.limits })
          sources.push({ fs: new HostDirSourceFs(`${dir}/fs`), path: '' })
        } else sources.push({ fs, path: item.rel })
      }
    }
    const owner = chown !== undefined ? chownIds(tree, chown, i) : undefined
    const entries = planCopy(sources, inline, {
      dest,
      workdir: s.workdir,
      tree,
      ...(owner ? { chown: owner } : {}),
      ...(chmod !== undefined ? { chmod: Number.parseInt(chmod, 8) } : {}),
      keepOwners: from !== undefined || isAdd,
      now: Math.floor(run.now().getTime() / 1000),
    })
    const flags = i.flags.map((f) => (f.value === undefined ? ` --${f.name}` : ` --${f.name}=${s.expandWord(f.value)}`)).join('')
    const createdBy = `${i.keyword}${flags} ${[...words, dest].join(' ')}`
    return {
      parts: [i.keyword, createdBy, contentDigest(entries)],
      run: async () => {
        const layer = entries.length ? await makeLayer(run, s.state, entries) : undefined
        return nextState(s.state, { createdBy, created: run.now().toISOString(), ...(layer ? { layer } : {}) })
      },
      cleanup,
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * --chown=user[:group]: names from the image's own /etc/passwd and
 * /etc/group; a user alone gives its uid as gid too (Dockerfile reference),
 * unlike USER, whose group is the user's own (`primaryGroup`).
 */
function chownIds(tree: MergedTree, spec: string, i: Instruction, primaryGroup = false): { uid: number; gid: number } {
  const [user = '', group] = spec.split(':', 2)
  const read = (path: string) => {
    const node = tree.lookup(path)
    return node?.stat.isFile() ? readFileText(node.host) : ''
  }
  try {
    const resolved = resolveUser(spec, parsePasswd(read('/etc/passwd')), parseGroup(read('/etc/group')))
    return { uid: resolved.uid, gid: group !== undefined || primaryGroup ? resolved.gid : resolved.uid }
  } catch (err) {
    throw stepError(i, `--chown=${spec}: ${(err as Error).message}`)
  }
}

function readFileText(path: string): string {
  const fd = openSync(path, 'r')
  try {
    const chunks: Buffer[] = []
    const buf = Buffer.alloc(65536)
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) chunks.push(Buffer.from(buf.subarray(0, n)))
    return Buffer.concat(chunks).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** What ADD makes of a local file: a tar to extract (plain or gzipped), an archive it cannot open, or a plain file. */
export function archiveKind(path: string): 'tar' | 'xz' | 'bzip2' | undefined {
  const fd = openSync(path, 'r')
  const head = Buffer.alloc(4096)
  let n: number
  try {
    n = readSync(fd, head, 0, head.length, 0)
  } finally {
    closeSync(fd)
  }
  const bytes = head.subarray(0, n)
  const isTar = (b: Buffer) => b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar'
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return isTar(gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH })) ? 'tar' : undefined
    } catch {
      return undefined
    }
  }
  if (bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz'
  if (bytes.toString('latin1', 0, 3) === 'BZh' && bytes.toString('hex', 4, 10) === '314159265359') return 'bzip2'
  return isTar(bytes) ? 'tar' : undefined
}

// ---- WORKDIR ---------------------------------------------------------------

export function workdirStep(s: StageRun, i: Instruction): StepPlan {
  const run = s.run
  const path = s.workdirFor(s.expandWord(i.args.trim()))
  const user = s.config.User ?? ''
  return {
    parts: ['WORKDIR', path, user],
    run: async () => {
      const state = s.state
      const tree = run.treeOf(state)
      let layer
      if (!tree.lookup(path)?.stat.isDirectory()) {
        // BuildKit creates it, owned by the USER of the stage
        const owner = user ? chownIds(tree, user, i, true) : { uid: 0, gid: 0 }
        const entries = new Map<string, LayerFile>()
        const now = Math.floor(run.now().getTime() / 1000)
        ensureDirs(tree, path, entries, (p) => ({ path: p, type: 'dir', mode: 0o755, ...owner, mtime: now }))
        layer = await makeLayer(run, state, sortEntries([...entries.values()]))
      }
      return nextState(state, {
        createdBy: `WORKDIR ${path}`,
        created: run.now().toISOString(),
        change: (c) => {
          c.WorkingDir = path
        },
        ...(layer ? { layer } : {}),
      })
    },
  }
}
