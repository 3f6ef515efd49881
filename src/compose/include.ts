/**
 * The top-level `include:` as compose-go applies it (loader/include.go):
 * per file, after interpolation and before its services' extends, each
 * entry's files are loaded as a project of their own, then their services,
 * networks, volumes, secrets and configs are imported into the including
 * file, a resource it defines too merged under its own definition.
 *
 * - An entry is a path, or `{path: one or more, project_directory,
 *   env_file}`. Its paths and env files are relative to the including
 *   project's directory; its own project directory is its first file's
 *   directory unless given, and its relative paths (build contexts, bind
 *   sources, env files, secret and config files, a local volume's device)
 *   are made absolute against it.
 * - Its variables are the including project's, then its env files' (by
 *   default its own directory's `.env`) for those not set.
 * - A file that includes itself, directly or not, is an error.
 */
import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import type { At } from './compose-error.js'
import { absolutePaths } from './extends.js'
import type { Interpolation, Lookup } from './interpolate.js'
import { mergeFiles } from './merge.js'
import { isMap, str, type Raw } from './values.js'

export interface IncludeContext {
  interpolation: Interpolation
  shown: (path: string) => string
  /** What this file's relative include paths are relative to: its project's directory. */
  workingDir: string
  /** The files being read, outermost first, absolute: a cycle is an error. */
  chain: readonly string[]
  /** `section\0key` -> the file an imported resource came from, as errors show it. */
  origins: Map<string, string>
  readEnvFiles: (files: readonly string[], lookup: Lookup) => Map<string, string>
  /** Read one file as load.ts does (interpolation, its includes, extends, the schema), with these. */
  readFile: (path: string, ctx: IncludeContext) => { raw: Raw; resets: string[][] }
}

const SECTIONS = ['services', 'networks', 'volumes', 'secrets', 'configs'] as const

export function applyIncludes(raw: Raw, at: At, ctx: IncludeContext): void {
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
    const cycle = ctx.chain.indexOf(paths[0]!)
    if (cycle >= 0) throw here.error(`include cycle detected: ${[...ctx.chain.slice(cycle), paths[0]!].map(ctx.shown).join(' includes ')}`)
    const projectDir = e.project_directory !== undefined ? resolve(ctx.workingDir, str(e.project_directory, here.at('project_directory'))) : dirname(paths[0]!)
    const envFiles = e.env_file !== undefined ? stringList(e.env_file, here.at('env_file')).filter((f) => f !== '/dev/null').map((f) => resolve(ctx.workingDir, f)) : [resolve(projectDir, '.env')].filter(isFile)
    for (const [j, f] of envFiles.entries()) if (!isFile(f)) throw here.at('env_file', ...(Array.isArray(e.env_file) ? [j] : [])).error(`${ctx.shown(f)} is not a file`)
    const own = ctx.readEnvFiles(envFiles, ctx.interpolation.lookup)
    const lookup: Lookup = (name) => ctx.interpolation.lookup(name) ?? own.get(name)
    const sub: IncludeContext = { ...ctx, interpolation: { ...ctx.interpolation, lookup }, workingDir: projectDir }
    const read = paths.map((p) => ({ path: p, ...ctx.readFile(p, sub) }))
    const model = mergeFiles(read.map((r) => r.raw), read.map((r) => r.resets))
    resolvePaths(model, projectDir)
    importResources(model, raw, ctx.shown(paths[0]!), ctx.origins)
  })
}

function stringList(v: unknown, at: At): string[] {
  return Array.isArray(v) ? v.map((x, i) => str(x, at.at(i))) : [str(v, at)]
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile()
}

/** compose-go's ResolveRelativePaths, for an included project: against its own directory. */
function resolvePaths(model: Raw, dir: string): void {
  for (const s of Object.values(isMap(model.services) ? model.services : {})) if (isMap(s)) absolutePaths(s, dir)
  for (const section of ['secrets', 'configs'] as const) {
    for (const o of Object.values(isMap(model[section]) ? model[section] : {})) if (isMap(o) && typeof o.file === 'string' && !isAbsolute(o.file)) o.file = resolve(dir, o.file)
  }
  // a local volume's bind device (syntax-volumes.ts's volumeDriverOpts makes the main project's absolute)
  for (const vol of Object.values(isMap(model.volumes) ? model.volumes : {})) {
    const opts = isMap(vol) && isMap(vol.driver_opts) ? vol.driver_opts : undefined
    if (opts && typeof opts.device === 'string' && opts.device.startsWith('.')) opts.device = resolve(dir, opts.device)
  }
}

/** The included project's resources into the including file's: one it defines too is merged under its own, as a second -f file merges over a first (compose-go's importResource). */
function importResources(from: Raw, into: Raw, shown: string, origins: Map<string, string>): void {
  for (const section of SECTIONS) {
    if (!isMap(from[section])) continue
    const to: Raw = isMap(into[section]) ? into[section] : {}
    for (const [key, value] of Object.entries(from[section])) {
      const own = to[key]
      if (own === undefined || own === null) {
        to[key] = value
        // (an include's include set it first: the file that defines it)
        if (!origins.has(`${section}\0${key}`)) origins.set(`${section}\0${key}`, shown)
      } else to[key] = (mergeFiles([{ [section]: { [key]: value } }, { [section]: { [key]: own } }])[section] as Raw)[key]
    }
    into[section] = to
  }
}
