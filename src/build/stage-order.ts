/**
 * Which stages a build makes, and in what order: the target's (the last
 * stage, or --target's) and those it reads (FROM, COPY --from, RUN
 * --mount from=), none a named context overrides (BuildKit's).
 */
import { UsageError } from '../errors.js'
import type { BuildRun } from './builder.js'
import { expand, type Lookup } from './shell-lex.js'
import { atLine } from './step-layer.js'
import { flagValue, flagValues, parseDockerfile, type ParsedDockerfile, type Stage } from './dockerfile.js'
import { namedContext } from './named-contexts.js'

export function targetStage(df: ParsedDockerfile, target: string | undefined): Stage {
  if (target === undefined) return df.stages.at(-1)!
  const found = df.stages.find((s) => s.name === target.toLowerCase())
  if (!found) throw new UsageError(`target stage "${target}" could not be found`)
  return found
}

/**
 * The target stage, or what a named context of its name makes of it, as
 * BuildKit's dispatch does for every stage: `FROM NAME` alone, which reads
 * the context (an image as it is, a directory as its files on scratch).
 */
export function overriddenTarget(run: BuildRun, target: Stage): Stage {
  const named = target.name === undefined ? undefined : namedContext(run.named, target.name)
  if (!named) return target
  const from = parseDockerfile(`# escape=${run.df.escape}\nFROM ${target.name}\n`).stages[0]!.from
  return { index: target.index, name: target.name, base: target.name!, from: { ...from, line: target.from.line, endLine: target.from.line }, instructions: [] }
}

/**
 * The stages `target` depends on (FROM, COPY --from, RUN --mount from=), itself last, in file order; none a named
 * context overrides (`overridden`: for a mount's reference, `mount` is true: a number there is no stage's to BuildKit).
 */
export function stagesNeeded(df: ParsedDockerfile, target: Stage, lookup: Lookup, overridden: (ref: string, mount: boolean) => boolean = () => false): Stage[] {
  const byRef = ({ ref, mount }: { ref: string; mount: boolean }, before: number): Stage | undefined => {
    // a named context of that name stands in for the stage, which is then not built (BuildKit's)
    if (overridden(ref, mount)) return undefined
    const lower = ref.toLowerCase()
    const named = df.stages.find((s) => s.name === lower && s.index < before)
    if (named) return named
    // a mount's from= finds stages by name alone (BuildKit's detectRunMount)
    return !mount && /^\d+$/.test(ref) && Number(ref) < before ? df.stages[Number(ref)] : undefined
  }
  const needed = new Set<number>()
  const visit = (stage: Stage) => {
    if (needed.has(stage.index)) return
    needed.add(stage.index)
    const refs = [{ ref: atLine(stage.from, () => expand(stage.base, lookup, df.escape).word), mount: false }]
    for (const i of stage.instructions) {
      const from = i.keyword === 'COPY' ? flagValue(i, 'from') : undefined
      if (from !== undefined) refs.push({ ref: atLine(i, () => expand(from, lookup, df.escape).word), mount: false })
      if (i.keyword === 'RUN') {
        for (const m of flagValues(i, 'mount')) {
          const f = /(?:^|,)from=([^,]+)/.exec(m)
          if (f) refs.push({ ref: atLine(i, () => expand(f[1]!, lookup, df.escape).word), mount: true })
        }
      }
    }
    for (const ref of refs) {
      const dep = byRef(ref, stage.index)
      if (dep) visit(dep)
    }
  }
  visit(target)
  return df.stages.filter((s) => needed.has(s.index)).map((s) => (s.index === target.index ? target : s))
}
