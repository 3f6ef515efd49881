// A template of text and `{{.Field}}` actions alone (every default table) is
// filled in without the template engine (format-list.ts fieldsOnly): its
// output must be the engine's, for any such template and any item, with the
// engine taking over for an item whose field is missing or not a string.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatEach, formatList } from '../src/cli/format/format-list.js'
import { alignTabs } from '../src/cli/format/tab-writer.js'
import { compileTemplate } from '../src/cli/format/template-exec.js'
import { PS_TABLE } from '../src/cli/format/container-row.js'
import { IMAGES_DIGESTS_TABLE, IMAGES_TABLE } from '../src/cli/commands/images.js'
import { STATS_TABLE } from '../src/cli/commands/stats.js'

const FIELDS = ['ID', 'Names', 'Image', 'Size', 'Status'] as const
const engine = (src: string, data: unknown) => compileTemplate(src).execute(data)

// text between actions: anything without "{{" (tabs, spaces, braces, unicode included)
const text = fc.string({ unit: fc.constantFrom('a', ' ', '\t', '}', '{x', '-', 'é', '😀', '.', '|'), maxLength: 6 }).filter((t) => !t.includes('{{'))
const action = fc.tuple(fc.constantFrom(...FIELDS, 'Nope'), fc.constantFrom('', ' ', '  ')).map(([f, sp]) => `{{${sp}.${f}${sp}}}`)
const template = fc.tuple(text, fc.array(fc.tuple(action, text), { maxLength: 5 })).map(([first, rest]) => first + rest.map(([a, t]) => a + t).join(''))
const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(undefined), fc.constant(null), fc.boolean())
const item = fc.record(Object.fromEntries(FIELDS.map((f) => [f, value])) as Record<(typeof FIELDS)[number], typeof value>)

describe("templates of fields alone, filled in without the engine", () => {
  it("give the engine's output, item by item, for any template and values", () => {
    fc.assert(
      fc.property(template, fc.array(item, { minLength: 1, maxLength: 4 }), (src, items) => {
        const expected = items.map((i) => engine(src, i) + '\n').join('')
        expect(formatEach(src, items)).toBe(expected)
        // (an empty --format is the default table)
        if (src !== '') expect(formatList(src, items, { defaultTable: '', headers: {} })).toBe(expected)
      }),
      { numRuns: 300 },
    )
  })

  it("and as a table: the header from the headers, the rows aligned as the engine's would be", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ ID: fc.string({ maxLength: 14 }), Names: fc.string({ maxLength: 14 }) }), { minLength: 1, maxLength: 5 }), (rows) => {
        const src = '{{.ID}}\t{{.Names}}'
        const expected = alignTabs(['CONTAINER ID\tNAMES', ...rows.map((r) => engine(src, r))].join('\n')) + '\n'
        expect(formatList('table', rows, { defaultTable: src, headers: { ID: 'CONTAINER ID', Names: 'NAMES' } })).toBe(expected)
      }),
    )
  })

  it('a template the engine refuses is refused, with its parse error, items or none', () => {
    for (const items of [[{ ID: 'a', Names: 'b' }], []]) {
      expect(() => formatEach('{{{.ID}}', items)).toThrow(/^template parsing error: /)
      expect(() => formatList('table {{{.ID}}\t{{.Names}}', items, { defaultTable: '', headers: {} })).toThrow(/^template parsing error: /)
    }
  })

  // a verb's own default table is not parsed by the engine unless a row needs
  // it (format-list.ts compileDefault): each must be one the engine parses,
  // and fill in as the engine would, header and rows, a method's column too
  it("each verb's default table is one the engine parses, and fills in as the engine does", () => {
    for (const table of [PS_TABLE, `${PS_TABLE}\t{{.Size}}`, IMAGES_TABLE, IMAGES_DIGESTS_TABLE, STATS_TABLE]) {
      const fields = [...table.matchAll(/\{\{\.(\w+)\}\}/g)].map((m) => m[1]!)
      const row = Object.fromEntries(fields.map((f, i) => [f, `${f.toLowerCase()}-${i}`]))
      const headers = Object.fromEntries(fields.map((f) => [f, f.toUpperCase()]))
      const withMethod = { ...row, [fields[0]!]: () => 'by-method' }
      const expected = alignTabs([fields.map((f) => f.toUpperCase()).join('\t'), engine(table, row), engine(table, withMethod)].join('\n')) + '\n'
      expect(formatList(undefined, [row, withMethod], { defaultTable: table, headers })).toBe(expected)
    }
  })

  it('a template with anything else goes to the engine whole', () => {
    expect(formatEach('{{.ID}} {{- .Names}}', [{ ID: 'a', Names: 'b' }])).toBe('ab\n')
    expect(formatEach('{{.ID | printf "%q"}}', [{ ID: 'a' }])).toBe('"a"\n')
    expect(formatEach('{{.ID}} {{.Label "x"}}', [{ ID: 'a', Label: (k: unknown) => `L${String(k)}` }])).toBe('a Lx\n')
  })
})
