/**
 * Which watch trigger a changed host path sets off, as Docker Compose
 * decides it (pkg/compose/watch.go, pkg/watch): the path is the
 * trigger's or below it; it matches `include` when there is one; and it
 * matches none of the ignores: the trigger's `ignore`, the service's
 * .dockerignore when it builds (rooted at its build context), editors'
 * temporary files, and `.git` (at any depth: Docker Compose meant that,
 * but its pattern matches only a `.git` at the filesystem's root). A
 * .dockerignore holding `*` (an allow-list) ignores nothing here, as in
 * Docker Compose. The
 * patterns are .dockerignore's (build/path-patterns.ts), rooted at the
 * trigger's path: `*.log` is the path's own, `**\/*.log` any below it.
 */
import { posix, relative } from 'node:path'
import { BuildContext } from '../build/build-context.js'
import { PathPatterns, PatternError } from '../build/path-patterns.js'
import type { At } from './compose-error.js'
import type { Service, WatchTrigger } from './model.js'

/** Editors' and tools' temporary files (pkg/watch/ephemeral.go), and .git. */
const ALWAYS_IGNORED = new PathPatterns(
  ['*___jb_old___', '*___jb_tmp___', '.idea', '.#*', '#*#', '4913', '*~', '.*.swp', '.*.swx', '.*.swo', '.*.swn', '.*.kate-swp', '*-go-tmp-umask', '.git'].map((p) => `**/${p}`),
)

export interface TriggerRule {
  service: string
  /** Its index in the service's develop.watch. */
  index: number
  trigger: WatchTrigger
  /** Does a change at this host path set it off? */
  matches(hostPath: string): boolean
  /** Is everything below this directory ignored (so a walk need not read it)? */
  skipsDirectory(hostPath: string): boolean
  /** Where a host path under the trigger's goes in the container (sync actions). */
  containerPath(hostPath: string): string
}

/** A path relative to root, or undefined when it is not root or below it ('' for root itself). */
export function below(root: string, path: string): string | undefined {
  if (path === root) return ''
  return path.startsWith(root.endsWith('/') ? root : `${root}/`) ? path.slice(root.length).replace(/^\/+/, '') : undefined
}

function patterns(list: string[], at: At): PathPatterns {
  try {
    return new PathPatterns(list)
  } catch (err) {
    if (err instanceof PatternError) throw at.error(err.message)
    throw err
  }
}

/** The rules of one service's triggers; at: the service's place in its file, for a pattern that does not parse. */
export function serviceRules(s: Service, at: At): TriggerRule[] {
  const context = s.build ? BuildContext.open(s.build.context, s.build.dockerfile) : undefined
  return (s.develop?.watch ?? []).map((trigger, index) => {
    const here = at.at('develop', 'watch', index)
    const include = patterns(trigger.include, here.at('include'))
    const ignore = patterns(trigger.ignore, here.at('ignore'))
    // a file watched alone is matched by its name
    const relOf = (p: string) => below(trigger.path, p) || posix.basename(p)
    // an allow-list .dockerignore (`*`, then `!src`) would keep the watch from everything else it names
    // (the Dockerfile itself): Docker Compose drops its patterns but the exceptions, which then match nothing
    const contextExcluded = (p: string) => {
      const inContext = context && !context.patterns.includes('*') && below(context.dir, p)
      return inContext ? context.excluded(inContext) : false
    }
    const contextExceptions = context?.patterns.some((p) => p.startsWith('!')) === true
    return {
      service: s.name,
      index,
      trigger,
      matches(hostPath) {
        if (below(trigger.path, hostPath) === undefined) return false
        const rel = relOf(hostPath)
        if (!include.empty && !include.matches(rel)) return false
        if (ignore.matches(rel) || ALWAYS_IGNORED.matches(rel)) return false
        return !contextExcluded(hostPath)
      },
      skipsDirectory(hostPath) {
        const rel = relOf(hostPath)
        return ALWAYS_IGNORED.matches(rel) || (!ignore.hasExceptions && ignore.matches(rel)) || (!contextExceptions && contextExcluded(hostPath))
      },
      containerPath(hostPath) {
        const rel = below(trigger.path, hostPath) ?? relative(trigger.path, hostPath)
        return posix.join(trigger.target ?? '/', rel)
      },
    }
  })
}
