/**
 * COPY, ADD and WORKDIR as build steps: layers made straight from files,
 * keyed on the content they copy (copy-plan.ts).
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, createReadStream, openSync, readFileSync, readSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { gunzipSync, constants as zlibConstants } from 'node:zlib'
import { ingestLayer } from '../image/ingest-layer.js'
import { removeTree, tmpPath } from '../image/store-tmp.js'
import { parseGroup, parsePasswd, resolveUser } from '../runtime/spec/resolve-user.js'
import { parseChmod } from './chmod-mode.js'
import { contentDigest, copyWalks, ensureDirs, planCopy, sortEntries, type CopySource, type InlineFile } from './copy-plan.js'
import { destinationLookups } from './dest-lookups.js'
import { excludePatterns } from './copy-select.js'
import { flagValue, heredocName, type Instruction } from './dockerfile.js'
import { expand, splitRawWords } from './shell-lex.js'
import { nextState } from './image-state.js'
import type { LayerFile } from './layer-tar.js'
import { MergedTree } from './merged-tree.js'
import { isRoot } from '../paths.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import { readableTree } from './readable-tree.js'
import { HostDirSourceFs, resolveSource, TreeSourceFs, type SourceFs } from './source-fs.js'
import { fromContext } from './named-contexts.js'
import { BuildContext } from './build-context.js'
import type { StageResult } from './builder.js'
import type { StageRun } from './stage-run.js'
import { imageError, makeLayer, stepError, type StepPlan } from './step-layer.js'
import type { PathPatterns } from './path-patterns.js'

const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@)/i

export async function copyStep(s: StageRun, i: Instruction): Promise<StepPlan> {
  const run = s.run
  const isAdd = i.keyword === 'ADD'
  for (const flag of ['checksum', 'keep-git-dir']) {
    if (flagValue(i, flag) !== undefined) throw stepError(i, `--${flag} is not supported`)
  }
  // split first, then each word expanded (BuildKit): `COPY f $D/` with D="/my dir" is two words
  const rawWords = i.json ?? splitRawWords(i.args, s.escape)
  const words = rawWords.map((w) => (heredocName(w) !== undefined && !i.json ? w : s.expandWord(w)))
  if (words.length < 2) throw stepError(i, 'requires at least two arguments: SOURCE... DEST')
  const dest = words.pop()!
  const { parents, exclude, excludeText } = narrowingFlags(i, words)
  const from = s.flag(i, 'from')
  const chown = s.flag(i, 'chown')
  const chmodFlag = s.flag(i, 'chmod')
  let chmod: ReturnType<typeof parseChmod> | undefined
  try {
    chmod = chmodFlag === undefined ? undefined : parseChmod(chmodFlag)
  } catch (err) {
    throw stepError(i, (err as Error).message)
  }
  const tree = run.treeOf(s.state)

  const inline: InlineFile[] = []
  const sources: CopySource[] = []
  const temporary: string[] = []
  const cleanup = async () => {
    for (const path of temporary.splice(0)) await removeTree(path)
  }
  try {
    let fs: SourceFs = run.context
    let inNamespace: (() => Promise<SourceFs>) | undefined
    if (from !== undefined) {
      const named = fromContext(run.named, run.df.stages, from)
      const stage = named ? undefined : fromStage(s, i, from)
      if (named?.kind === 'dir') fs = named.fs
      else if (stage) fs = new TreeSourceFs(run.treeOf(stage.state), `stage ${from}`)
      else {
        const ref = named?.ref ?? from
        const image = await run.o.resolveImage(ref, false).catch((err: unknown) => {
          throw imageError(i, err)
        })
        await run.holdLayers(image.chainIds ?? [], `COPY --from=${from}`)
        fs = new TreeSourceFs(new MergedTree([...image.layerDirs].reverse(), run.store.idMaps), `image ${from}`)
      }
      // an ordinary user's: read on the host where the user may (a strict tree: a name it may not read
      // throws EACCES rather than reading as absent), else in their namespace (readable-tree.ts)
      const ids = fs instanceof TreeSourceFs && fs.tree.layers.length > 0 && !isRoot() ? ownSubordinateIds() : undefined
      if (ids) {
        const onDisk = fs as TreeSourceFs
        fs = new TreeSourceFs(onDisk.tree.strict(), onDisk.label)
        inNamespace = async () => {
          const dir = tmpPath(run.store.tmpDir, 'copy-from')
          temporary.push(dir)
          const sources = words.filter((w) => i.json || heredocName(w) === undefined)
          return readableTree(onDisk, { sources, parents: parents === true, exclude: excludeText }, dir, ids, run.o.signal)
        }
      }
    }
    for (const word of words) {
      const name = i.json ? undefined : heredocName(word)
      if (name !== undefined) {
        const body = i.heredocs.find((h) => h.name === name)
        if (!body) throw stepError(i, `heredoc ${word} has no body`)
        inline.push({ name: body.name, content: Buffer.from(body.expand ? expandBody(s, i, body.content) : body.content) })
        continue
      }
      if (REMOTE.test(word)) {
        if (isAdd) throw stepError(i, `${word}: remote sources are not supported; download them in a RUN step (wget, curl) or into the context`)
        throw stepError(i, `${word}: COPY takes paths in the build context`)
      }
      if (!isAdd || from !== undefined) {
        // a stage's or an image's files keep their owners; a local directory's (the context, a named one) are root's, as BuildKit's
        sources.push({ fs, path: word, keepOwners: from !== undefined && !(fs instanceof BuildContext) })
        continue
      }
      // ADD: a local tar archive is extracted into the destination
      for (const item of resolveSource(fs, word)) {
        const kind = item.stat.isFile() ? archiveKind(item.host) : undefined
        if (kind !== undefined) {
          const dir = tmpPath(run.store.tmpDir, 'add')
          temporary.push(dir)
          await mkdir(dir, { mode: 0o700 })
          // xz and bzip2 through the tools of those names, as build - reads them (build-stdin.ts)
          const input = kind === 'tar' ? { stream: createReadStream(item.host), done: Promise.resolve(), stop: () => undefined } : decompressing(kind, item.host)
          // the store's hardened unpacker: no "..", no writes through links
          const ingesting = ingestLayer(input.stream, `${dir}/fs`, { rootless: run.store.rootless, limits: run.store.limits })
          // an unpacker that gave up reads no more: the tool, blocked on a full pipe, is ended (its words then are not the cause)
          ingesting.catch(() => input.stop())
          const [ingested, tool] = await Promise.allSettled([ingesting, input.done])
          // the tool's own failure (a broken archive: it exits non-zero) is the cause, the unpacker's then only its echo;
          // one ended by stop() is the unpacker's failure
          if (tool.status === 'rejected' && !(tool.reason as { bySignal?: boolean }).bySignal) throw stepError(i, `${item.rel}: ${(tool.reason as Error).message}`)
          if (ingested.status === 'rejected') throw ingested.reason
          if (tool.status === 'rejected') throw stepError(i, `${item.rel}: ${(tool.reason as Error).message}`)
          // rootless, the extraction could not chown: its files are all the user's, and root's in the image
          sources.push({ fs: new HostDirSourceFs(`${dir}/fs`), path: '', keepOwners: !run.store.rootless })
        } else sources.push({ fs, path: item.rel })
      }
    }
    const owner = chown !== undefined ? chownIds(tree, chown, i) : undefined
    const options = {
      dest,
      workdir: s.workdir,
      tree: await destinationLookups(tree, copyWalks(dest, s.workdir), run.o.signal),
      ...(owner ? { chown: owner } : {}),
      ...(chmod !== undefined ? { chmod } : {}),
      now: Math.floor(run.now().getTime() / 1000),
      ...(parents ? { parents } : {}),
      ...(exclude ? { exclude } : {}),
    }
    let entries
    try {
      // (planning reads every byte it takes: the content digest)
      entries = planCopy(sources, inline, options)
    } catch (err) {
      if (!inNamespace || (err as { code?: unknown }).code !== 'EACCES') throw err
      const readable = await inNamespace()
      for (const source of sources) if (source.fs === fs) source.fs = readable
      entries = planCopy(sources, inline, options)
    }
    // --exclude as BuildKit reads it: unquoted, never expanded
    let excluded = 0
    const flagText = (f: Instruction['flags'][number]) => (f.name === 'exclude' ? excludeText[excluded++]! : s.expandWord(f.value!))
    const flags = i.flags.map((f) => (f.value === undefined ? ` --${f.name}` : ` --${f.name}=${flagText(f)}`)).join('')
    const createdBy = `${i.keyword}${flags} ${[...words, dest].join(' ')}`
    return {
      // the key holds every flag as given (createdBy) and what they selected (the digest): another
      // --exclude or --parents is another step even when it copies the same bytes
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
 * --parents (a boolean flag, BuildKit's words for a bad value) and the
 * --exclude patterns. Both narrow what source paths give, so a COPY with
 * nothing but heredocs has no use for them: said, rather than ignored.
 */
