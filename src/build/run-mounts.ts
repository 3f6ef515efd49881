/**
 * BuildKit's `RUN --mount` (Dockerfile reference, "RUN --mount"), parsed
 * and then made into the bind and tmpfs mounts of the step's container:
 *
 *   type=cache   a directory of the store (build-cache/mounts/), kept from
 *                one build to the next and never part of a layer: package
 *                managers' downloads survive a changed requirements file
 *   type=secret  a private copy of the file given with `build --secret`,
 *                on a tmpfs of its own (run-command-step.ts: in memory
 *                only), read-only at /run/secrets/<id> for this one RUN; neither
 *                its content nor its path reaches a layer or the history.
 *                With env=NAME, in that variable of the RUN's environment
 *                instead (and at target too, when one is given)
 *   type=bind    the build context (default) or a directory of another
 *                stage or image, read-only unless rw; a rw bind is a
 *                throw-away copy, so the context is never written
 *   type=tmpfs   an empty tmpfs
 *
 * Every mount point the container had to create is removed from its
 * writable layer before the layer is taken (run-step.ts), as buildah does.
 */
import { chmodSync, chownSync, closeSync, constants as fsConstants, copyFileSync, fchmodSync, fchownSync, openSync, lchownSync, lutimesSync, mkdirSync, readlinkSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { cleanStaleTmp } from '../image/store-tmp.js'
import { ensurePrivateDir } from '../private-dir.js'
import { ensureStateRoot } from '../runtime/container/state.js'
import { sha256Digest } from '../image/digest.js'
import { UsageError } from '../errors.js'
import { isRoot } from '../paths.js'
import { runHelper, runHelperSync } from '../rootless/helper-process.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import { MergedTree } from './merged-tree.js'
import { TreeSourceFs, type SourceFs, type SourceItem } from './source-fs.js'

export type RunMount =
  | { type: 'cache'; target: string; id: string; sharing: 'shared' | 'private' | 'locked'; mode: number; uid: number; gid: number; readOnly: boolean; from?: string; source?: string }
  | { type: 'secret'; target: string; id: string; required: boolean; mode: number; uid: number; gid: number; env?: string; asFile: boolean }
  | { type: 'bind'; target: string; source: string; from?: string; readWrite: boolean }
  | { type: 'tmpfs'; target: string; size?: string }

const TRUE = new Set(['', 'true', '1'])

/** One --mount=... value, with `workdir` for relative targets. */
export function parseRunMount(spec: string, workdir: string): RunMount {
  const fields = new Map<string, string>()
  for (const field of spec.split(',')) {
    if (field === '') continue
    const eq = field.indexOf('=')
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase()
    const alias: Record<string, string> = { dst: 'target', destination: 'target', src: 'source', ro: 'readonly', rw: 'readwrite' }
    fields.set(alias[key] ?? key, eq < 0 ? '' : field.slice(eq + 1))
  }
  const bad = (why: string) => new UsageError(`--mount=${spec}: ${why}`)
  const type = fields.get('type') ?? 'bind'
  const known: Record<string, string[]> = {
    cache: ['type', 'target', 'id', 'sharing', 'mode', 'uid', 'gid', 'readonly', 'from', 'source'],
    secret: ['type', 'target', 'id', 'required', 'mode', 'uid', 'gid', 'env'],
    bind: ['type', 'target', 'source', 'from', 'readonly', 'readwrite'],
    tmpfs: ['type', 'target', 'size'],
  }
  if (!known[type]) throw bad(`type=${type} is not supported (cache, secret, bind or tmpfs)`)
  for (const key of fields.keys()) if (!known[type]!.includes(key)) throw bad(`unknown option "${key}" for type=${type}`)
  const number = (key: string, fallback: number, radix = 10) => {
    const text = fields.get(key)
    if (text === undefined) return fallback
    const n = Number.parseInt(text, radix)
    if (!/^\d+$/.test(text) || !Number.isFinite(n)) throw bad(`${key}=${text} is not a number`)
    return n
  }
  const targetOf = (fallback?: string) => {
    const t = fields.get('target') || fallback
    if (!t) throw bad('target is required')
    return posix.normalize(t.startsWith('/') ? t : posix.join(workdir || '/', t))
  }
  switch (type) {
    case 'cache': {
      const target = targetOf()
      const sharing = fields.get('sharing') ?? 'shared'
      if (sharing !== 'shared' && sharing !== 'private' && sharing !== 'locked') throw bad(`sharing=${sharing} (shared, private or locked)`)
      if (fields.has('from')) throw bad('a cache mount seeded from another stage is not supported')
      return {
        type,
        target,
        id: fields.get('id') || target,
        sharing,
        mode: number('mode', 0o755, 8),
        uid: number('uid', 0),
        gid: number('gid', 0),
        readOnly: fields.has('readonly') && TRUE.has(fields.get('readonly')!),
      }
    }
    case 'secret': {
      const id = fields.get('id') || (fields.get('target') ? posix.basename(fields.get('target')!) : '')
      if (!id) throw bad('id is required')
      const env = fields.get('env')
      if (env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) throw bad(`env=${env} is not a variable name`)
      return {
        type,
        id,
        target: targetOf(`/run/secrets/${id}`),
        // BuildKit: with env= alone, the secret is only in the environment
        asFile: env === undefined || !!fields.get('target'),
        ...(env !== undefined ? { env } : {}),
        required: fields.has('required') && TRUE.has(fields.get('required')!),
        mode: number('mode', 0o400, 8),
        uid: number('uid', 0),
        gid: number('gid', 0),
      }
    }
    case 'bind':
      return {
        type,
        target: targetOf(),
        source: fields.get('source') ?? '/',
        ...(fields.has('from') ? { from: fields.get('from')! } : {}),
        readWrite: fields.has('readwrite') && TRUE.has(fields.get('readwrite')!),
      }
    default: {
      const size = fields.get('size')
      return { type: 'tmpfs', target: targetOf(), ...(size ? { size } : {}) }
    }
  }
}

/** What the cache key sees of a mount: everything but secrets' and caches' contents. */
export function mountKey(m: RunMount): string {
  return JSON.stringify(m)
}

/** The cache mount's directory in the store, by id. */
export function cacheMountDir(mountsDir: string, m: Extract<RunMount, { type: 'cache' }>): string {
  const dir = join(mountsDir, sha256Digest(m.id).slice(7, 39))
  try {
    mkdirSync(dir, { mode: m.mode })
    chmodSync(dir, m.mode)
    // an ordinary user's directory is root's inside their RUN; another container user's it becomes in their namespace
    if (isRoot()) chownSync(dir, m.uid, m.gid)
    else if (m.uid !== 0 || m.gid !== 0) chownInUserNamespace(dir, m.uid, m.gid)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  return dir
}

const TMPFS_MAGIC = 0x01021994

/**
 * Where an ordinary user's secret is written for one RUN: in memory, as
 * root's tmpfs keeps it, when the state root is on a tmpfs (logind mounts
 * one on $XDG_RUNTIME_DIR, where it is): its build-secrets/, whose entries
 * a killed build left are removed here, as tmp/'s are. Otherwise the
 * store's 0700 tmp/, the file removed after its RUN (as rootless podman's).
 */
export async function userSecretParent(stateRoot: string, storeTmp: string): Promise<string> {
  const fsType = (dir: string) => {
    try {
      return statfsSync(dir).type
    } catch {
      return undefined // not made yet: its parent's
    }
  }
  if ((fsType(stateRoot) ?? fsType(dirname(stateRoot))) !== TMPFS_MAGIC) return storeTmp
  // the user's own and no one else's, both, before a secret goes in (a /tmp/mini-run-UID another made first is refused)
  ensureStateRoot(stateRoot)
  const dir = join(stateRoot, 'build-secrets')
  ensurePrivateDir(dir, { mode: 0o700, what: 'build secrets directory' })
  await cleanStaleTmp(dir)
  return dir
}

/** A private copy of a secret for one RUN, with the mode and owner the mount asks for. */
export function writeSecretFile(path: string, content: Buffer, m: Extract<RunMount, { type: 'secret' }>): void {
  // an ordinary user's file is root's inside their RUN's namespace; another owner would need a chown only the namespace can make
  if (!isRoot() && (m.uid !== 0 || m.gid !== 0)) throw new UsageError(`--mount=type=secret,id=${m.id}: an ordinary user's build gives a secret to root (uid=0,gid=0) only`)
  // owner and mode set on the file written, never through its path again
  const fd = openSync(path, 'wx', 0o600)
  try {
    writeFileSync(fd, content)
    if (isRoot()) fchownSync(fd, m.uid, m.gid)
    fchmodSync(fd, m.mode)
  } finally {
    closeSync(fd)
  }
}

/**
 * Copy what a bind mount shows, as it is (owners, modes and times kept,
 * links not followed), into `dest`: a directory of another stage lives in
 * several layers, and the context minus .dockerignore is in no single
 * directory. The copy is thrown away after the RUN, so a rw bind writes
 * nothing back.
 */
export function materialize(fs: SourceFs, item: SourceItem, dest: string): void {
  const st = item.stat
  if (st.isDirectory()) {
    mkdirSync(dest, { mode: 0o700 })
    for (const child of fs.list(item)) materialize(fs, child, join(dest, posix.basename(child.rel)))
  } else if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(item.host), dest)
  } else if (st.isFile()) {
    copyFileSync(item.host, dest, fsConstants.COPYFILE_FICLONE)
  } else return
  let mode = st.mode & 0o7777
  try {
    lchownSync(dest, st.uid, st.gid)
  } catch (err) {
    // an ordinary user cannot give a copy to another's (subordinate) id: it stays theirs, root inside, in a mount thrown
    // away after the RUN; without its setuid and setgid bits, which would make it root's
    if (isRoot() || (err as NodeJS.ErrnoException).code !== 'EPERM') throw err
    mode &= ~0o6000
  }
  if (!st.isSymbolicLink()) chmodSync(dest, mode)
  lutimesSync(dest, st.atime, st.mtime)
}

