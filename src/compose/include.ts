/**
 * The top-level `include:` as compose-go applies it (loader/include.go):
 * per file, after interpolation and before its services' extends, each
 * entry's files are loaded as a project of their own, then their services,
 * networks, volumes, secrets and configs are imported into the including
 * file, a resource it defines too merged under its own definition (its
 * `!reset` and `!override` keys dropped from the imported one first).
 *
 * - An entry is a path, or `{path: one or more, project_directory,
 *   env_file}`. Its paths and env files are relative to the including
 *   project's directory; its own project directory is its first file's
 *   directory unless given, and its relative paths (build contexts, bind
 *   sources, env files, secret and config files, a local bind volume's
 *   device) are made absolute against it.
 * - Its variables are the including project's, then its env files' (by
 *   default its own directory's `.env`) for those not set: for `${}`, and
 *   for what names a variable alone (`environment: [VAR]`, a secret's or
 *   config's `environment:`), as compose-go's ResolveEnvironment.
 * - A file that includes itself, directly or not, is an error.
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { At } from './compose-error.js'
import { absolutePaths } from './extends.js'
import type { Interpolation, Lookup } from './interpolate.js'
import { mergeFiles, without } from './merge.js'
import { hostPath } from './syntax-volumes.js'
import { isMap, str, type Raw } from './values.js'

/** A secret's or config's value, from an included project's variables (compose-go's `x-#value`): file-objects.ts reads it. */
export const INCLUDED_VALUE = 'x-#value'

export interface IncludeContext {
  interpolation: Interpolation
  shown: (path: string) => string
  /** What this file's relative include paths are relative to: its project's directory. */
  workingDir: string
  /** The files being read, outermost first, absolute: a cycle is an error. */
  chain: readonly string[]
  /** For a file's raw model (or an included project's merged one): the file each resource it imported comes from, by `section\0key`. */
  origins: WeakMap<Raw, Map<string, string>>
  readEnvFiles: (files: readonly string[], lookup: Lookup) => Map<string, string>
  /** Read one file as load.ts does (interpolation, its includes, extends, the schema), with these. */
  readFile: (path: string, ctx: IncludeContext) => { raw: Raw; resets: string[][] }
}

const SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'] as const

/** raw's includes applied, in place; resets: the paths raw's own !reset and !override keys had. */
export function applyIncludes(raw: Raw, resets: readonly string[][], at: At, ctx: IncludeContext): void {
  const v = raw.include
  delete raw.include
  if (v === undefined || v === null) return
  if (!Array.isArray(v)) throw at.at('include').error('`include` must be a list')
  v.forEach((entry, i) => {
    const here = at.at('include', i)
    const e: Raw = isMap(entry) ? entry : { path: str(entry, here) }
    for (const k of Object.keys(e)) if (!['path', 'project_directory', 'env_file'].includes(k)) throw here.at(k).error('not an include option (path, project_directory, env_file)')
    const paths = stringList(e.path, here.at('path')).map((p) => resolve(ctx.workingDir, p))
    if (paths.length === 0) throw here.at('path').error('required: the compose file(s) to include')
    for (const path of paths) {
      const cycle = ctx.chain.indexOf(path)
      if (cycle >= 0) throw here.error(`include cycle detected: ${[...ctx.chain.slice(cycle), path].map(ctx.shown).join(' includes ')}`)
    }
    const projectDir = e.project_directory !== undefined ? resolve(ctx.workingDir, str(e.project_directory, here.at('project_directory'))) : dirname(paths[0]!)
    const given = e.env_file !== undefined ? stringList(e.env_file, here.at('env_file')) : []
    // none given (or an empty list): the project's own .env, if it has one
    const envFiles = given.length ? given.filter((f) => f !== '/dev/null').map((f) => resolve(ctx.workingDir, f)) : [resolve(projectDir, '.env')].filter(isFile)
    for (const [j, f] of envFiles.entries()) if (!isFile(f)) throw here.at('env_file', ...(Array.isArray(e.env_file) ? [j] : [])).error(`${ctx.shown(f)} is not a file`)
    const own = ctx.readEnvFiles(envFiles, ctx.interpolation.lookup)
    const lookup: Lookup = (name) => ctx.interpolation.lookup(name) ?? own.get(name)
    const sub: IncludeContext = { ...ctx, interpolation: { ...ctx.interpolation, lookup }, workingDir: projectDir }
    const read = paths.map((p) => ({ path: p, ...ctx.readFile(p, sub) }))
    const model = mergeFiles(read.map((r) => r.raw), read.map((r) => r.resets))
    if (model.models !== undefined) throw here.error(`${ctx.shown(paths[0]!)}: models: not supported by mini-run`)
    // each resource from the last of its files that has it (or what that file imported it from)
    const from = new Map<string, string>()
    for (const r of read) for (const section of SECTIONS) for (const key of Object.keys(isMap(r.raw[section]) ? r.raw[section] : {})) from.set(`${section}\0${key}`, ctx.origins.get(r.raw)?.get(`${section}\0${key}`) ?? ctx.shown(r.path))
    resolveIncluded(model, projectDir, lookup)
    importResources(model, raw, resets, from, originsOf(ctx.origins, raw))
  })
}

