/**
 * Credentials from Docker's client configuration, `$DOCKER_CONFIG/config.json`
 * (default `~/.docker/config.json`), so that `docker login` also logs mini-run
 * in. Supported: `auths[host].auth` (base64 "user:password"), its
 * `username`/`password` fields, and credential helpers (`credHelpers`,
 * `credsStore`) run as `docker-credential-NAME get`.
 * https://docs.docker.com/reference/cli/docker/login/#credential-stores
 */
import { execFile } from 'node:child_process'
import { chmod, mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { getLogger } from '../log.js'
import { randomHex } from '../random.js'

export interface Credentials {
  username: string
  password: string
}

interface AuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/** Docker Hub's names: its credentials are stored under the legacy index URL. */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker')
}

/** The host part of a config key: "https://host:5000/v1/" -> "host:5000" (Docker's ConvertToHostname). */
function keyHost(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0] ?? ''
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host
}

/**
 * The credentials for `registry` (a host[:port] as in a reference, "docker.io"
 * for Docker Hub), or undefined when there are none. A missing or unreadable
 * file means anonymous access; a malformed one is logged and ignored.
 */
export async function findCredentials(registry: string, configDir = dockerConfigDir()): Promise<Credentials | undefined> {
  const log = getLogger()
  const file = join(configDir, 'config.json')
  let config: DockerConfigFile
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file }, 'ignoring unreadable docker config')
    return undefined
  }
  if (typeof config !== 'object' || config === null) return undefined
  const host = DOCKER_HUB_ALIASES.has(registry) ? 'docker.io' : registry

  const helper = config.credHelpers?.[host === 'docker.io' ? DOCKER_HUB_KEY : host] ?? config.credHelpers?.[host] ?? config.credsStore
  if (helper) {
    const fromHelper = await runCredentialHelper(helper, host === 'docker.io' ? DOCKER_HUB_KEY : host)
    if (fromHelper) return fromHelper
  }

  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (keyHost(key) !== host || typeof entry !== 'object' || entry === null) continue
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon <= 0) {
        log.warn({ file, key }, 'ignoring malformed auth entry in docker config')
        continue
      }
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      return { username: entry.username, password: entry.password }
    }
    if (entry.identitytoken) log.debug({ key }, 'identity tokens are not supported; pulling anonymously')
  }
  return undefined
}

