/**
 * POST /build: Docker's classic builder endpoint (the one `docker build`
 * uses when the daemon says Builder-Version 1, and docker-compose 1.x's
 * `build:`). The body is the context as a tar; it goes to `mini-run build
 * -` on stdin, which unpacks it safely (build-stdin.ts), and the build's
 * lines come back as Docker's {"stream": ...} lines, the image id as
 * {"aux": {"ID": ...}} and "Successfully built/tagged", a failure as the
 * last line's {"error": ...}.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { ApiError, childEnd, errorLine, spawnCli } from './cli-call.js'
import { apiHeaders, queryBool } from './api-http.js'
import { track, type Call } from './service.js'

type Json = Record<string, unknown>

function jsonQuery(query: URLSearchParams, name: string): unknown {
  const raw = query.get(name)
  if (!raw) return undefined
  try {
    return JSON.parse(raw) as unknown
  } catch {
    throw new ApiError(400, `${name}: not JSON: ${raw}`)
  }
}

/** Parameters mini-run's builder has no use for (it always removes its steps' containers) or that only say "as usual". */
const IGNORED = new Set(['rm', 'forcerm', 'q', 'session', 'version', 'buildid', 'isolation'])
const TAKEN = new Set(['t', 'dockerfile', 'buildargs', 'labels', 'target', 'nocache', 'pull', 'networkmode', 'platform', 'extrahosts', 'shmsize', 'ulimits', 'cachefrom'])

/** `build`'s flags for the query. */
export function buildArgs(query: URLSearchParams): string[] {
  for (const [key, value] of query) {
    if (TAKEN.has(key) || IGNORED.has(key) || ['', '0', 'false', 'null', '{}', '[]'].includes(value.toLowerCase())) continue
    if (key === 'remote') throw new ApiError(400, 'remote: a build context from a URL is not supported: send the context as the body')
    throw new ApiError(400, `${key}: mini-run's builder does not take this parameter`)
  }
  if (query.get('version') === '2') throw new ApiError(400, 'BuildKit sessions are not supported by mini-run: build with DOCKER_BUILDKIT=0')
  const dockerfile = query.get('dockerfile') || 'Dockerfile'
  if (isAbsolute(dockerfile) || dockerfile.split('/').includes('..')) throw new ApiError(400, `dockerfile: ${dockerfile} is not a path inside the context`)
  const args = ['--progress', 'plain', '--file', dockerfile]
  for (const t of query.getAll('t')) args.push('--tag', t)
  for (const [k, v] of Object.entries((jsonQuery(query, 'buildargs') ?? {}) as Json)) if (v !== null) args.push('--build-arg', `${k}=${String(v)}`)
  for (const [k, v] of Object.entries((jsonQuery(query, 'labels') ?? {}) as Json)) args.push('--label', `${k}=${String(v)}`)
  for (const ref of (jsonQuery(query, 'cachefrom') ?? []) as string[]) args.push('--cache-from', ref)
  for (const u of (jsonQuery(query, 'ulimits') ?? []) as { Name: string; Soft: number; Hard: number }[]) args.push('--ulimit', `${u.Name}=${u.Soft}:${u.Hard}`)
  // one parameter per host, as moby's client and docker-py send them
  for (const host of query.getAll('extrahosts').flatMap((h) => h.split(',')).filter(Boolean)) args.push('--add-host', host)
  const target = query.get('target')
  if (target) args.push('--target', target)
  if (queryBool(query, 'nocache')) args.push('--no-cache')
  if (queryBool(query, 'pull')) args.push('--pull')
  // Docker's classic builder gives RUN a network (its bridge); mini-run's builder has none or the host's:
  // the host's, as BuildKit's default is, or `RUN apk add` of a Dockerfile written for Docker fails
  const network = query.get('networkmode') || 'default'
  args.push('--network', ['default', 'bridge'].includes(network) ? 'host' : network)
  const platform = query.get('platform')
  if (platform) args.push('--platform', platform)
  const shm = query.get('shmsize')
  if (shm && shm !== '0') args.push('--shm-size', shm)
  return args
}

export async function buildRoute({ svc, req, res, query }: Call): Promise<void> {
  const args = buildArgs(query)
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-api-build-'))
  const iidfile = join(dir, 'iid')
  try {
    const child = track(svc, spawnCli(svc.global, ['build', ...args, '--iidfile', iidfile, '--', '-'], 'pipe'))
    req.pipe(child.stdin!)
    child.stdin!.on('error', () => {})
    res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
    // a client gone: an upload cut short is the end of the context (the build fails on it and cleans up);
    // a build under way stops on SIGTERM (build/interrupt.ts)
    res.once('close', () => {
      if (child.exitCode !== null) return
      if (!req.complete) child.stdin!.end()
      else child.kill('SIGTERM')
    })
    const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`)
    // q: the steps held back, and said only if the build fails; the id alone at the end (moby's build router)
    const quiet = queryBool(query, 'q')
    const kept: string[] = []
    const stream = (text: string) => (quiet ? kept.push(text) : line({ stream: text }))
    // what the child says of its result (the id, its own tags) the service says in Docker's words below
    const said = (l: string) => /^[0-9a-f]{64}$/.test(l) || l.startsWith('Successfully tagged ')
    // lines as they come; one of mini-run's own ("mini-run: ...") is held until the next: the last, at a failure, is the error
    const end = childEnd(child)
    let held: string | undefined
    const partial = { stdout: '', stderr: '' }
    const lines = (from: 'stdout' | 'stderr') => (b: Buffer) => {
      const text = partial[from] + b.toString()
      const parts = text.split('\n')
      partial[from] = parts.pop()!
      for (const l of parts) {
        if (held !== undefined) stream(`${held}\n`)
        held = undefined
        if (l.startsWith('mini-run: ')) held = l
        else if (!said(l)) stream(`${l}\n`)
      }
    }
    child.stdout!.on('data', lines('stdout'))
    child.stderr!.on('data', lines('stderr'))
    const { code, stderr } = await end
    for (const rest of [partial.stdout, partial.stderr]) if (rest) stream(rest)
    if (code === 0 && held !== undefined) stream(`${held}\n`)
    if (code !== 0) {
      for (const text of kept) line({ stream: text })
      const message = errorLine(stderr) || `build exited with ${code}`
      line({ errorDetail: { message }, error: message })
    } else {
      const id = readFileSync(iidfile, 'utf8').trim()
      if (quiet) line({ stream: `${id}\n` })
      else line({ aux: { ID: id } })
      stream(`Successfully built ${id.replace(/^sha256:/, '').slice(0, 12)}\n`)
      for (const t of query.getAll('t')) stream(`Successfully tagged ${/:[^/]*$/.test(t) ? t : `${t}:latest`}\n`)
    }
    res.end()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