/** What a bind's copy was made of: a directory or not. */
export interface BindCopy {
  directory: boolean
}

/**
 * Copy `source` of `fs` to `dest` (materialize); undefined when `fs` has no
 * such path. An ordinary user's copy of a stage is made as root of their
 * namespace (rootless/userns-helper.ts), where the stage's files have their
 * container owners: a 0600 file or a 0700 directory of another container
 * user is read there, and the copy is theirs again, as the RUN's users
 * expect. The context's files are the user's own, and copied as the user.
 */
export async function copyBindSource(fs: SourceFs, source: string, dest: string, signal?: AbortSignal): Promise<BindCopy | undefined> {
  const ids = isRoot() ? undefined : ownSubordinateIds()
  // (a stage of no layers is an empty root: the user's own, as root's is root's)
  if (ids && fs instanceof TreeSourceFs && fs.tree.layers.length > 0) {
    const request = { op: 'bind-copy' as const, layers: [...fs.tree.layers], source, dest }
    return (await runHelper(ids, request, `copy ${source} of the ${fs.label}`, signal)) as BindCopy | undefined
  }
  const item = fs.lookup(source)
  if (!item) return undefined
  materialize(fs, item, dest)
  return { directory: item.stat.isDirectory() }
}

/** The helper's side of copyBindSource: the stage's layers seen from inside the namespace, owners as the container's. */
export function copyStageInUserNamespace(layers: readonly string[], source: string, dest: string): Promise<BindCopy | undefined> {
  return copyBindSource(new TreeSourceFs(new MergedTree(layers), 'stage'), source, dest)
}

/** chown as root of the user's namespace, where the container users are (rootless/userns-helper.ts). */
function chownInUserNamespace(path: string, uid: number, gid: number): void {
  const ids = ownSubordinateIds()
  if (!ids) throw new UsageError(`a cache owned by ${uid}:${gid} needs subordinate ids`)
  runHelperSync(ids, { op: 'chown', path, uid, gid }, `give ${path} to ${uid}:${gid}`)
}
