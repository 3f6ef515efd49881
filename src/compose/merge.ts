/**
 * Several compose files (`-f a.yaml -f b.yaml`, or a file and its
 * override) merged into one, later over earlier, with the Compose
 * Specification's rules: mappings merge key by key; environment, labels
 * and build args merge by name whichever syntax each file uses; volumes
 * merge by their container path; command, entrypoint and a health check's
 * test are replaced; other lists are joined, without repeats. dns,
 * dns_search, dns_opt, tmpfs, extra_hosts and env_file are sequences whichever
 * syntax each file uses (a string, a list; a mapping of hosts), appended
 * without repeats, as compose-go's mergeToSequence and mergeExtraHosts
 * have them: a second file adds a DNS server, or an env_file read after
 * the first's, it does not replace them. `build: DIR` is `build: {context:
 * DIR}`. A key a file tags !reset or !override is dropped from the earlier
 * files' merge before that file is merged over it (yaml-tags.ts).
 */
import { isMap, type Raw } from './values.js'

const REPLACED = new Set(['command', 'entrypoint', 'test'])
const BY_NAME = new Set(['environment', 'labels', 'args', 'sysctls'])
const SEQUENCE = new Set(['dns', 'dns_search', 'dns_opt', 'tmpfs', 'extra_hosts', 'env_file', 'label_file'])
const AS_MAP = new Set(['networks', 'depends_on'])

/** resets[i]: the paths file i marked !reset or !override (yaml-tags.ts), dropped from the earlier files' merge first. */
export function mergeFiles(files: readonly Raw[], resets: readonly (readonly string[][])[] = []): Raw {
  return files.reduce((base, next, i) => merge((resets[i] ?? []).reduce(without, base), next, []) as Raw, {})
}

/** One service merged over another (extends.ts): the rules of a second file's service over the first's. */
export function mergeService(base: Raw, over: Raw, name: string): Raw {
  return merge(base, over, ['services', name]) as Raw
}

/** A copy of v without the key at this path. */
export function without(v: Raw, path: readonly string[]): Raw {
  const [key, ...rest] = path
  if (key === undefined || !(key in v)) return v
  const out: Raw = { ...v }
  if (rest.length === 0) delete out[key]
  else if (isMap(v[key])) out[key] = without(v[key], rest)
  return out
}

function merge(base: unknown, over: unknown, path: readonly string[]): unknown {
  const key = path.at(-1) ?? ''
  const inService = path[0] === 'services' && path.length >= 3
  if (over === undefined) return base
  if (base === undefined || base === null) return over
  if (inService && REPLACED.has(key)) return over
  if (inService && SEQUENCE.has(key) && path.length === 3) return merge(asSequence(base), asSequence(over), [...path, '*'])
  if (inService && BY_NAME.has(key)) return merge(byName(base), byName(over), [...path, '*'])
  // build: ./app is build: {context: ./app}, so an override's build: {target: dev} keeps the context (compose-go's transform)
  if (inService && key === 'build' && path.length === 3) return merge(asBuild(base), asBuild(over), [...path, '*'])
  if (inService && AS_MAP.has(key) && path.length === 3) return merge(asMap(base), asMap(over), [...path, '*'])
  if (inService && key === 'volumes' && Array.isArray(base) && Array.isArray(over)) return mergeVolumes(base, over)
  if (isMap(base) && isMap(over)) {
    const out: Raw = { ...base }
    for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v, [...path, k])
    return out
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const seen = new Set(base.map((v) => JSON.stringify(v)))
    return [...base, ...over.filter((v) => !seen.has(JSON.stringify(v)))]
  }
  return over
}

/** ["K=V", "K"] as {K: "V", K: null}; a mapping as it is. */
function byName(v: unknown): unknown {
  if (!Array.isArray(v)) return v
  const out: Raw = {}
  for (const item of v) {
    const text = String(item)
    const eq = text.indexOf('=')
    out[eq < 0 ? text : text.slice(0, eq)] = eq < 0 ? null : text.slice(eq + 1)
  }
  return out
}

/** A string as a list of one; extra_hosts' mapping (a host to an address, or to several) as "host=address" items. */
function asSequence(v: unknown): unknown {
  if (typeof v === 'string') return [v]
  if (!isMap(v)) return v
  return Object.entries(v).flatMap(([host, to]) => (Array.isArray(to) ? to : [to]).map((address) => `${host}=${String(address)}`))
}

function asBuild(v: unknown): unknown {
  return typeof v === 'string' ? { context: v } : v
}

/** A list of names as a mapping of names to null (networks, depends_on). */
function asMap(v: unknown): unknown {
  return Array.isArray(v) ? Object.fromEntries(v.map((n) => [String(n), null])) : v
}

function targetOf(v: unknown): string | undefined {
  if (isMap(v)) return typeof v.target === 'string' ? v.target : undefined
  if (typeof v !== 'string') return undefined
  const parts = v.split(':')
  return parts.length === 1 ? parts[0] : parts[1]
}

function mergeVolumes(base: unknown[], over: unknown[]): unknown[] {
  const targets = new Set(over.map(targetOf))
  return [...base.filter((v) => !targets.has(targetOf(v))), ...over]
}
