/**
 * Secrets and configs without Swarm, as Docker Compose gives them to a
 * service (pkg/compose/create.go, secrets.go): the top-level entry says
 * where the content comes from, the service's entry where it goes.
 *
 * - A `file:` is bind-mounted read-only at the target (service-flags.ts);
 *   its `uid`, `gid` and `mode` cannot apply to a bind and are ignored with
 *   Docker Compose's warning.
 * - An `environment:` variable's value, or a config's inline `content:`, is
 *   written into the container's own filesystem before each start, owned by
 *   `uid`:`gid` (default root) with `mode` (default 0444): inject-files.ts.
 *
 * A secret's target defaults to /run/secrets/<source>, and a relative one
 * goes under /run/secrets; a config's defaults to /<source>. Swarm's
 * `external`, `driver` and `template_driver` are refused by their path.
 */
import { resolve } from 'node:path'
import type { At } from './compose-error.js'
import type { FileObject, FileReference } from './model.js'
import { isMap, str, type Raw } from './values.js'

export type FileKind = 'secret' | 'config'

/** The top-level `secrets:` or `configs:`, by key. */
export function projectFileObjects(kind: FileKind, v: unknown, project: string, projectDir: string, at: (key: string) => At): Record<string, FileObject> {
  const out: Record<string, FileObject> = {}
  for (const [key, value] of Object.entries(isMap(v) ? v : {})) {
    const here = at(key)
    const n: Raw = isMap(value) ? value : {}
    for (const refused of ['external', 'driver', 'driver_opts', 'template_driver']) {
      if (n[refused] !== undefined) throw here.at(refused).error(`not supported by mini-run: a ${kind} of Swarm's (Docker Compose refuses it too without Swarm)`)
    }
    const sources = (['file', 'environment', 'content'] as const).filter((k) => n[k] !== undefined)
    if (sources.length !== 1) throw here.error(`${kind} "${key}" must declare ${kind === 'secret' ? 'either `file` or `environment`' : 'one of `file`, `environment` or `content`'}`)
    const source = sources[0]!
    const text = str(n[source], here.at(source))
    out[key] = {
      name: n.name !== undefined ? str(n.name, here.at('name')) : `${project}_${key}`,
      ...(source === 'file' ? { file: resolve(projectDir, text) } : { [source]: text }),
    }
  }
  return out
}

/** A service's `secrets:` or `configs:` list, each source checked against the top-level ones. */
export function serviceFileReferences(kind: FileKind, v: unknown, at: At, defined: Readonly<Record<string, FileObject>>, service: string): FileReference[] | undefined {
  if (v === undefined || v === null) return undefined
  const list = Array.isArray(v) ? v : []
  const byTarget = new Map<string, FileReference>()
  list.forEach((entry, i) => {
    const here = at.at(i)
    const e: Raw = isMap(entry) ? entry : { source: entry }
    const source = str(e.source, here.at('source'))
    const object = defined[source]
    // compose-go's validate.go
    if (!object) throw here.error(`service "${service}" refers to undefined ${kind} ${source}`)
    const ref: FileReference = {
      source,
      // compose-go fills in a secret's (transform/secrets.go), not a config's
      ...(e.target !== undefined ? { target: str(e.target, here.at('target')) } : kind === 'secret' ? { target: `/run/secrets/${source}` } : {}),
      ...(e.uid !== undefined ? { uid: idText(e.uid, here.at('uid')) } : {}),
      ...(e.gid !== undefined ? { gid: idText(e.gid, here.at('gid')) } : {}),
      ...(e.mode !== undefined ? { mode: fileMode(e.mode, here.at('mode')) } : {}),
      from: object.file !== undefined ? { file: object.file } : object.environment !== undefined ? { environment: object.environment } : { content: object.content ?? '' },
    }
    // the same target twice: the later entry, as compose-go's mount indexer keeps one per target
    byTarget.delete(containerPath(kind, ref))
    byTarget.set(containerPath(kind, ref), ref)
  })
  return byTarget.size ? [...byTarget.values()] : undefined
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

/** The warnings Docker Compose gives for what it cannot do with a file-based one. */
export function fileReferenceWarnings(kind: FileKind, refs: readonly FileReference[] | undefined, exists: (path: string) => boolean): string[] {
  const out: string[] = []
  for (const r of refs ?? []) {
    if (!('file' in r.from)) continue
    if (r.uid !== undefined || r.gid !== undefined || r.mode !== undefined) out.push(`${kind === 'secret' ? 'secrets' : 'config'} \`uid\`, \`gid\` and \`mode\` are not supported, they will be ignored`)
    if (kind === 'secret' && !exists(r.from.file)) out.push(`secret file ${r.source} does not exist`)
  }
  return [...new Set(out)]
}
