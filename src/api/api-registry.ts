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
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { IncomingMessage } from 'node:http'
import { ApiError, childEnd, endWith, errorLine, spawnCli } from './cli-call.js'
import { apiHeaders, readJson, sendJson } from './api-http.js'
import { track, type Call } from './service.js'
import { UsageError } from '../errors.js'
import { parseReference } from '../image/reference.js'
import { configKey } from '../registry/docker-config.js'
import { RegistryAuthError } from '../registry/errors.js'

interface RegistryAuth {
  username?: string
  password?: string
  serveraddress?: string
}

/** A private temp dir for one request's Docker configuration; removed by the returned function. */
function privateConfigDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-api-auth-'))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** POST /auth: the credentials checked against the registry, kept nowhere; {"Status": "Login Succeeded"}. */
export async function authRoute({ req, res }: Call): Promise<void> {
  const body = (await readJson(req)) as RegistryAuth
  if (typeof body.username !== 'string' || typeof body.password !== 'string') throw new ApiError(400, 'username and password are required')
  const { login } = await import('../registry/login.js')
  const scratch = privateConfigDir()
  try {
    await login(body.serveraddress || undefined, { username: body.username, password: body.password }, { dockerConfigDir: scratch.dir })
  } catch (err) {
    if (err instanceof RegistryAuthError) throw new ApiError(401, err.message)
    if (err instanceof UsageError) throw new ApiError(400, err.message)
    throw err
  } finally {
    scratch.remove()
  }
  sendJson(res, 200, { Status: 'Login Succeeded', IdentityToken: '' })
}

/** X-Registry-Auth's credentials, when it has a username and a password. */
export function registryAuth(req: IncomingMessage): RegistryAuth | undefined {
  const header = req.headers['x-registry-auth']
  if (typeof header !== 'string' || header === '') return undefined
  let auth: RegistryAuth
  try {
    auth = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as RegistryAuth
  } catch {
    throw new ApiError(400, 'X-Registry-Auth: not base64url JSON')
  }
  return typeof auth?.username === 'string' && auth.username !== '' && typeof auth.password === 'string' ? auth : undefined
}

/**
 * Run `work` with the environment its mini-run needs for ref's registry:
 * DOCKER_CONFIG of this request's credentials, or nothing to add.
 */
export async function withRegistryAuth<T>(req: IncomingMessage, ref: string, work: (env?: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const auth = registryAuth(req)
  if (!auth) return work()
  let domain: string
  try {
    domain = parseReference(ref).domain
  } catch (err) {
    throw new ApiError(400, (err as Error).message)
  }
  const scratch = privateConfigDir()
  try {
    const config = { auths: { [configKey(domain)]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } }
    writeFileSync(join(scratch.dir, 'config.json'), JSON.stringify(config), { mode: 0o600 })
    return await work({ DOCKER_CONFIG: scratch.dir })
  } finally {
    scratch.remove()
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
  const ref = tag ? `${name}:${tag}` : name
  const args = ['push', ...(tag ? [] : ['--all-tags']), '--', ref]
  await withRegistryAuth(req, ref, async (env) => {
    res.writeHead(200, { ...apiHeaders(), 'Content-Type': 'application/json' })
    const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`)
    const child = track(svc, spawnCli(svc.global, args, 'ignore', env))
    endWith(res, child)
    const end = childEnd(child)
    child.stdout!.on('data', (b: Buffer) => {
      for (const text of b.toString().split(/[\r\n]+/).map((t) => t.trim())) {
        if (!text) continue
        line({ status: text })
        const pushed = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(text)
        if (pushed) line({ progressDetail: {}, aux: { Tag: pushed[1], Digest: pushed[2], Size: Number(pushed[3]) } })
      }
    })
    const { code, stderr } = await end
    if (code !== 0) {
      const message = errorLine(stderr) || `push exited with ${code}`
      line({ errorDetail: { message }, error: message })
    }
    res.end()
  })
}