/** The credential helper protocol: server URL on stdin, JSON {Username, Secret} on stdout. */
async function runCredentialHelper(name: string, server: string): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`
  return new Promise((resolve) => {
    const child = execFile(program, ['get'], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) {
        // "credentials not found in native keychain" is the helper's way of saying "none"
        getLogger().debug({ err, program, server }, 'credential helper found nothing')
        resolve(undefined)
        return
      }
      try {
        const out = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown }
        if (typeof out.Username === 'string' && typeof out.Secret === 'string' && out.Secret !== '') {
          resolve({ username: out.Username, password: out.Secret })
          return
        }
      } catch (parseErr) {
        getLogger().warn({ err: parseErr, program }, 'credential helper printed something that is not JSON')
      }
      resolve(undefined)
    })
    child.stdin?.end(server)
  })
}

// ---- writing: login and logout ------------------------------------------------

/** The key Docker stores a registry's credentials under: the legacy index URL for Docker Hub, else host[:port]. */
export function configKey(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB_KEY : registry
}

export interface StoredCredentials {
  /** The file written (config.json; for a credential helper, the entry that names it). */
  file: string
  /** The credential helper that holds the secret, when one is configured. */
  helper?: string
}

/**
 * Store credentials for `registry` as `docker login` does: through the
 * credential helper the config names for it (credHelpers, credsStore), else
 * as auths[key].auth, base64 "user:password", in config.json. Other entries
 * and settings of the file are kept; other spellings of the same registry
 * ("https://host/v1/") are dropped, since the first match wins on reading.
 */
export async function storeCredentials(registry: string, credentials: Credentials, configDir = dockerConfigDir()): Promise<StoredCredentials> {
  const file = join(configDir, 'config.json')
  const config = await readConfigForUpdate(file)
  const key = configKey(registry)
  const host = keyHost(key)
  const auths = dropAliases(config, host)
  const helper = helperFor(config, key, host)
  if (helper) {
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: credentials.username, Secret: credentials.password }))
    auths[key] = {} // Docker's marker: the secret is with the helper
  } else {
    auths[key] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') }
  }
  config.auths = auths
  await writeConfig(file, config)
  return { file, ...(helper && { helper }) }
}

/** Forget the credentials of `registry` (`docker logout`); false when there were none. */
export async function removeCredentials(registry: string, configDir = dockerConfigDir()): Promise<boolean> {
  const file = join(configDir, 'config.json')
  const config = await readConfigForUpdate(file)
  const key = configKey(registry)
  const host = keyHost(key)
  const before = Object.keys(config.auths ?? {}).length
  const auths = dropAliases(config, host)
  let removed = Object.keys(auths).length !== before
  const helper = helperFor(config, key, host)
  if (helper) removed = (await runHelper(helper, 'erase', key).then(() => true, () => false)) || removed
  if (!removed) return false
  config.auths = auths
  await writeConfig(file, config)
  return true
}

function helperFor(config: DockerConfigFile, key: string, host: string): string | undefined {
  return config.credHelpers?.[key] ?? config.credHelpers?.[host] ?? config.credsStore ?? undefined
}

/** auths without the entries for `host`, in any spelling. */
function dropAliases(config: DockerConfigFile, host: string): Record<string, AuthEntry> {
  const auths: Record<string, AuthEntry> = {}
  for (const [k, v] of Object.entries(config.auths ?? {})) if (keyHost(k) !== host) auths[k] = v
  return auths
}

/** The config as a plain object with every field kept; a file that is not JSON is not overwritten. */
async function readConfigForUpdate(file: string): Promise<DockerConfigFile & Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new MiniRunError(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (text.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new MiniRunError(`${file} is not valid JSON: fix or remove it first`, { code: 'EBADCONFIG', cause: err })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MiniRunError(`${file} is not a JSON object: fix or remove it first`, { code: 'EBADCONFIG' })
  }
  return parsed as DockerConfigFile & Record<string, unknown>
}

/**
 * Write config.json so that a reader sees the old file or the new one,
 * never half of one, and nobody else can read it: a 0600 file next to it,
 * fsync, rename(2). A symlinked config.json (dotfile managers do that) is
 * written through, as Docker does, so the link stays.
 */
async function writeConfig(file: string, config: unknown): Promise<void> {
  const target = await realpath(file).catch(() => file)
  const dir = dirname(target)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.config.json.${process.pid}.${randomHex(6)}`)
  const fh = await open(tmp, 'wx', 0o600)
  try {
    await fh.writeFile(JSON.stringify(config, null, '\t') + '\n')
    await fh.sync()
  } catch (err) {
    await fh.close()
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await chmod(tmp, 0o600) // whatever the umask did
    await rename(tmp, target)
  } catch (err) {
    await rm(tmp, { force: true })
    throw new MiniRunError(`cannot write ${target}: ${(err as Error).message}`, { cause: err })
  }
}

/** docker-credential-NAME store|erase, its input on stdin. */
function runHelper(name: string, action: 'store' | 'erase', input: string): Promise<void> {
  const program = `docker-credential-${name}`
  return new Promise((resolve, reject) => {
    const child = execFile(program, [action], { timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) {
        const said = String(stdout).trim()
        reject(new MiniRunError(`credential helper ${program} ${action} failed${said ? `: ${said}` : `: ${err.message}`}`, { code: 'ECREDHELPER', cause: err }))
        return
      }
      resolve()
    })
    child.stdin?.end(input)
  })
}
