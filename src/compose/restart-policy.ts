/**
 * A service's `restart:` policy, without a daemon: a container whose
 * service has one is started with `mini-run internal compose-exited ID` as
 * its monitor's exit command instead of `internal cleanup ID`. Once it
 * exits, that command does what cleanup does (network, cgroup), then
 * decides as Docker does: `always` and `unless-stopped` restart it,
 * `on-failure[:N]` after a non-zero exit, at most N times; never one whose
 * stop was asked for (stop, kill -9, rm -f, compose stop and down:
 * runtime/container/stop-request.ts). The delay doubles with each
 * restart from 100 ms (Docker's backoff), up to 10 s. The next container
 * is made from the recorded plan (lifecycle.ts startAgain). So a policy
 * holds while the stack is up, and ends with `compose stop` or `down`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { cleanupContainer } from '../runtime/container/cleanup-container.js'
import { inspectState } from '../runtime/container/containers.js'
import { readState } from '../runtime/container/state.js'
import type { ComposeContext } from './compose-context.js'
import { stopRequested } from '../runtime/container/stop-request.js'
import { LABELS } from './labels.js'
import type { RestartPolicy } from './model.js'
import { startAgain } from './lifecycle.js'
import { readPlanRecord } from './service-container.js'

export function shouldRestart(policy: RestartPolicy, exitCode: number | undefined, restarts: number): boolean {
  switch (policy.name) {
    case 'always':
    case 'unless-stopped':
      return true
    case 'on-failure':
      return exitCode !== 0 && (policy.maxRetries === undefined || policy.maxRetries === 0 || restarts < policy.maxRetries)
    default:
      return false
  }
}

export function backoffMs(restarts: number): number {
  return Math.min(100 * 2 ** restarts, 10_000)
}

/** The exit command of a container with a restart policy. */
export async function containerExited(ctx: ComposeContext, id: string): Promise<void> {
  await cleanupContainer(ctx.stateRoot, id, ctx.storeRoot)
  if (stopRequested(ctx.stateRoot, id)) return
  const c = inspectState(ctx.stateRoot, readState(ctx.stateRoot, id))
  if (c.status === 'running') return
  const project = c.labels?.[LABELS.project]
  const plan = project ? readPlanRecord(ctx.stateRoot, project, c.name) : undefined
  if (!project || !plan || !shouldRestart(plan.service.restart, c.exitCode, plan.restartCount)) return
  await sleep(backoffMs(plan.restartCount))
  if (stopRequested(ctx.stateRoot, id)) return
  await startAgain(ctx, { info: c, service: plan.service.name, number: plan.number, oneoff: false }, plan.restartCount + 1)
}
