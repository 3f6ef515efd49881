// Whether an exited container shows as Restarting: only while its restart
// handler (the monitor's exit command, alive) will start it again, as the
// handler decides (restart-policy.ts decideRestart). The handler stands in
// here as this test's own process: monitorAlive({ exitCommand: true }) asks
// only that the pid lives and started no later than the container.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { inspectState } from '../src/runtime/container/containers.js'
import type { ContainerState, RestartPolicy } from '../src/runtime/container/state.js'

const stateRoot = mkdtempSync(join(tmpdir(), 'mini-run-restarting-'))
afterAll(() => rmSync(stateRoot, { recursive: true, force: true }))

const exited = (restartPolicy: RestartPolicy | undefined, exitCode: number, more: Partial<ContainerState> = {}): ContainerState =>
  ({
    id: 'a'.repeat(64),
    name: 'r',
    status: 'exited',
    created: new Date().toISOString(),
    exitCode,
    finishedAt: new Date().toISOString(),
    monitorPid: process.pid,
    ...(restartPolicy && { restartPolicy }),
    ...more,
  }) as unknown as ContainerState

describe('restarting, as inspect and ps show it', () => {
  it('is what the restart handler will do: always and unless-stopped, on-failure of a failure with retries left', () => {
    const restarting = (p: RestartPolicy | undefined, code: number, more?: Partial<ContainerState>) => inspectState(stateRoot, exited(p, code, more)).restarting
    expect(restarting({ name: 'always', maximumRetryCount: 0 }, 0)).toBe(true)
    expect(restarting({ name: 'unless-stopped', maximumRetryCount: 0 }, 3)).toBe(true)
    expect(restarting({ name: 'on-failure', maximumRetryCount: 2 }, 1, { restartCount: 1 })).toBe(true)
    // what it will not restart: on-failure's success, its retries spent, a stop by the user, no policy
    expect(restarting({ name: 'on-failure', maximumRetryCount: 2 }, 0)).toBe(false)
    expect(restarting({ name: 'on-failure', maximumRetryCount: 2 }, 1, { restartCount: 2 })).toBe(false)
    expect(restarting({ name: 'always', maximumRetryCount: 0 }, 137, { stoppedByUser: true })).toBe(false)
    expect(restarting({ name: 'no', maximumRetryCount: 0 }, 1)).toBe(false)
    expect(restarting(undefined, 1)).toBe(false)
    // with no handler alive there is nothing restarting it
    expect(inspectState(stateRoot, exited({ name: 'always', maximumRetryCount: 0 }, 0, { monitorPid: 2 ** 22 + 1 })).restarting).toBe(false)
  })
})
