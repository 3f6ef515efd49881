/**
 * Secrets and configs without Swarm, as Docker Compose gives them to a
 * service (pkg/compose/create.go, secrets.go): the top-level entry says
 * where the content comes from, the service's entry where it goes.
 *
 * - A `file:` is bind-mounted read-only at the target (service-flags.ts);
 *   its `uid`, `gid` and `mode` cannot apply to a bind and are ignored with
 *   Docker Compose's warning.
 * - An `environment:` variable's value, or a config's inline `content:`, is
 *   written into the container's own filesystem before it starts, owned by
 *   `uid`:`gid` (default root) with `mode` (default 0444): inject-files.ts.
 *   A secret's `environment` wins over its `file`, a config's `environment`
 *   over its `content` and `file`, as there.
 *
 * A secret's target defaults to /run/secrets/<source>, and a relative one
 * goes under /run/secrets; a config's defaults to /<source>. Swarm's
 * `external`, `driver` and `template_driver` are refused where a service
 * uses them, as Docker Compose refuses them then.
 */
import { INCLUDED_VALUE } from './include.js'
import { hostPath } from './syntax-volumes.js'
import { isRoot } from '../paths.js'
import { ownSubordinateIds } from '../rootless/subordinate-ids.js'
import { At } from './compose-error.js'
import type { FileObject, FileReference, Project, Service } from './model.js'
import { bool, isMap, str, type Raw } from './values.js'

export type FileKind = 'secret' | 'config'

/** The top-level `secrets:` or `configs:`, by key. */
export function projectFileObjects(kind: FileKind, v: unknown, project: string, projectDir: string, at: (key: string) => At): Record<string, FileObject> {
  const out: Record<string, FileObject> = {}
  for (const [key, value] of Object.entries(isMap(v) ? v : {})) {
    const here = at(key)
    const n: Raw = isMap(value) ? value : {}
    const external = n.external !== undefined && (isMap(n.external) || (typeof n.external === 'string' ? n.external === 'true' : bool(n.external, here.at('external'))))
    const text = (k: string) => (n[k] !== undefined && n[k] !== null ? str(n[k], here.at(k)) : undefined)
    const [file, environment, content] = [text('file'), text('environment'), kind === 'config' ? text('content') : undefined]
    // compose-go's validate.go for secrets; a config with none would bind nothing
    if (!external && file === undefined && environment === undefined && content === undefined) {
      throw here.error(`${kind} "${key}" must declare ${kind === 'secret' ? 'either `file` or `environment`' : 'one of `file`, `environment` or `content`'}`)
    }
    out[key] = {
      name: text('name') ?? (external ? key : `${project}_${key}`),
      ...(file !== undefined ? { file: hostPath(file, projectDir) } : {}),
      ...(environment !== undefined ? { environment } : {}),
      ...(typeof n[INCLUDED_VALUE] === 'string' ? { value: n[INCLUDED_VALUE] } : {}),
      ...(content !== undefined ? { content } : {}),
      ...(external ? { external: true as const } : {}),
      ...(text('driver') ? { driver: text('driver')! } : {}),
      ...(text('template_driver') ? { templateDriver: text('template_driver')! } : {}),
    }
  }
  return out
}

/** A service's `secrets:` or `configs:` list, each source checked against the top-level ones. */
export function serviceFileReferences(kind: FileKind, v: unknown, at: At, defined: Readonly<Record<string, FileObject>>, service: string): FileReference[] | undefined {
  if (v === undefined || v === null) return undefined
  const list = Array.isArray(v) ? v : []
  const out: FileReference[] = []
  const byTarget = new Map<string, number>()
  list.forEach((entry, i) => {
    const here = at.at(i)
    const e: Raw = isMap(entry) ? entry : { source: entry }
    const source = str(e.source, here.at('source'))
    const object = defined[source]
    // compose-go's validate.go; then Docker Compose's create.go for what only Swarm has
    if (!object) throw here.error(`service "${service}" refers to undefined ${kind} ${source}`)
    if (object.external) throw here.error(`unsupported external ${kind} ${object.name} (Swarm's)`)
    if (object.driver !== undefined) throw here.error(`${kind}s.*.driver is not supported without Swarm (${object.name})`)
    if (object.templateDriver !== undefined) throw here.error(`${kind}s.*.template_driver is not supported without Swarm (${object.name})`)
    const ref: FileReference = {
      source,
      name: object.name,
      // compose-go fills in a secret's (transform/secrets.go), not a config's
      ...(e.target !== undefined ? { target: str(e.target, here.at('target')) } : kind === 'secret' ? { target: `/run/secrets/${source}` } : {}),
      ...(e.uid !== undefined ? { uid: idText(e.uid, here.at('uid')) } : {}),
      ...(e.gid !== undefined ? { gid: idText(e.gid, here.at('gid')) } : {}),
      ...(e.mode !== undefined ? { mode: fileMode(e.mode, here.at('mode')) } : {}),
      from: sourceOf(kind, object),
    }
    // the same target twice: the later entry in the earlier one's place (compose-go's EnforceUnicity, by the target as written)
    const key = ref.target ?? `/${source}`
    const seen = byTarget.get(key)
    if (seen === undefined) byTarget.set(key, out.push(ref) - 1)
    else out[seen] = ref
  })
  return out.length ? out : undefined
}

