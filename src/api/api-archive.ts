/**
 * A container's files through the API: /containers/{id}/archive (what
 * `docker cp` uses, both ways), /export, /changes, and POST /commit; each
 * the mini-run verb of the same meaning (cp, export, diff, commit).
 *
 * GET /archive answers with the path's stat in X-Docker-Container-Path-Stat
 * (base64 JSON: name, size, mode as Go's os.FileMode, mtime, linkTarget),
 * which the docker CLI reads to know what it receives: taken here from the
 * tar's first entry, the path itself, which `mini-run cp ID:PATH -` writes
 * first (node-tar's parser reads it, a pax header before it included).
 */
import type { ChildProcess } from 'node:child_process'
import { Parser, type ReadEntry } from 'tar'
import { ApiError, childEnd, endWith, errorLine, feedRequest, runCli, spawnCli } from './cli-call.js'
import { apiHeaders, queryBool, sendJson } from './api-http.js'
import { containerOf } from './container-ref.js'
import { track, type Call } from './service.js'

/** Go's os.FileMode bits for a tar entry's type (node-tar's names) and for the special permission bits. */
const GO_MODE_TYPE: Record<string, number> = { Directory: 0x80000000, SymbolicLink: 0x08000000, CharacterDevice: 0x04000000 | 0x00200000, BlockDevice: 0x04000000, FIFO: 0x02000000 }
const GO_SPECIAL: [number, number][] = [
  [0o4000, 0x00800000], // setuid
  [0o2000, 0x00400000], // setgid
  [0o1000, 0x00100000], // sticky
]

export interface PathStat {
  name: string
  size: number
  mode: number
  mtime: string
  linkTarget: string
}

/** The stat Docker puts in X-Docker-Container-Path-Stat, from a tar entry's header (pax and GNU long names read by node-tar). */
export function pathStat(entry: Pick<ReadEntry, 'path' | 'type' | 'mode' | 'size' | 'mtime' | 'linkpath'>): PathStat {
  const name = entry.path.replace(/\/$/, '')
  const perm = entry.mode ?? 0
  const special = GO_SPECIAL.reduce((bits, [unix, go]) => (perm & unix ? bits + go : bits), 0)
  return {
    name: name.split('/').pop() ?? name,
    size: entry.size ?? 0,
    mode: (perm & 0o777) + special + (GO_MODE_TYPE[entry.type] ?? 0),
    mtime: (entry.mtime ?? new Date(0)).toISOString(),
    linkTarget: entry.type === 'SymbolicLink' ? (entry.linkpath ?? '') : '',
  }
}

/** Where Docker's message says the path is missing (404), or names no directory to unpack into (400). */
function cpStatus(message: string): number {
  if (/no such file|not found|could not find|no such directory/i.test(message)) return 404
  if (/must be a directory|not a directory/i.test(message)) return 400
  return 500
}

/**
 * The child's output up to its first entry's header, and that entry's stat
 * (node-tar's parser reads the headers, a pax one before it included); or
 * its error once it ends without one. The bytes are kept to be sent as they are.
 */
function firstEntry(child: ChildProcess): Promise<{ stat: PathStat; bytes: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const bytes: Buffer[] = []
    let stderr = ''
    let found = false
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4096)))
    const parser = new Parser()
    parser.on('entry', (entry: ReadEntry) => {
      entry.resume()
      if (found) return
      found = true
      child.stdout!.off('data', more)
      child.stdout!.pause()
      resolve({ stat: pathStat(entry), bytes })
    })
    parser.on('error', () => {})
    const more = (chunk: Buffer) => {
      bytes.push(chunk)
      parser.write(chunk)
    }
    child.stdout!.on('data', more)
    child.once('error', reject)
    child.once('close', (code) => {
      const message = errorLine(stderr) || `mini-run exited with ${code}`
      reject(new ApiError(cpStatus(message), message))
    })
  })
}

