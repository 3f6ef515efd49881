/**
 * The registry's side of the API: POST /auth (`docker login`), POST
 * /images/NAME/push (`docker push`), and the credentials a client sends with
 * a pull or a push.
 *
 * As Docker's daemon, the service keeps no one's credentials: `docker
 * login` asks it to check them (/auth: the registry's GET /v2/ with them,
 * mini-run login's check) and stores them in the client's own config.json;
 * each pull and push then carries them in X-Registry-Auth (base64url JSON
 * {"username", "password", "serveraddress"}). The service hands them to the
 * `mini-run pull` or `push` it runs in a DOCKER_CONFIG of that request's
 * own (a 0700 temp dir, removed with the request); without them, mini-run
 * uses the service user's own config, as at the shell.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { StringDecoder } from 'node:string_decoder'
import { ApiError, childEnd, endWith, errorLine, spawnCli, statusOf } from './cli-call.js'
import { apiHeaders, readJson, sendJson } from './api-http.js'
import { track, type Call, type Service } from './service.js'
import { UsageError } from '../errors.js'
import { parseReference } from '../image/reference.js'
import { configKey } from '../registry/docker-config.js'
import { RegistryAuthError } from '../registry/errors.js'
import { processStartTime } from '../proc-stat.js'

interface RegistryAuth {
  username?: string
  password?: string
  serveraddress?: string
  identitytoken?: string
  registrytoken?: string
}

/** Where a request's DOCKER_CONFIG is made: the state root's, 0700, never a shared /tmp. */
const authRoot = (svc: Service) => join(svc.stateRoot, 'api-auth')

/**
 * What a killed service left there: its requests' configurations (named
 * request-PID-STARTTIME-...), removed when another service starts and that
 * PID is no longer the process that started then; a live service's are its own.
 */
export function sweepRequestConfigs(svc: Service): void {
  let names: string[]
  try {
    names = readdirSync(authRoot(svc))
  } catch {
    return
  }
  for (const name of names) {
    const m = /^request-(\d+)-(\d+)-/.exec(name)
    if (m && processStartTime(Number(m[1])) !== m[2]) rmSync(join(authRoot(svc), name), { recursive: true, force: true })
  }
}

/** POST /auth: the credentials checked against the registry, kept nowhere; {"Status": "Login Succeeded"}. */
export async function authRoute({ req, res }: Call): Promise<void> {
  const body = (await readJson(req)) as RegistryAuth
  if (typeof body.username !== 'string' || typeof body.password !== 'string') throw new ApiError(400, 'username and password are required (identity tokens are not supported)')
  const { checkLogin } = await import('../registry/login.js')
  const cancel = new AbortController()
  res.once('close', () => cancel.abort())
  try {
    await checkLogin(body.serveraddress || undefined, { username: body.username, password: body.password }, { signal: cancel.signal })
  } catch (err) {
    if (err instanceof RegistryAuthError) throw new ApiError(401, err.message)
    if (err instanceof UsageError) throw new ApiError(400, err.message)
    throw err
  }
  sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' })
}

/**
 * X-Registry-Auth's credentials, when it has a username and a password. A
 * header that is no base64url JSON is none, as moby reads it ("to increase
 * compatibility"); one with only an identity or registry token is refused:
 * mini-run has no use for one, and the service user's own credentials must
 * not stand in for it.
 */
export function registryAuth(req: IncomingMessage): RegistryAuth | undefined {
  const header = req.headers['x-registry-auth']
  if (typeof header !== 'string' || header === '') return undefined
  let auth: RegistryAuth
  try {
    auth = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as RegistryAuth
  } catch {
    return undefined
  }
  if (typeof auth !== 'object' || auth === null) return undefined
  if (typeof auth.username === 'string' && auth.username !== '' && typeof auth.password === 'string') return auth
  if (auth.identitytoken || auth.registrytoken) throw new ApiError(400, 'X-Registry-Auth: identity and registry tokens are not supported: log in with a username and password')
  return undefined
}

/**
 * Run `work` with the environment its mini-run needs for ref's registry:
 * DOCKER_CONFIG of this request's credentials (under the state root, 0700,
 * removed with the request; a killed service's are removed by the next
 * one), or nothing to add. Credentials named for another registry
 * (serveraddress) are not sent to this one.
 */