function sourceOf(kind: FileKind, o: FileObject): FileReference['from'] {
  if (o.environment !== undefined) return { environment: o.environment, ...(o.value !== undefined ? { value: o.value } : {}) }
  if (kind === 'config' && o.content !== undefined) return { content: o.content }
  return { file: o.file! }
}

/** Where it lands in the container, as Docker Compose resolves the target. */
export function containerPath(kind: FileKind, ref: Pick<FileReference, 'source' | 'target'>): string {
  const base = kind === 'secret' ? '/run/secrets/' : '/'
  if (ref.target === undefined || ref.target === '') return base + ref.source
  return ref.target.startsWith('/') ? ref.target : base + ref.target
}

/** uid and gid: a number, as the text compose-go keeps (createTar's strconv.Atoi). */
function idText(v: unknown, at: At): string {
  const text = str(v, at)
  if (!/^\d+$/.test(text)) throw at.error(`"${text}" is not a number (uid and gid are numeric ids)`)
  return text
}

/** compose-go's FileMode: a string is octal, a number is taken as it is (YAML's 0440 is read as octal: yaml-tags.ts). */
function fileMode(v: unknown, at: At): number {
  const mode = typeof v === 'string' ? (/^[0-7]+$/.test(v) ? parseInt(v, 8) : NaN) : typeof v === 'number' && Number.isInteger(v) ? v : NaN
  if (!(mode >= 0 && mode <= 0o7777)) throw at.error(`invalid file mode ${JSON.stringify(v)}: octal permission bits, as 0440`)
  return mode
}

/** The content a written one gets: a config's inline text, or the variable's value in the project's environment (undefined: unset). */
export function writtenContent(ref: FileReference, environment: Readonly<Record<string, string>>): string | undefined {
  return 'content' in ref.from ? ref.from.content : 'environment' in ref.from ? (ref.from.value ?? environment[ref.from.environment]) : undefined
}

/** Docker Compose's words (secrets.go) for a written one whose variable the project's environment lacks. */
export function unsetVariable(kind: FileKind, ref: FileReference): string {
  return `environment variable "${'environment' in ref.from ? ref.from.environment : ''}" required by ${kind} "${ref.name}" is not set`
}

/**
 * Before a verb makes the containers of these services: what Docker
 * Compose finds only once a container is made (secrets.go: an unset
 * variable, a written one in a read-only service; a rootless uid or gid
 * the runtime cannot give), refused by its path while nothing is made; and
 * its warnings for a file's uid, gid and mode, and a missing secret file.
 */
export function checkFileReferences(project: Pick<Project, 'environment' | 'serviceFiles' | 'mainFile'>, services: readonly Service[], exists: (path: string) => boolean): string[] {
  const warnings: string[] = []
  for (const s of services) {
    for (const kind of ['secret', 'config'] as const) {
      ;(s[`${kind}s`] ?? []).forEach((r, i) => {
        const at = new At(project.serviceFiles[s.name] ?? project.mainFile, ['services', s.name, `${kind}s`, i])
        if ('file' in r.from) {
          if (r.uid !== undefined || r.gid !== undefined || r.mode !== undefined) warnings.push(`${kind === 'secret' ? 'secrets' : 'config'} \`uid\`, \`gid\` and \`mode\` are not supported, they will be ignored`)
          if (kind === 'secret' && !exists(r.from.file)) warnings.push(`secret file ${r.name} does not exist`)
          return
        }
        const content = writtenContent(r, project.environment)
        if (content === undefined) throw at.error(unsetVariable(kind, r))
        // empty content is not written (secrets.go), so it is no write into a read-only root either
        if (content === '') return
        if (s.readOnly) throw at.error(`cannot create ${kind} "${r.name}" in read-only service ${s.name}: \`file\` is the sole supported option`)
        // an ordinary user's container of subordinate ids is written in its namespace, where any of its users may own it
        if (!isRoot() && (Number(r.uid ?? 0) !== 0 || Number(r.gid ?? 0) !== 0) && !ownSubordinateIds()) {
          throw at.error('a uid or gid other than 0 needs subordinate ids (/etc/subuid, /etc/subgid) or root: a container of your own id alone has no other owner')
        }
      })
    }
  }
  return [...new Set(warnings)]
}