/** GET (the files as a tar, with their stat) and HEAD (the stat alone) of /containers/{id}/archive?path=. */
export async function archiveRoute({ svc, req, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const path = query.get('path')
  if (!path) throw new ApiError(400, 'path is required')
  const child = track(svc, spawnCli(svc.global, ['cp', '--', `${c.id}:${path}`, '-']))
  endWith(res, child)
  const end = childEnd(child)
  const first = await firstEntry(child)
  const stat = Buffer.from(JSON.stringify(first.stat)).toString('base64')
  const head = { ...apiHeaders(), 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': stat }
  if (req.method === 'HEAD') {
    child.kill('SIGTERM')
    res.writeHead(200, head)
    return void res.end()
  }
  res.writeHead(200, head)
  for (const chunk of first.bytes) res.write(chunk)
  child.stdout!.pipe(res, { end: false })
  child.stdout!.resume()
  if ((await end).code === 0) res.end()
  else res.destroy()
}

/** PUT /containers/{id}/archive?path=DIR: the body's tar unpacked into that directory, as `mini-run cp - ID:DIR`. */
export async function putArchiveRoute({ svc, req, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const path = query.get('path')
  if (!path) throw new ApiError(400, 'path is required')
  // copyUIDGID (docker cp -a): Docker's daemon gives the files to the container's Config.User; mini-run's
  // cp --archive keeps the tar's owners instead, so neither is done in the other's name
  if (queryBool(query, 'copyUIDGID')) throw new ApiError(400, "copyUIDGID (docker cp -a): the container's user as the files' owner is not supported by mini-run; copy without -a (owned by the container's root), or use mini-run cp --archive (the owners as they are)")
  const child = track(svc, spawnCli(svc.global, ['cp', '--', '-', `${c.id}:${path}`], 'pipe'))
  feedRequest(req, child)
  child.stdout!.resume()
  const { code, stderr } = await childEnd(child)
  if (code !== 0) {
    const message = errorLine(stderr) || `cp exited with ${code}`
    throw new ApiError(cpStatus(message), message)
  }
  res.writeHead(200, apiHeaders())
  res.end()
}

/**
 * A mini-run verb's tar on stdout (export, save) as the answer's body. Its
 * first entry comes before the answer's head, so a failure before it is the
 * error; a failure after it cuts the connection, never a tar that looks whole.
 */
export async function sendTar(svc: Call['svc'], res: Call['res'], args: string[]): Promise<void> {
  const child = track(svc, spawnCli(svc.global, args))
  endWith(res, child)
  const end = childEnd(child)
  const first = await firstEntry(child)
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/x-tar' })
  for (const chunk of first.bytes) res.write(chunk)
  child.stdout!.pipe(res, { end: false })
  child.stdout!.resume()
  if ((await end).code === 0) res.end()
  else res.destroy()
}

/** GET /containers/{id}/export: `mini-run export`'s tar. */
export async function exportRoute({ svc, res, params }: Call): Promise<void> {
  await sendTar(svc, res, ['export', '--', containerOf(svc, params[0]!).id])
}

/** GET /containers/{id}/changes: `mini-run diff`'s lines as Docker's {Path, Kind: 0 changed, 1 added, 2 deleted}. */
export async function changesRoute({ svc, res, params }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const { stdout } = await runCli(svc.global, ['diff', '--', c.id])
  const kinds: Record<string, number> = { C: 0, A: 1, D: 2 }
  const changes = stdout
    .split('\n')
    .map((l) => /^([ACD]) (.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ Path: m[2]!, Kind: kinds[m[1]!]! }))
  sendJson(res, 200, changes.length ? changes : null)
}

/** POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=: `mini-run commit`; {"Id": the new image's id}. */
export async function commitRoute({ svc, res, query }: Call): Promise<void> {
  const c = containerOf(svc, query.get('container') ?? '')
  const args = ['commit']
  const comment = query.get('comment')
  if (comment) args.push('--message', comment)
  const author = query.get('author')
  if (author) args.push('--author', author)
  for (const change of query.getAll('changes')) for (const line of change.split('\n').filter((l) => l.trim())) args.push('--change', line)
  if (query.has('pause') && !queryBool(query, 'pause')) args.push('--no-pause')
  const repo = query.get('repo')
  const tag = query.get('tag')
  args.push('--', c.id, ...(repo ? [tag ? `${repo}:${tag}` : repo] : []))
  const { stdout } = await runCli(svc.global, args)
  sendJson(res, 201, { Id: stdout.trim().split('\n').at(-1) ?? '' })
}