export async function withRegistryAuth<T>(svc: Service, req: IncomingMessage, ref: string, work: (env?: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const auth = registryAuth(req)
  if (!auth) return work()
  let domain: string
  try {
    domain = parseReference(ref).domain
  } catch (err) {
    throw new ApiError(400, (err as Error).message)
  }
  if (auth.serveraddress) {
    const { normalizeRegistry } = await import('../registry/login.js')
    const named = (() => {
      try {
        return normalizeRegistry(auth.serveraddress)
      } catch {
        return undefined
      }
    })()
    // named for another registry: none for this one, and not the service user's own either
    if (named !== domain) return withConfig(svc, { auths: {} }, work)
  }
  // username and password as they are: a username with ":" would not survive auth's "user:password"
  return withConfig(svc, { auths: { [configKey(domain)]: { username: auth.username, password: auth.password } } }, work)
}

/** work in a DOCKER_CONFIG of its own holding config (0700 under the state root, removed after). */
async function withConfig<T>(svc: Service, config: object, work: (env?: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  mkdirSync(authRoot(svc), { recursive: true, mode: 0o700 })
  const dir = mkdtempSync(join(authRoot(svc), `request-${process.pid}-${processStartTime(process.pid) ?? 0}-`))
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config), { mode: 0o600 })
    return await work({ DOCKER_CONFIG: dir })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Calls onLine with each whole line of a stream's chunks (a line cut between two chunks is one). */
export function lineReader(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = ''
  // a character cut between two chunks is whole in the first line that has it
  const text = new StringDecoder('utf8')
  return {
    push(chunk) {
      const lines = (rest + text.write(chunk)).split(/\r\n|[\r\n]/)
      rest = lines.pop() ?? ''
      for (const l of lines) onLine(l)
    },
    end() {
      rest += text.end()
      if (rest !== '') onLine(rest)
      rest = ''
    },
  }
}

/**
 * POST /images/NAME/push?tag=T: `mini-run push NAME:T` (every tag without
 * one, as docker push -a asks), its lines as Docker's {"status"} lines, the
 * digest line's figures as the {"aux"} Docker's client reads, a failure as
 * the last line's {"error"}: the answer's status was 200 before the push.
 */
export async function pushRoute({ svc, req, res, params, query }: Call): Promise<void> {
  const name = params[0]!
  const tag = query.get('tag')
  // docker/distribution's tag grammar: anything else would be read as more of the name (foo + 5000/x)
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new ApiError(400, `invalid tag: ${tag}`)
  // a name with its own tag (or digest) is that one, as moby parses the path's name; a bare repository without tag= is every tag of it
  const own = (() => {
    try {
      const r = parseReference(name)
      return r.digest !== undefined || /:[^/]*$/.test(name)
    } catch (err) {
      throw new ApiError(400, (err as Error).message)
    }
  })()
  const ref = tag && !own ? `${name}:${tag}` : name
  const args = ['push', ...(tag || own ? [] : ['--all-tags']), '--', ref]
  await withRegistryAuth(svc, req, ref, (env) =>
    streamStatus(svc, res, args, env, {
      after: (text) => {
        const pushed = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(text)
        return pushed ? { progressDetail: {}, aux: { Tag: pushed[1], Digest: pushed[2], Size: Number(pushed[3]) } } : undefined
      },
    }),
  )
}

/**
 * A pull's or push's answer, as Docker's daemon streams one: 200 with the
 * verb's first line (`first`'s lines before it), each line mini-run prints
 * (but those `drop` matches) as a {"status"} line (and what `after` adds for it), a failure as the
 * last line's {"error"}. A failure before any line (a pull's manifest
 * refused or missing: `mini-run pull` says "Pulling from" once it has one)
 * is the answer's status instead, as moby answers what it has not begun to
 * stream: 401 for credentials refused, on which docker's CLI asks for a
 * login and tries again; 404 for what is not there or not shown. A client gone ends the
 * verb (what it stored so far is whole, blob by blob).
 */
export async function streamStatus(
  svc: Service,
  res: ServerResponse,
  args: string[],
  env: NodeJS.ProcessEnv | undefined,
  o: { first?: object[]; drop?: RegExp; after?: (text: string) => object | undefined } = {},
): Promise<void> {
  const line = (x: unknown) => res.write(`${JSON.stringify(x)}\n`)
  const begin = () => {
    if (res.headersSent) return
    res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
    for (const x of o.first ?? []) line(x)
  }
  const child = track(svc, spawnCli(svc.global, args, 'ignore', env))
  endWith(res, child)
  const end = childEnd(child)
  const lines = lineReader((raw) => {
    const text = raw.trim()
    if (!text) return
    begin()
    if (o.drop?.test(text)) return
    line({ status: text })
    const extra = o.after?.(text)
    if (extra) line(extra)
  })
  child.stdout!.on('data', (b: Buffer) => lines.push(b))
  child.stdout!.once('end', () => lines.end())
  const { code, stderr } = await end
  if (code !== 0) {
    const message = errorLine(stderr) || `${args[0]} exited with ${code}`
    if (!res.headersSent) throw new ApiError(REFUSED.test(message) ? 401 : DENIED.test(message) ? 404 : statusOf(message), message)
    line({ errorDetail: { message }, error: message })
  }
  begin()
  res.end()
}

/** A registry's refusal of the credentials sent, or of none (registry/auth.ts). */
const REFUSED = /\b(anonymous access|credentials of \S+) refused by\b|\bunauthorized\b/i
/**
 * A repository the registry would not show, after it gave a token
 * (registry/client.ts failure): moby's "pull access denied ... repository
 * does not exist", a 404, on which docker asks for no login.
 */
const DENIED = /; the repository may not exist\b|; the credentials of \S+ do not give access to it$/
