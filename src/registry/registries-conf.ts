/**
 * The registries containers-registries.conf(5) marks insecure, read as
 * containers/image reads them for podman, buildah and skopeo: the main
 * file ($CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf
 * when it exists, else /etc/containers/registries.conf), then the `.conf`
 * drop-ins of registries.conf.d in name order (the system's, unless the
 * user's own main file was read, then the user's), a later `[[registry]]`
 * of the same prefix replacing an earlier one.
 *
 * Only what decides a connection to a registry is taken: an entry whose
 * location is a whole registry (`host[:port]`, no namespace) and is not
 * remapped elsewhere, a `*.domain` prefix, and v1's `[registries.insecure]`.
 * mini-run pulls from the registry a reference names, so mirrors and
 * remapping prefixes are not acted on, nor an entry for one namespace.
 * TOML by smol-toml (TOML 1.0, no dependencies).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'

interface Entry {
  location: string
  insecure: boolean
}

/** The `host[:port]` and `*.domain` entries marked insecure, from the files as podman finds them. */
export async function insecureFromRegistriesConf(env: NodeJS.ProcessEnv = process.env, home = homedir()): Promise<string[]> {
  const { parse } = await import('smol-toml')
  const byPrefix = new Map<string, Entry>()
  const read = (path: string, main: boolean) => {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw new MiniRunError(`${path}: ${(err as Error).message}`)
    }
    let doc: Record<string, unknown>
    try {
      doc = parse(text) as Record<string, unknown>
    } catch (err) {
      throw new MiniRunError(`${path}: ${(err as Error).message.split('\n')[0]}`)
    }
    for (const [prefix, entry] of entriesOf(doc, main)) byPrefix.set(prefix, entry)
    return true
  }
  const userMain = join(home, '.config/containers/registries.conf')
  const userDir = join(home, '.config/containers/registries.conf.d')
  const override = env.CONTAINERS_REGISTRIES_CONF ?? env.REGISTRIES_CONFIG_PATH
  let dirs: string[]
  if (override !== undefined) {
    read(override, true)
    dirs = ['/etc/containers/registries.conf.d', userDir]
  } else if (read(userMain, true)) dirs = [userDir]
  else {
    read('/etc/containers/registries.conf', true)
    dirs = ['/etc/containers/registries.conf.d', userDir]
  }
  for (const dir of dirs) for (const name of confFiles(dir)) read(join(dir, name), false)
  return [...byPrefix].filter(([prefix, e]) => e.insecure && (prefix.startsWith('*.') || (prefix === e.location && !prefix.includes('/')))).map(([prefix]) => prefix)
}

/** A directory's `.conf` files in name order; none when it is missing. */
function confFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.isDirectory() && d.name.endsWith('.conf'))
      .map((d) => d.name)
      .sort()
  } catch {
    return []
  }
}

/** [prefix, entry] of a file's `[[registry]]` tables and, in a main file, v1's `[registries.insecure]`. */
function entriesOf(doc: Record<string, unknown>, main: boolean): [string, Entry][] {
  const out: [string, Entry][] = []
  const registries = (doc.registries ?? {}) as Record<string, unknown>
  const v1 = (registries.insecure ?? {}) as { registries?: unknown }
  if (main && Array.isArray(v1.registries)) {
    for (const r of v1.registries) if (typeof r === 'string') out.push([clean(r), { location: clean(r), insecure: true }])
  }
  for (const table of Array.isArray(doc.registry) ? doc.registry : []) {
    const t = table as { location?: unknown; prefix?: unknown; insecure?: unknown }
    const location = typeof t.location === 'string' ? clean(t.location) : ''
    const prefix = typeof t.prefix === 'string' && t.prefix !== '' ? clean(t.prefix) : location
    if (prefix !== '') out.push([prefix, { location, insecure: t.insecure === true }])
  }
  return out
}

/** containers/image's parseLocation: a trailing "/" dropped; a scheme is an error there, taken off here. */
function clean(location: string): string {
  return location.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '')
}