function narrowingFlags(i: Instruction, sources: string[]): { parents: boolean; exclude?: PathPatterns; excludeText: string[] } {
  const parentsValue = flagValue(i, 'parents')
  let parents = false
  if (parentsValue !== undefined) {
    const value = parentsValue.toLowerCase()
    if (value === '') throw stepError(i, 'missing a value on flag: --parents')
    if (value !== 'true' && value !== 'false') throw stepError(i, `expecting boolean value for flag --parents, not: ${parentsValue}`)
    parents = value === 'true'
  }
  const written = i.flags.filter((f) => f.name === 'exclude')
  if (written.some((f) => f.value === undefined)) throw stepError(i, 'missing a value on flag: --exclude')
  // unquoted as BuildKit's parser does (dockerfile.ts splitFlags), and not expanded
  const excludeText = written.map((f) => f.value!)
  let exclude: PathPatterns | undefined
  try {
    exclude = excludePatterns(excludeText)
  } catch (err) {
    throw stepError(i, (err as Error).message)
  }
  const onlyHeredocs = !i.json && sources.every((w) => heredocName(w) !== undefined)
  for (const [flag, used] of [['--parents', parents], ['--exclude', exclude !== undefined]] as const) {
    if (used && onlyHeredocs) throw stepError(i, `${flag} applies to source paths, and this ${i.keyword} has only heredocs`)
  }
  return { parents, ...(exclude ? { exclude } : {}), excludeText }
}

