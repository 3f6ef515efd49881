/**
 * Docker's --format for lists (docker/cli cli/command/formatter): `table`
 * (the default columns), `table TEMPLATE` (a header row, then one row an
 * item, aligned like tabwriter), `json` (one `{{json .}}` line an item), or
 * any other Go template, executed once per item with a newline after each.
 * A literal `\t` or `\n` typed in the format stands for a tab or newline,
 * as in Docker.
 */
import { UsageError } from '../../errors.js'
import { alignTabs } from './tab-writer.js'
import { compileTemplate, TemplateError, type Template } from './template-exec.js'

export interface ListFormat {
  /** The template of `table` without its columns given: Docker's default for the verb. */
  defaultTable: string
  /** Column headers by field name: ID -> "CONTAINER ID". */
  headers: Record<string, string>
}

/**
 * A template of text and `{{.Field}}` actions alone (every default table):
 * each row is the text with the item's strings in place, as the engine would
 * print them, without its walk per row (1.5 ms of a `ps` of 50, run cold).
 * undefined for any other template; the row's function gives undefined for
 * an item whose field is not a string. compile() parses the template with
 * the engine first, so a template the engine refuses never gets here.
 */
function fieldsOnly(src: string): ((data: unknown) => string | undefined) | undefined {
  const parts = src.split(/\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/)
  if (parts.some((text, i) => i % 2 === 0 && text.includes('{{'))) return undefined
  return (data) => {
    let out = parts[0]!
    for (let i = 1; i < parts.length; i += 2) {
      const value = (data as Record<string, unknown>)[parts[i]!]
      if (typeof value !== 'string') return undefined
      out += value + parts[i + 1]!
    }
    return out
  }
}

function compile(src: string): Template {
  let full: Template
  try {
    // parsed whole in any case: what the engine refuses ("{{{.ID}}") is refused the same way
    full = compileTemplate(src)
  } catch (err) {
    if (err instanceof TemplateError) throw new UsageError(`template parsing error: ${err.message}`, { cause: err })
    throw err
  }
  const fields = fieldsOnly(src)
  return fields ? { execute: (data) => fields(data) ?? full.execute(data) } : full
}

/**
 * The verb's own default table, which the engine parses (test/format-list
 * checks each verb's): parsed only if a row needs the engine, as a header
 * of a method's column does (0.3-0.5 ms of each `ps` and `images`).
 */
function compileDefault(src: string): Template {
  const fields = fieldsOnly(src)
  if (!fields) return compile(src)
  let full: Template | undefined
  return { execute: (data) => fields(data) ?? (full ??= compile(src)).execute(data) }
}

function run(t: Template, data: unknown): string {
  try {
    return t.execute(data)
  } catch (err) {
    if (err instanceof TemplateError) throw new UsageError(err.message, { cause: err })
    throw err
  }
}

/** `\t` and `\n` as typed: Docker's preFormat replaces them. */
export function unescapeFormat(format: string): string {
  return format.replace(/\\t/g, '\t').replace(/\\n/g, '\n')
}

/** The header row: each field's header, a method's empty. */
function headerData(headers: Record<string, string>, sample: unknown): Record<string, unknown> {
  const data: Record<string, unknown> = {}
  if (sample && typeof sample === 'object') {
    // by descriptor: a getter's value (a row's Mounts) is not read for a header
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(sample))) {
      data[k] = typeof d.value === 'function' ? () => (headers[k] ?? k.toUpperCase()) : (headers[k] ?? k.toUpperCase())
    }
  }
  for (const [k, h] of Object.entries(headers)) data[k] ??= h
  return data
}

/** Render items as the --format given (undefined: the verb's default table). */
export function formatList(format: string | undefined, items: unknown[], o: ListFormat): string {
  const f = format === undefined || format === '' ? 'table' : format
  if (f === 'json') {
    const t = compile('{{json .}}')
    return items.map((i) => run(t, i) + '\n').join('')
  }
  if (f === 'table' || f.startsWith('table ')) {
    const t = f === 'table' ? compileDefault(unescapeFormat(o.defaultTable)) : compile(unescapeFormat(f.slice('table '.length).trim()))
    const header = run(t, headerData(o.headers, items[0]))
    const rows = [header, ...items.map((i) => run(t, i))]
    return alignTabs(rows.join('\n')) + '\n'
  }
  const t = compile(unescapeFormat(f))
  return items.map((i) => run(t, i) + '\n').join('')
}

/** inspect -f: one template, once per object. */
export function formatEach(format: string, items: unknown[]): string {
  const t = compile(unescapeFormat(format))
  return items.map((i) => run(t, i) + '\n').join('')
}
