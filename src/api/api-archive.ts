/**
 * A container's files through the API: /containers/{id}/archive (what
 * `docker cp` uses, both ways), /export, /changes, and POST /commit; each
 * the mini-run verb of the same meaning (cp, export, diff, commit).
 *
 * GET /archive answers with the path's stat in X-Docker-Container-Path-Stat
 * (base64 JSON: name, size, mode as Go's os.FileMode, mtime, linkTarget),
 * which the docker CLI reads to know what it receives: taken here from the
 * tar's first header, the path itself, which `mini-run cp ID:PATH -` writes
 * first.
 */
import type { ChildProcess } from 'node:child_process'
import { ApiError, errorLine, runCli, spawnCli } from './cli-call.js'
import { apiHeaders, queryBool, sendJson } from './api-http.js'
import { containerOf } from './container-ref.js'
import { track, type Call } from './service.js'

/** Go's os.FileMode type bits for a tar entry's type flag. */
const GO_MODE_TYPE: Record<string, number> = { '5': 0x80000000, '2': 0x08000000, '3': 0x04000000 | 0x00200000, '4': 0x04000000, '6': 0x02000000 }

const octal = (header: Buffer, at: number, length: number) => parseInt(header.toString('latin1', at, at + length).replace(/\0.*$/s, '').trim() || '0', 8)
const text = (header: Buffer, at: number, length: number) => header.toString('utf8', at, at + length).replace(/\0.*$/s, '')

/** The stat Docker puts in X-Docker-Container-Path-Stat, from a ustar header. */
export function pathStat(header: Buffer): { name: string; size: number; mode: number; mtime: string; linkTarget: string } {
  const type = String.fromCharCode(header[156] ?? 48)
  const name = text(header, 0, 100).replace(/\/$/, '')
  return {
    name: name.split('/').pop() ?? name,
    size: octal(header, 124, 12),
    mode: (octal(header, 100, 8) & 0o7777) + (GO_MODE_TYPE[type] ?? 0),
    mtime: new Date(octal(header, 136, 12) * 1000).toISOString(),
    linkTarget: type === '2' ? text(header, 157, 100) : '',
  }
}

/** The child's first 512 bytes (the tar's first header), or its error once it ends without them. */
function firstHeader(child: ChildProcess): Promise<{ header: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0)
    let stderr = ''
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4096)))
    const more = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      if (got.length < 512) return
      child.stdout!.off('data', more)
      child.stdout!.pause()
      resolve({ header: got.subarray(0, 512), rest: got.subarray(512) })
    }
    child.stdout!.on('data', more)
    child.once('error', reject)
    child.once('close', (code) => {
      const message = errorLine(stderr) || `cp exited with ${code}`
      reject(new ApiError(/no such file|not found/i.test(message) ? 404 : 500, message))
    })
  })
}

/** GET (the files as a tar, with their stat) and HEAD (the stat alone) of /containers/{id}/archive?path=. */
export async function archiveRoute({ svc, req, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const path = query.get('path')
  if (!path) throw new ApiError(400, 'path is required')
  const child = track(svc, spawnCli(svc.global, ['cp', '--', `${c.id}:${path}`, '-']))
  res.once('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })
  const { header, rest } = await firstHeader(child)
  const stat = Buffer.from(JSON.stringify(pathStat(header))).toString('base64')
  const head = { ...apiHeaders(), 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': stat }
  if (req.method === 'HEAD') {
    child.kill('SIGTERM')
    res.writeHead(200, head)
    return void res.end()
  }
  res.writeHead(200, head)
  res.write(header)
  res.write(rest)
  child.stdout!.pipe(res, { end: false })
  child.stdout!.resume()
  const code = await new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)))
  if (code === 0) res.end()
  else res.destroy()
}

/** PUT /containers/{id}/archive?path=DIR: the body's tar unpacked into that directory, as `mini-run cp - ID:DIR`. */
export async function putArchiveRoute({ svc, req, res, params, query }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const path = query.get('path')
  if (!path) throw new ApiError(400, 'path is required')
  const child = track(svc, spawnCli(svc.global, ['cp', '--', '-', `${c.id}:${path}`], 'pipe'))
  req.pipe(child.stdin!)
  child.stdin!.on('error', () => {})
  req.once('close', () => {
    if (!req.complete && child.exitCode === null) child.kill('SIGTERM')
  })
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4096)))
  child.stdout!.resume()
  const code = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(1))
    child.once('close', (code) => resolve(code ?? 1))
  })
  if (code !== 0) {
    const message = errorLine(stderr) || `cp exited with ${code}`
    throw new ApiError(/no such file|not found/i.test(message) ? 404 : /not a directory/i.test(message) ? 400 : 500, message)
  }
  res.writeHead(200, apiHeaders())
  res.end()
}

/** GET /containers/{id}/export: `mini-run export`'s tar. */
export async function exportRoute({ svc, res, params }: Call): Promise<void> {
  const c = containerOf(svc, params[0]!)
  const child = track(svc, spawnCli(svc.global, ['export', '--', c.id]))
  child.stderr!.resume()
  res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/x-tar' })
  res.once('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })
  child.stdout!.pipe(res, { end: false })
  const code = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(1))
    child.once('close', (code) => resolve(code ?? 1))
  })
  if (code === 0) res.end()
  else res.destroy()
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
