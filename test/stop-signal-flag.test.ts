// `stop -s SIG` and `restart -s SIG` (Docker 23's StopOptions.Signal): the
// signal sent first instead of the container's StopSignal, SIGKILL after -t
// all the same. PID 1 gets no default action for a signal it has no handler
// for, so each container traps the signal it expects and exits with a code
// of its own: the code says which signal came (SIGKILL would give 137).
import { describe, expect, it } from 'vitest'
import { until } from './helpers/until.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'

// "ready" once the traps are set: a signal before that would find none
const TRAPS = 'trap "echo got-usr1; exit 5" USR1; trap "" TERM USR2; echo ready; while :; do sleep 0.1; done'

describe.skipIf(!isRoot)('stop -s and restart -s (needs root)', () => {
  const cli = useCliEnv()
  const { ok } = cli
  const state = (ref: string) => JSON.parse(ok(['inspect', ref]))[0].State
  const startTrapping = async (name: string) => {
    ok(['run', '-d', '--name', name, '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', TRAPS])
    await until(`${name} to set its traps`, () => cli.env.run(['logs', name]).stdout === 'ready\n')
  }

  it('stop -s sends that signal instead of SIGTERM', async () => {
    await startTrapping('s1')
    expect(ok(['stop', '-s', 'USR1', 's1'])).toBe('s1\n')
    expect(state('s1')).toMatchObject({ Status: 'exited', ExitCode: 5 })
    expect(ok(['logs', 's1'])).toBe('ready\ngot-usr1\n')
  })

  it('stop --signal takes a number, and SIGKILL still follows after -t', async () => {
    await startTrapping('s2')
    // 12 is SIGUSR2, which the container ignores
    expect(ok(['stop', '--signal', '12', '-t', '1', 's2'])).toBe('s2\n')
    expect(state('s2')).toMatchObject({ Status: 'exited', ExitCode: 137 })
  })

  it('stop -s refuses a name that is not a signal and leaves the container running', async () => {
    await startTrapping('s3')
    const bad = cli.env.run(['stop', '-s', 'SIGBOGUS', 's3'])
    expect(bad.stderr).toBe('mini-run: invalid signal: SIGBOGUS\n')
    expect(bad.status).toBe(1)
    expect(state('s3')).toMatchObject({ Status: 'running' })
  })

  it('restart -s stops with that signal, then starts the container again', async () => {
    await startTrapping('r1')
    expect(ok(['restart', '-s', 'SIGUSR1', 'r1'])).toBe('r1\n')
    expect(state('r1')).toMatchObject({ Status: 'running' })
    await until('r1 to start again', () => cli.env.run(['logs', 'r1']).stdout === 'ready\ngot-usr1\nready\n')
  })
})
