/**
 * What a container's state keeps to plan its start again: `start` after
 * `create`, `start` of an exited container, and a restart by its policy.
 *
 * The plan itself is not kept: fds, pids and the monitor's argv of one start
 * mean nothing to the next, and planStart is pure, so the same input plans
 * the same start. What changed since is said explicitly: the writable layer
 * and the volumes exist (`made`), a -v source may have been removed
 * meanwhile (made again, as Docker does at every start).
 */
import { existsSync } from 'node:fs'
import type { PlanInput } from '../plan/plan-start.js'
import type { CloneVia } from '../plan/steps.js'

export type MonitorVia = Extract<CloneVia, { monitor: unknown }>

/** PlanInput without what is not data (pathKind) or kept elsewhere in the state (the spec). */
export type StartInput = Omit<PlanInput, 'pathKind' | 'spec' | 'via' | 'made' | 'bindSources'> & {
  /** A start of an existing container is always detached, as `docker start` is. */
  via: MonitorVia
  /** -v sources mini-run made (they are made again if missing). */
  createSources?: string[]
}

/** The PlanInput of the next start, from what was recorded. */
export function replanInput(input: StartInput, spec: PlanInput['spec'], pathKind: PlanInput['pathKind'], monitor: Partial<MonitorVia['monitor']> = {}): PlanInput {
  const { createSources, via, ...rest } = input
  // holding the output for a client is asked for by each start itself
  const { waitAttach: _, ...recorded } = via.monitor
  return {
    ...rest,
    spec,
    pathKind,
    made: true,
    bindSources: (createSources ?? []).filter((path) => !existsSync(path)),
    via: { monitor: { ...recorded, ...monitor } },
  }
}