/**
 * The stage COPY --from names, if it names one of this Dockerfile's: by
 * name, or by a number, which BuildKit never takes for an image. Only a
 * stage before this one can be read; anything else is an image.
 */
function fromStage(s: StageRun, i: Instruction, from: string): StageResult | undefined {
  const stages = s.run.df.stages
  const numeric = /^\d+$/.test(from)
  const named = numeric ? stages[Number(from)] : stages.find((st) => st.name === from.toLowerCase())
  if (numeric && named === undefined) throw stepError(i, `invalid stage index ${from}`)
  if (named === undefined) return undefined
  if (named.index >= s.stage.index) {
    throw stepError(i, `cannot copy from stage "${from}", it needs to be defined before current stage "${s.stage.name ?? s.stage.index}"`)
  }
  const result = s.run.stageResult(from)
  // one its --from did not name until a stage ARG expanded it: never pulled as an image of that name
  if (!result) throw stepError(i, `stage "${from}" was not built (--from is expanded with the global ARGs only to choose the stages to build)`)
  return result
}

/** An archive decompressed by its tool (xz -dc, bzip2 -dc): its output, whether the tool ended well, and a way to end it. */
function decompressing(tool: 'xz' | 'bzip2', archive: string): { stream: Readable; done: Promise<void>; stop: () => void } {
  const child = spawn(tool, ['-dc', '--', archive], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()))
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'ENOENT' ? `a ${tool}-compressed archive: ${tool} is not on PATH` : err.message)))
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(Object.assign(new Error(`${tool} -d: ${stderr.trim() || `exit ${code ?? signal}`}`), { bySignal: signal !== null }))))
  })
  const stop = () => {
    child.stdout.destroy()
    child.kill('SIGKILL')
  }
  return { stream: child.stdout, done, stop }
}

