/**
 * COPY/ADD --chmod: an octal mode, or (Dockerfile 1.14) chmod(1)'s
 * symbolic form, `+x`, `u=rwX,go=rX`, `g-w`, applied to each copied file
 * and directory's own mode, as BuildKit does with dchapes-mode. Without a
 * "who" a clause means all (no umask: a build has none).
 */

/** A copied entry's new mode from its mode (the source's) and whether it is a directory. */
export type ModeChange = (mode: number, isDir: boolean) => number

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 }
const CLAUSE = /^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$/

/** `spec` as a mode (octal) or a change (symbolic); throws with BuildKit's words when it is neither. */
export function parseChmod(spec: string): number | ModeChange {
  const invalid = () => new Error(`invalid chmod parameter: '${spec}'. it should be octal string and between 0 and 07777`)
  if (/^[0-7]+$/.test(spec)) {
    const mode = Number.parseInt(spec, 8)
    if (mode > 0o7777) throw invalid()
    return mode
  }
  const clauses = spec.split(',').map((clause) => {
    const m = CLAUSE.exec(clause)
    if (!m) throw invalid()
    const who = m[1] === '' ? WHO.a! : [...m[1]!].reduce((mask, c) => mask | WHO[c]!, 0)
    const ops = [...m[2]!.matchAll(/([-+=])([rwxXstugo]*)/g)].map((o) => ({ op: o[1]!, perms: o[2]! }))
    if (ops.some((o) => /[ugo]/.test(o.perms) && o.perms.length > 1)) throw invalid()
    return { who, ops }
  })
  return (start, isDir) => {
    let mode = start & 0o7777
    for (const { who, ops } of clauses) {
      for (const { op, perms } of ops) {
        let bits = 0
        for (const p of perms) {
          if (p === 'r') bits |= 0o444
          else if (p === 'w') bits |= 0o222
          else if (p === 'x' || (p === 'X' && (isDir || (mode & 0o111) !== 0))) bits |= 0o111
          else if (p === 's') bits |= 0o6000
          else if (p === 't') bits |= 0o1000
          else if (p === 'u' || p === 'g' || p === 'o') bits |= ((mode >> { u: 6, g: 3, o: 0 }[p]) & 7) * 0o111
        }
        bits &= who
        if (op === '+') mode |= bits
        else if (op === '-') mode &= ~bits
        else mode = (mode & ~(who & 0o777)) | bits
      }
    }
    return mode
  }
}
