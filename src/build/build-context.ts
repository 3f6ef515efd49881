/**
 * The build context: the directory a build may copy from, minus what its
 * .dockerignore excludes.
 *
 * .dockerignore is matched as BuildKit matches it: moby/patternmatcher's
 * rules (path-patterns.ts, which COPY --exclude uses too: Go filepath.Match
 * per path segment, "**", "!" exceptions, the last matching line wins, a
 * pattern naming a directory excludes everything below it), not
 * .gitignore's, which differ in exactly the cases users notice (`*.log`
 * does not match `sub/x.log` in Docker). @balena/dockerignore, used before,
 * matched without regard to case (`*.MD` took README.md) and threw on a
 * `+` or `(` that Go takes as text. As BuildKit does,
 * `<Dockerfile>.dockerignore` next to the Dockerfile is preferred over the
 * context's own.
 *
 * Nothing outside the context can be named: ".." is refused, and a symlink
 * is followed only when it is the source itself and leads inside the
 * context (anything below a copied directory is copied as a link).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, type Stats } from 'node:fs'
import { join, posix, relative } from 'node:path'
import { UsageError } from '../errors.js'
import type { SourceFs, SourceItem } from './source-fs.js'
import { PathPatterns, PatternError } from './path-patterns.js'

export class BuildContext implements SourceFs {
  readonly label: string
  readonly dir: string
  /** The .dockerignore patterns, cleaned. */
  readonly patterns: string[]
  readonly #ignore: PathPatterns

  constructor(dir: string, patterns: string[], label = 'build context') {
    this.dir = dir
    this.patterns = patterns
    this.label = label
    try {
      this.#ignore = new PathPatterns(patterns)
    } catch (err) {
      if (err instanceof PatternError) throw new UsageError(`.dockerignore: ${err.message}`)
      throw err
    }
  }

  /** Open a context directory and its .dockerignore (the Dockerfile's own first). */
  static open(dir: string, dockerfile?: string, label?: string): BuildContext {
    let st: Stats
    try {
      st = lstatSync(dir)
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message
      throw new UsageError(`build context ${dir}: ${why}`)
    }
    if (!st.isDirectory() && !st.isSymbolicLink()) throw new UsageError(`build context ${dir} is not a directory`)
    const root = realpathSync(dir)
    const candidates = [...(dockerfile ? [`${dockerfile}.dockerignore`] : []), join(root, '.dockerignore')]
    const file = candidates.find((f) => existsSync(f))
    return new BuildContext(root, file ? parseDockerignore(readFileSync(file, 'utf8')) : [], label)
  }

  /** Excluded by .dockerignore? */
  excluded(rel: string): boolean {
    return rel !== '' && this.#ignore.matches(rel)
  }

  lookup(rel: string): SourceItem | undefined {
    const host = rel === '' ? this.dir : join(this.dir, rel)
    let stat: Stats
    try {
      stat = lstatSync(host)
    } catch {
      return undefined
    }
    // an excluded path is not there, unless it is a directory an exception reaches into
    if (this.excluded(rel) && !(stat.isDirectory() && this.#reachedByException({ rel, host, stat }))) return undefined
    if (!stat.isSymbolicLink()) return { rel, host, stat }
    let target: string
    try {
      target = realpathSync(host)
    } catch {
      return undefined
    }
    const inside = relative(this.dir, target)
    if (inside === '..' || inside.startsWith('../') || posix.isAbsolute(inside)) {
      throw new UsageError(`${rel}: the symlink leads outside the build context`)
    }
    if (inside !== '' && this.excluded(inside)) return undefined
    return { rel, host: target, stat: lstatSync(target) }
  }

  /** Does an exception ("!" line) bring back something inside this excluded directory? */
  #reachedByException(dir: SourceItem): boolean {
    if (!this.#ignore.hasExceptions) return false
    return this.list(dir).some((child) => !this.excluded(child.rel) || (child.stat.isDirectory() && this.#reachedByException(child)))
  }

  list(dir: SourceItem): SourceItem[] {
    const out: SourceItem[] = []
    for (const name of readdirSync(dir.host).sort()) {
      const rel = dir.rel === '' ? name : `${dir.rel}/${name}`
      const host = join(dir.host, name)
      const stat = lstatSync(host)
      const item = { rel, host, stat }
      if (this.excluded(rel) && !(stat.isDirectory() && this.#reachedByException(item))) continue
      out.push(item)
    }
    return out
  }
}

/**
 * .dockerignore lines as moby/patternmatcher's ignorefile.ReadAll reads them
 * (BuildKit's): a comment is a line that starts with `#` (an indented one is
 * a pattern), a byte-order mark at the start is dropped, each pattern is
 * trimmed and cleaned, and a lone `!` stays, for the matcher to refuse.
 */
export function parseDockerignore(text: string): string[] {
  const out: string[] = []
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (raw.startsWith('#')) continue
    const line = raw.trim()
    if (line === '') continue
    const negate = line.startsWith('!')
    let pattern = (negate ? line.slice(1) : line).trim()
    if (pattern !== '') {
      const cleaned = posix.normalize(pattern)
      // `!/` is `!` to the matcher too (Go's filepath.Clean of "!/"), which it refuses
      if (negate && /^\/+$/.test(cleaned)) pattern = ''
      else {
        pattern = cleaned.replace(/^\/+/, '').replace(/\/+$/, '')
        if (pattern === '.' || pattern === '') continue
      }
    }
    out.push(negate ? `!${pattern}` : pattern)
  }
  return out
}
