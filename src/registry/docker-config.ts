/**
 * Credentials from Docker's client configuration, `$DOCKER_CONFIG/config.json`
 * (default `~/.docker/config.json`), so that `docker login` also logs mini-run
 * in. Supported: `auths[host].auth` (base64 "user:password"), its
 * `username`/`password` fields, and credential helpers (`credHelpers`,
 * `credsStore`) run as `docker-credential-NAME get`.
 * https://docs.docker.com/reference/cli/docker/login/#credential-stores
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { getLogger } from '../log.js'

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