function originsOf(origins: WeakMap<Raw, Map<string, string>>, raw: Raw): Map<string, string> {
  let m = origins.get(raw)
  if (!m) origins.set(raw, (m = new Map()))
  return m
}

function stringList(v: unknown, at: At): string[] {
  return Array.isArray(v) ? v.map((x, i) => str(x, at.at(i))) : [str(v, at)]
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile()
}

/** compose-go's ResolveRelativePaths and ResolveEnvironment for an included project: against its own directory and variables. */
function resolveIncluded(model: Raw, dir: string, lookup: Lookup): void {
  for (const s of Object.values(isMap(model.services) ? model.services : {})) {
    if (!isMap(s)) continue
    absolutePaths(s, dir)
    // a variable named alone, in the list form only (loader/environment.go)
    if (Array.isArray(s.environment)) s.environment = s.environment.map((e) => (typeof e === 'string' && !e.includes('=') && lookup(e) !== undefined ? `${e}=${lookup(e)}` : e))
  }
  for (const section of ['secrets', 'configs'] as const) {
    for (const o of Object.values(isMap(model[section]) ? model[section] : {})) {
      if (!isMap(o)) continue
      if (typeof o.file === 'string') o.file = hostPath(o.file, dir)
      if (typeof o.environment === 'string' && lookup(o.environment) !== undefined) o[INCLUDED_VALUE] = lookup(o.environment)
    }
  }
  // a local volume's bind device, by syntax-volumes.ts's rule for the main project's
  for (const vol of Object.values(isMap(model.volumes) ? model.volumes : {})) {
    const opts = isMap(vol) && isMap(vol.driver_opts) ? vol.driver_opts : undefined
    const bind = typeof opts?.o === 'string' && opts.o.split(',').some((o) => o === 'bind' || o === 'rbind')
    if (opts && bind && typeof opts.device === 'string') opts.device = hostPath(opts.device, dir)
  }
}

/**
 * The included project's resources into the including file's: one it
 * defines too is merged under its own, as a second -f file merges over a
 * first, its !reset and !override keys dropped from the imported one
 * (compose-go's importResource applies the including file's processor).
 */
function importResources(from: Raw, into: Raw, resets: readonly string[][], fileOf: Map<string, string>, origins: Map<string, string>): void {
  for (const section of SECTIONS) {
    if (!isMap(from[section])) continue
    const to: Raw = isMap(into[section]) ? into[section] : {}
    for (const [key, value] of Object.entries(from[section])) {
      const own = to[key]
      if (own === undefined || own === null) {
        to[key] = value
        origins.set(`${section}\0${key}`, fileOf.get(`${section}\0${key}`)!)
        continue
      }
      const imported = resets.filter((p) => p[0] === section && p[1] === key && p.length > 2).reduce((v, p) => without(v, p.slice(2)), isMap(value) ? value : {})
      to[key] = (mergeFiles([{ [section]: { [key]: imported } }, { [section]: { [key]: own } }])[section] as Raw)[key]
    }
    into[section] = to
  }
}
