/**
 * JSON as Go's encoding/json writes it, for output that must match the
 * Docker CLI's byte for byte (`manifest inspect`): json.Indent keeps a
 * document's own text (its keys' order, its strings as they were escaped)
 * and changes only the space between tokens; json.Marshal escapes <, > and
 * & (and U+2028, U+2029) in strings, which JSON.stringify leaves as they are.
 */

/**
 * Go's json.Indent(dst, src, prefix, indent) of a valid JSON text: each
 * element on a line of its own, after `prefix` and one `indent` per level;
 * `"key": value`; an empty object or array stays `{}` or `[]`. Strings are
 * copied as they are, and so is the space after the text (a manifest's last
 * newline), as Go's does.
 */
export function goIndent(json: string, prefix: string, indent: string): string {
  let out = ''
  let depth = 0
  // an opening bracket whose newline waits for what comes next (none, if it closes at once)
  let pending = false
  const newline = () => `\n${prefix}${indent.repeat(depth)}`
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue
    if (pending && c !== '}' && c !== ']') {
      out += newline()
      pending = false
    }
    if (c === '"') {
      let j = i + 1
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1
      out += json.slice(i, j + 1)
      i = j
    } else if (c === '{' || c === '[') {
      out += c
      depth++
      pending = true
    } else if (c === '}' || c === ']') {
      depth--
      if (pending) pending = false
      else out += newline()
      out += c
    } else if (c === ',') out += `,${newline()}`
    else if (c === ':') out += ': '
    else out += c
  }
  return out + (/[ \t\r\n]*$/.exec(json)?.[0] ?? '')
}

/** What Go's json.Marshal escapes in a string that JSON.stringify does not (its default HTML escaping). */
export function goEscapeHtml(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Go's json.Compact of a valid JSON text: the space between tokens gone, strings as they are. */
export function goCompact(json: string): string {
  let out = ''
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue
    if (c === '"') {
      let j = i + 1
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1
      out += json.slice(i, j + 1)
      i = j
    } else out += c
  }
  return out
}