/** A heredoc body's variables expanded, its quotes kept (BuildKit's SkipProcessQuotes; escapes are `\\`). */
function expandBody(s: StageRun, i: Instruction, content: string): string {
  try {
    return expand(content, s.lookup, '\\', { skipQuotes: true }).word
  } catch (err) {
    throw stepError(i, (err as Error).message)
  }
}

/**
 * --chown=user[:group], and WORKDIR's owner (the stage's USER, `what` in
 * messages): names from the image's own /etc/passwd and /etc/group. A user
 * alone: a name gives its passwd entry's group, a number gives itself as
 * gid too, whatever passwd says (BuildKit's readUser, for both: its WORKDIR
 * is a Mkdir with llb.WithUser(USER)).
 */
function chownIds(tree: MergedTree, spec: string, i: Instruction, what = `--chown=${spec}`): { uid: number; gid: number } {
  const [user = '', group] = spec.split(':', 2)
  const read = (path: string) => {
    const node = tree.lookup(path)
    return node?.stat.isFile() ? readFileSync(node.host, 'utf8') : ''
  }
  try {
    const resolved = resolveUser(spec, parsePasswd(read('/etc/passwd')), parseGroup(read('/etc/group')))
    return { uid: resolved.uid, gid: group !== undefined || !/^\d+$/.test(user) ? resolved.gid : resolved.uid }
  } catch (err) {
    throw stepError(i, `${what}: ${(err as Error).message}`)
  }
}

/** What ADD makes of a local file: a tar to extract (plain or gzipped, or xz or bzip2: by those tools), or a plain file (a compressed one that holds no tar too, as Docker's). */
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
  const tool = bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
    ? 'xz'
    : bytes.toString('latin1', 0, 3) === 'BZh' && bytes.toString('hex', 4, 10) === '314159265359' ? 'bzip2' : undefined
  if (tool !== undefined) {
    // the head of what it holds: the tool is stopped once it has given 4 kB
    const r = spawnSync(tool, ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 4096 })
    // no such tool: an archive still, which the step then says it cannot open
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return tool
    return r.stdout && isTar(r.stdout) ? tool : undefined
  }
  return isTar(bytes) ? 'tar' : undefined
}

export function workdirStep(s: StageRun, i: Instruction): StepPlan {
  const run = s.run
  const path = s.workdirFor(s.expandWord(i.args.trim()))
  const user = s.config.User ?? ''
  return {
    parts: ['WORKDIR', path, user],
    run: async () => {
      const state = s.state
      const tree = run.treeOf(state)
      const lookups = await destinationLookups(tree, { lookups: [path], ensure: [path] }, run.o.signal)
      let layer
      if (!lookups.lookup(path)?.stat.isDirectory()) {
        // BuildKit creates it, owned by the USER of the stage
        const owner = user ? chownIds(tree, user, i, `USER ${user}`) : { uid: 0, gid: 0 }
        const entries = new Map<string, LayerFile>()
        const now = Math.floor(run.now().getTime() / 1000)
        ensureDirs(lookups, path, entries, (p) => ({ path: p, type: 'dir', mode: 0o755, ...owner, mtime: now }))
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
