/**
 * The registries containers-registries.conf(5) marks insecure, read as
 * containers/image reads them for podman, buildah and skopeo: the main
 * file ($CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf
 * when it exists, else /etc/containers/registries.conf), then the `.conf`
 * drop-ins of registries.conf.d in name order (the system's, unless the
 * user's own main file was read, then the user's), a later `[[registry]]`
 * of the same prefix replacing an earlier one.
 *
 * Only what decides a connection to a registry is taken: the entry of the
 * longest prefix that matches the registry, a whole registry (`host[:port]`,
 * or a `*.domain` prefix) pulled from itself, v1's `[registries.insecure]`
 * too. mini-run pulls from the registry a reference names, so mirrors and
 * remapping prefixes are not acted on, nor an entry for one namespace. A
 * file that cannot be read or parsed is left out with a warning, which
 * makes nothing insecure. TOML by smol-toml (TOML 1.0, no dependencies).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { getLogger } from '../log.js'
import { printWarning } from '../warning-line.js'

interface Entry {
  /** Where it is pulled from; "" for a `*.domain` prefix, which pulls from the host itself. */
  location: string
  insecure: boolean
}

/**
 * Does registries.conf make this registry (`host[:port]`, as references name
 * it) insecure? The entry of the longest prefix that matches it decides, as
 * in containers/image: `prod.corp` over `*.corp`. It must be a whole
 * registry pulled from itself (not remapped to another location).
 */
export async function insecureInRegistriesConf(registry: string, env: NodeJS.ProcessEnv = process.env, home = homedir()): Promise<boolean> {
  const entries = await readEntries(env, home)
  const host = registry.toLowerCase()
  let best: [string, Entry] | undefined
  for (const [prefix, entry] of entries) {
    // "reg.lan" takes "reg.lan:5000" too, as containers/image's refMatchingPrefix does
    const matches = prefix.startsWith('*.') ? subdomainMatch(host, prefix) : prefix === host || host.startsWith(`${prefix}:`)
    if (matches && (!best || prefix.length > best[0].length)) best = [prefix, entry]
  }
  if (!best) return false
  const [prefix, entry] = best
  return entry.insecure && (prefix.startsWith('*.') ? entry.location === '' : entry.location === prefix)
}

/** containers/image's refMatchingSubdomainPrefix for a registry: "*.lan" takes "a.lan" and "a.b.lan:5000", not "lan" nor "a.lan.evil". */
function subdomainMatch(host: string, prefix: string): boolean {
  const hostname = host.replace(/:[^:\]]*$/, '')
  return hostname.endsWith(prefix.slice(1)) && hostname.length > prefix.length - 1
}

/** Read once a process, whatever the number of registries it speaks to. */
const readOnce = new Map<string, Promise<Map<string, Entry>>>()

function readEntries(env: NodeJS.ProcessEnv, home: string): Promise<Map<string, Entry>> {
  const key = JSON.stringify([env.CONTAINERS_REGISTRIES_CONF, env.REGISTRIES_CONFIG_PATH, home])
  let entries = readOnce.get(key)
  if (!entries) readOnce.set(key, (entries = readFiles(env, home)))
  return entries
}

/** A file left out, said once on stderr as the CLI's warnings are. */
function leftOut(path: string, why: string): void {
  getLogger().debug({ file: path, why }, 'registries.conf left out')
  printWarning(`ignoring ${path}: ${why}`)
}

/** The entries by prefix, from the files as podman finds them. */
async function readFiles(env: NodeJS.ProcessEnv, home: string): Promise<Map<string, Entry>> {
  const { parse } = await import('smol-toml')
  const byPrefix = new Map<string, Entry>()
  // a file that cannot be read or parsed is left out, with a warning: leaving it out makes nothing insecure
  const read = (path: string, main: boolean) => {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') leftOut(path, (err as NodeJS.ErrnoException).code ?? (err as Error).message)
      return false
    }
    try {
      // within one file the first of a prefix stands (containers/image's postProcessRegistries); a later file replaces it
      const own = new Map<string, Entry>()
      for (const [prefix, entry] of entriesOf(parse(text) as Record<string, unknown>, main)) if (!own.has(prefix)) own.set(prefix, entry)
      for (const [prefix, entry] of own) byPrefix.set(prefix, entry)
    } catch (err) {
      leftOut(path, (err as Error).message.split('\n')[0]!)
    }
    return true
  }
  const userMain = join(home, '.config/containers/registries.conf')
  const userDir = join(home, '.config/containers/registries.conf.d')
  // set but empty is unset, as containers/image reads it
  const override = env.CONTAINERS_REGISTRIES_CONF || env.REGISTRIES_CONFIG_PATH || undefined
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
  return byPrefix
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
  return location.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '')
}
