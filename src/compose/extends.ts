/**
 * A service's `extends:` as compose-go applies it (loader/extends.go):
 * per file, after interpolation and before the files are merged, each
 * service that extends another is the other (itself extended first)
 * with this one merged over it by the rules two files merge by
 * (merge.ts), the keys this file tags !reset or !override dropped from
 * the base first. `extends: NAME` (or `{service: NAME}`) is a service of
 * the same file; `{file: F, service: NAME}` one of F, read and
 * interpolated as the compose files are but not validated: it may be a
 * fragment, and only the result is. F is relative to the directory the
 * extending file's paths are relative to (the project's, for the files
 * given with -f), and the paths of a service taken from F (build context,
 * env_file, bind sources, develop.watch paths, a further extends' file) to
 * F's own directory.
 */
import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { At } from './compose-error.js'
import { interpolateTree, type Interpolation } from './interpolate.js'
import { mergeService, without } from './merge.js'
import { isMap, type Raw } from './values.js'
import { parseComposeYaml } from './yaml-tags.js'

/** One file whose services may be extended: its services, the paths it tags !reset/!override, and where its relative paths lead. */
interface ExtendsFile {
  /** As errors show it. */
  shown: string
  services: Raw
  resets: readonly string[][]
  dir: string
}

export interface ExtendsContext {
  interpolation: Interpolation
  /** A path as errors show it (relative to the working directory when inside it). */
  shown: (path: string) => string
}

/** The file's services with every extends applied, in place; dir is what its relative paths are relative to. */
export function applyExtends(raw: Raw, shown: string, resets: readonly string[][], dir: string, ctx: ExtendsContext): void {
  if (!isMap(raw.services)) return
  const file: ExtendsFile = { shown, services: raw.services, resets, dir }
  const loaded = new Map<string, ExtendsFile>()
  for (const name of Object.keys(file.services)) extendService(file, name, [], ctx, loaded)
}

function extendService(file: ExtendsFile, name: string, chain: readonly string[], ctx: ExtendsContext, loaded: Map<string, ExtendsFile>): Raw | undefined {
  const service = file.services[name]
  if (!isMap(service) || service.extends === undefined) return isMap(service) ? service : undefined
  const at = new At(file.shown, ['services', name, 'extends'])
  const link = `${file.shown}: ${name}`
  if (chain.includes(link)) throw at.error(`circular reference: ${[...chain, link].map((l) => l.slice(l.indexOf(': ') + 2)).join(' -> ')}`)
  const { ref, path } = extendsOf(service.extends, at)
  const from = path === undefined ? file : readExtendsFile(resolve(file.dir, path), ctx, loaded, at.at('file'))
  if (from.services[ref] === undefined) {
    throw at.error(path === undefined ? `cannot extend service "${name}" in ${file.shown}: service "${ref}" not found` : `cannot extend service "${name}" in ${file.shown}: service "${ref}" not found in ${path}`)
  }
  const base = extendService(from, ref, [...chain, link], ctx, loaded) ?? {}
  // this file's !reset and !override keys of the service, dropped from what it extends (compose-go's post.Apply)
  const source = file.resets.filter((p) => p[0] === 'services' && p[1] === name).reduce((b, p) => without(b, p.slice(2)), structuredClone(base))
  const merged = mergeService(source, { ...service, extends: undefined }, name)
  delete merged.extends
  file.services[name] = merged
  return merged
}

function extendsOf(v: unknown, at: At): { ref: string; path?: string } {
  if (typeof v === 'string') return { ref: v }
  if (!isMap(v) || typeof v.service !== 'string') throw at.at('service').error('required: the name of the service to extend')
  if (v.file !== undefined && typeof v.file !== 'string') throw at.at('file').error('expected a string')
  return { ref: v.service, ...(v.file !== undefined ? { path: v.file } : {}) }
}

/** Another file's services, interpolated, their relative paths made absolute against its directory; read once per extends pass. */
function readExtendsFile(path: string, ctx: ExtendsContext, loaded: Map<string, ExtendsFile>, at: At): ExtendsFile {
  const known = loaded.get(path)
  if (known) return known
  const shown = ctx.shown(path)
  let value: unknown
  let resets: string[][]
  try {
    ;({ value, resets } = parseComposeYaml(readFileSync(path, 'utf8')))
  } catch (err) {
    throw at.error(`cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`, err)
  }
  const raw = interpolateTree(isMap(value) ? value : {}, ctx.interpolation, new At(shown)) as Raw
  if (!isMap(raw.services)) throw at.error(`${shown} has no services section`)
  const dir = dirname(path)
  for (const s of Object.values(raw.services)) if (isMap(s)) absolutePaths(s, dir)
  const file = { shown, services: raw.services, resets, dir }
  loaded.set(path, file)
  return file
}

/** compose-go's ResolveRelativePaths, for the paths a service may hold: against the directory of the file it comes from. */
export function absolutePaths(s: Raw, dir: string): void {
  const abs = (p: string) => (isAbsolute(p) || p.startsWith('~') ? p : resolve(dir, p))
  const remote = (p: string) => /^[a-z]+:\/\//.test(p) || p.startsWith('git@')
  if (typeof s.build === 'string' && !remote(s.build)) s.build = abs(s.build)
  if (isMap(s.build) && typeof s.build.context === 'string' && !remote(s.build.context)) s.build.context = abs(s.build.context)
  // none given: ".", this file's directory (compose-go's defaultBuildContext, set before the paths are resolved)
  if (isMap(s.build) && s.build.context === undefined) s.build.context = dir
  if (typeof s.env_file === 'string') s.env_file = abs(s.env_file)
  if (Array.isArray(s.env_file)) s.env_file = s.env_file.map((e) => (typeof e === 'string' ? abs(e) : isMap(e) && typeof e.path === 'string' ? { ...e, path: abs(e.path) } : e))
  if (isMap(s.extends) && typeof s.extends.file === 'string') s.extends.file = abs(s.extends.file)
  if (typeof s.label_file === 'string') s.label_file = abs(s.label_file)
  if (Array.isArray(s.label_file)) s.label_file = s.label_file.map((f) => (typeof f === 'string' ? abs(f) : f))
  // compose-go resolves develop.watch's paths with the rest
  if (isMap(s.develop) && Array.isArray(s.develop.watch)) s.develop = { ...s.develop, watch: s.develop.watch.map((t) => (isMap(t) && typeof t.path === 'string' ? { ...t, path: abs(t.path) } : t)) }
  if (Array.isArray(s.volumes)) {
    s.volumes = s.volumes.map((v) => {
      // SOURCE:TARGET[:MODE]: a relative source is a bind's (a name is a volume's); a lone path is the container's
      const colon = typeof v === 'string' ? v.indexOf(':') : -1
      if (typeof v === 'string') return v.startsWith('.') && colon > 0 ? abs(v.slice(0, colon)) + v.slice(colon) : v
      return isMap(v) && v.type === 'bind' && typeof v.source === 'string' ? { ...v, source: abs(v.source) } : v
    })
  }
}
