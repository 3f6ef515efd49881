/**
 * What every compose operation is given: where the store and state are,
 * how to run this mini-run again later (the monitor's exit command and the
 * health runner are commands of it), and where to report progress. The
 * library never prints: the CLI turns events into Docker's lines.
 */
import type { RunOutput } from '../build/run-step.js'
import type { BuildEvent } from '../build/build-options.js'
import type { PullEvent } from '../registry/progress.js'

export interface ComposeContext {
  storeRoot: string
  stateRoot: string
  /** argv that runs this mini-run with the same store and state (cli/run-flags.ts selfCommand). */
  selfCommand: string[]
  /** Progress: one event per thing made, started, stopped or removed. */
  onEvent?: (e: ComposeEvent) => void
  /** Where a build's RUN output goes, and its steps. */
  /** onEvent: a build's events, by the image it makes. */
  build?: { output: RunOutput; onEvent?: (image: string, e: BuildEvent) => void }
  onPull?: (image: string, e: PullEvent) => void
  /** The cgroup parent of the project's containers (tests keep theirs apart). */
  cgroupParent?: string
  insecureRegistries?: string[]
}

export type ResourceKind = 'Network' | 'Volume' | 'Container' | 'Image'

export type ComposeEvent =
  /** level: a status that is a warning or an error's words (a failed pull's reason), as docker compose's events have them. */
  | { kind: ResourceKind; name: string; status: string; level?: 'Warning' | 'Error' }
  | { kind: 'warning'; message: string }
  /** A line a hook printed (hooks.ts), by the container it ran in. */
  | { kind: 'hook'; name: string; line: string }

export function emit(ctx: ComposeContext, kind: ResourceKind, name: string, status: string, level?: 'Warning' | 'Error'): void {
  ctx.onEvent?.({ kind, name, status, ...(level !== undefined ? { level } : {}) })
}

export function warn(ctx: ComposeContext, message: string): void {
  ctx.onEvent?.({ kind: 'warning', message })
}
