/**
 * `compose config --variables`: the variables a compose file's model
 * reads, as compose-go's template.ExtractVariables finds them in every
 * string of the file as written (no interpolation, no validation, so a
 * required variable that is unset is listed, not an error): `$NAME`,
 * `${NAME}`, `${NAME:-default}`/`-` (a default, itself searched),
 * `${NAME:+alternate}`/`+`, `${NAME:?message}`/`?` (required); `$$` is a
 * dollar. A name met twice keeps its last form, as compose-go's map does.
 */
export interface Variable {
  name: string
  required: boolean
  defaultValue: string
  presenceValue: string
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/

/** The variables of every string value in the tree (not the keys), as compose-go walks a model. */
export function extractVariables(tree: unknown, out = new Map<string, Variable>()): Map<string, Variable> {
  if (typeof tree === 'string') variablesOf(tree, out)
  else if (Array.isArray(tree)) for (const v of tree) extractVariables(v, out)
  else if (tree !== null && typeof tree === 'object') for (const v of Object.values(tree)) extractVariables(v, out)
  return out
}

function variablesOf(text: string, out: Map<string, Variable>): void {
  let i = text.indexOf('$')
  while (i >= 0 && i < text.length) {
    const next = text[i + 1]
    if (next === '$') {
      i = text.indexOf('$', i + 2)
      continue
    }
    if (next === '{') {
      const close = closingBrace(text, i + 2)
      if (close < 0) break
      const inner = text.slice(i + 2, close)
      const name = NAME.exec(inner)?.[0]
      if (name) {
        const rest = inner.slice(name.length)
        const v: Variable = { name, required: false, defaultValue: '', presenceValue: '' }
        if (rest.startsWith(':?') || rest.startsWith('?')) v.required = true
        else if (rest.startsWith(':-')) v.defaultValue = rest.slice(2)
        else if (rest.startsWith('-')) v.defaultValue = rest.slice(1)
        else if (rest.startsWith(':+')) v.presenceValue = rest.slice(2)
        else if (rest.startsWith('+')) v.presenceValue = rest.slice(1)
        out.set(name, v)
        if (v.defaultValue) variablesOf(v.defaultValue, out)
        if (v.presenceValue) variablesOf(v.presenceValue, out)
      }
      i = text.indexOf('$', close + 1)
      continue
    }
    const name = NAME.exec(text.slice(i + 1))?.[0]
    if (name) out.set(name, { name, required: false, defaultValue: '', presenceValue: '' })
    i = text.indexOf('$', i + 1 + (name?.length ?? 0))
  }
}

/** The `}` that closes a `${` whose text starts at `from`, counting nested `${...}`; -1 without one. */
function closingBrace(text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}
