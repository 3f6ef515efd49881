/**
 * What COPY takes from below a directory when --exclude or --parents
 * narrow it (pure, apart from reading the source), by BuildKit's rules:
 * dockerfile2llb's convert_copy.go makes --parents a copy of the source's
 * root with the source as an include pattern, and tonistiigi/fsutil's
 * copier walks it, taking what an include pattern matches and an exclude
 * pattern does not, and making the directories above a taken entry as the
 * source has them (mode, owner) even when they were not taken themselves.
 * Patterns are matched against the path an entry will have below the
 * destination (path-patterns.ts).
 */
import { UsageError } from '../errors.js'
import { PathPatterns, PatternError } from './path-patterns.js'
import { cleanSourcePath, hasGlob, resolveSource, type SourceFs, type SourceItem } from './source-fs.js'

export interface Selected {
  /** The path below the directory walked, which is the path below the destination. */
  rel: string
  item: SourceItem
}

/**
 * The entries below the directory `dir` to copy, parents first, siblings
 * by name: those `include` matches (all, without it) and `exclude` does
 * not. A directory not taken itself comes along, before them, when
 * something below it is taken.
 */
export function* selectBelow(fs: SourceFs, dir: SourceItem, include?: PathPatterns, exclude?: PathPatterns): Generator<Selected> {
  const above: (Selected & { given: boolean })[] = []
  function* visit(parent: SourceItem, prefix: string): Generator<Selected> {
    for (const child of fs.list(parent)) {
      const name = child.rel.slice(child.rel.lastIndexOf('/') + 1)
      const rel = prefix === '' ? name : `${prefix}/${name}`
      const excluded = exclude?.matches(rel) === true
      // a directory .dockerignore excludes is listed only for what its "!" lines bring back
      const taken = !excluded && (include?.matches(rel) ?? true) && !fs.excluded?.(child.rel)
      if (taken) {
        for (const a of above.filter((a) => !a.given)) {
          a.given = true
          yield { rel: a.rel, item: a.item }
        }
        yield { rel, item: child }
      }
      if (!child.stat.isDirectory()) continue
      if (taken) {
        yield* visit(child, rel)
        continue
      }
      // below an excluded directory only an exception can bring something back (fsutil skips it whole otherwise)
      if (excluded && !exclude!.hasExceptions) continue
      if (include && !include.matches(rel) && !include.mayMatchBelow(rel)) continue
      above.push({ rel, item: child, given: false })
      yield* visit(child, rel)
      above.pop()
    }
  }
  yield* visit(dir, '')
}

export interface ParentsRoot {
  /** A directory (or file) the pattern is matched below. */
  item: SourceItem
  /** Undefined when nothing follows the pivot: the root's contents, as without --parents. */
  include?: PathPatterns
}

/**
 * A `COPY --parents` source: the source's root (the context's, or
 * --from's) with the source as the pattern, or, at the first "/./" in it
 * (rsync's --relative), what comes before resolved as a source of its own,
 * wildcards and all, with the rest as the pattern below each match. A
 * source without wildcards must be there; a pattern matching nothing
 * copies nothing (BuildKit's RequiredPaths and AllowEmptyWildcard).
 */
export function resolveParents(fs: SourceFs, source: string): ParentsRoot[] {
  const pivot = source.indexOf('/./')
  const base = pivot < 0 ? '' : cleanSourcePath(source.slice(0, pivot))
  const pattern = cleanSourcePath(pivot < 0 ? source : source.slice(pivot + 3))
  // said with the source as written; "x/./y" is looked up as x/y
  if (!hasGlob(base) && !hasGlob(pattern)) resolveSource(fs, source)
  let include: PathPatterns | undefined
  try {
    include = pattern === '' ? undefined : new PathPatterns([pattern])
  } catch (err) {
    if (err instanceof PatternError) throw new UsageError(`${source}: ${err.message}`)
    throw err
  }
  return resolveSource(fs, base).map((item) => ({ item, ...(include ? { include } : {}) }))
}

/** The --exclude patterns, or undefined when there are none; a bad one throws, naming it. */
export function excludePatterns(patterns: readonly string[]): PathPatterns | undefined {
  let compiled: PathPatterns
  try {
    compiled = new PathPatterns(patterns)
  } catch (err) {
    if (err instanceof PatternError) throw new UsageError(`--exclude: ${err.message}`)
    throw err
  }
  return compiled.empty ? undefined : compiled
}
