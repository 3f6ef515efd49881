/**
 * Parsing `WWW-Authenticate` (RFC 9110 section 11.6.1). One header may carry
 * several challenges, and Node joins repeated headers with ", ", so a new
 * challenge is recognised as a token that is not followed by "=".
 *
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
 */

export interface Challenge {
  /** Lower case: "bearer", "basic". */
  scheme: string
  /** Parameter names in lower case. */
  params: Record<string, string>
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y

export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = []
  let pos = 0
  const skip = (chars: RegExp): void => {
    while (pos < header.length && chars.test(header.charAt(pos))) pos++
  }
  const token = (): string | undefined => {
    TOKEN.lastIndex = pos
    const m = TOKEN.exec(header)
    if (!m) return undefined
    pos += m[0].length
    return m[0]
  }
  let current: Challenge | undefined
  while (pos < header.length) {
    skip(/[\s,]/)
    const start = pos
    const name = token()
    if (name === undefined) {
      pos++ // not a token: skip the character and resynchronise
      continue
    }
    skip(/[ \t]/)
    if (header.charAt(pos) === '=' && current) {
      pos++
      skip(/[ \t]/)
      current.params[name.toLowerCase()] = header.charAt(pos) === '"' ? quoted() : unquoted()
      continue
    }
    // token68 (e.g. "Negotiate abc==") or a new scheme
    if (header.charAt(pos) === '=' && !current) {
      pos = start + name.length + 1
      continue
    }
    current = { scheme: name.toLowerCase(), params: {} }
    challenges.push(current)
  }
  return challenges

  /** A token by the RFC; leniently, anything up to "," or a space (some servers send bare URLs). */
  function unquoted(): string {
    const start = pos
    while (pos < header.length && !/[\s,]/.test(header.charAt(pos))) pos++
    return header.slice(start, pos)
  }

  function quoted(): string {
    let value = ''
    pos++ // opening quote
    while (pos < header.length) {
      const c = header.charAt(pos++)
      if (c === '"') break
      value += c === '\\' && pos < header.length ? header.charAt(pos++) : c
    }
    return value
  }
}
