/**
 * RUN --mount=type=bind's source (run-command-step.ts).
 */
import type { Instruction } from './dockerfile.js'
import { stateChainIds } from './image-state.js'
import { MergedTree } from './merged-tree.js'
import { namedContext } from './named-contexts.js'
import { TreeSourceFs, type SourceFs } from './source-fs.js'
import type { StageRun } from './stage-run.js'
import { imageError, stepError } from './step-layer.js'

/**
 * Where a bind mount reads: the context, a named context, a stage before
 * this one by its name, or an image (pulled when the store lacks it), as
 * BuildKit's detectRunMount finds it: by name alone, so a number is an
 * image's name there, never a stage's (COPY --from=0 is the stage). `key`:
 * what stands for the source's files where an ordinary user may not read
 * them (another container user's 0600 file): its layers' last chain id.
 */
export interface MountSource {
  fs: SourceFs
  label: string
  key?: string
  image?: true
}

export async function mountSource(s: StageRun, i: Instruction, from: string | undefined): Promise<MountSource> {
  if (from === undefined) return { fs: s.run.context, label: 'build context' }
  const named = namedContext(s.run.named, from)
  if (named?.kind === 'dir') return { fs: named.fs, label: named.fs.label }
  if (!named) {
    const stage = s.run.df.stages.find((st) => st.name === from.toLowerCase())
    const result = stage && stage.index < s.stage.index ? s.run.stageResult(from) : undefined
    if (result) return { fs: new TreeSourceFs(s.run.treeOf(result.state), `stage ${from}`), label: `stage ${from}`, key: stateChainIds(result.state).at(-1) ?? 'scratch' }
    if (stage) throw stepError(i, `--mount from=${from}: the stage of that name must come before this one`)
    if (/^\d+$/.test(from)) throw stepError(i, `--mount from=${from}: a mount's from= names a stage (FROM ... AS NAME) or an image, never a stage's number, as in BuildKit`)
  }
  const ref = named?.ref ?? from
  const image = await s.run.o.resolveImage(ref, false).catch((err: unknown) => {
    throw imageError(i, err)
  })
  await s.run.holdLayers(image.chainIds, `RUN --mount from=${from}`)
  const label = `image ${from}`
  return { fs: new TreeSourceFs(new MergedTree([...image.layerDirs].reverse(), s.run.store.idMaps), label), label, key: image.chainIds.at(-1) ?? 'scratch', image: true }
}
