// Health checks without root: Docker's rules for a result (streak, start
// period, retries), the schedule, the merge of the image's HEALTHCHECK with
// run's --health-* flags, and the flags themselves.
import { describe, expect, it } from 'vitest'
import { effectiveHealthcheck, healthCommand, healthSchedule } from '../src/runtime/health/health-config.js'
import { applyResult, initialHealth, nextDelay, type HealthLogEntry } from '../src/runtime/health/health-state.js'
import { healthFlags } from '../src/runtime/container/container-flags.js'
import { formatDuration, parseDuration } from '../src/duration.js'
import { failedCheck } from '../src/runtime/health/run-check.js'
import { KilledError } from '../src/runtime/process/exit-status.js'

const at = (ms: number, code: number): HealthLogEntry => ({ Start: new Date(ms).toISOString(), End: new Date(ms + 5).toISOString(), ExitCode: code, Output: '' })
const flags = (f: Record<string, unknown>) => ({ env: [], envFile: [], capAdd: [], capDrop: [], volume: [], mount: [], tmpfs: [], securityOpt: [], ulimit: [], logOpt: [], groupAdd: [], networkAlias: [], publish: [], dns: [], dnsSearch: [], dnsOption: [], addHost: [], ...f })

describe('health: a check that did not run to its own exit', () => {
  it('killed before it could start is 128+N, as one killed later; not executable 126/127; anything else -1; the reason its output', () => {
    const killed = new KilledError('sync with the child: the child was killed by SIGKILL (runtime step P4 of 4)', 9)
    expect(failedCheck(killed)).toEqual([137, 'sync with the child: the child was killed by SIGKILL (runtime step P4 of 4)'])
    expect(failedCheck(Object.assign(new Error('exec "nope": executable file not found in $PATH'), { exitCode: 127 }))).toEqual([127, 'exec "nope": executable file not found in $PATH'])
    expect(failedCheck(new Error('container abc is not running'))).toEqual([-1, 'container abc is not running'])
  })
})

describe('health: results', () => {
  const schedule = { retries: 3, startPeriodMs: 0 }
  it('a success is healthy and ends the streak; retries failures in a row make it unhealthy', () => {
    let h = initialHealth()
    expect(h).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] })
    h = applyResult(h, at(1000, 1), schedule, 0)
    h = applyResult(h, at(2000, 1), schedule, 0)
    expect(h).toMatchObject({ Status: 'starting', FailingStreak: 2 })
    h = applyResult(h, at(3000, 0), schedule, 0)
    expect(h).toMatchObject({ Status: 'healthy', FailingStreak: 0 })
    for (let i = 0; i < 2; i++) h = applyResult(h, at(4000 + i, 1), schedule, 0)
    expect(h).toMatchObject({ Status: 'healthy', FailingStreak: 2 })
    h = applyResult(h, at(5000, 1), schedule, 0)
    expect(h).toMatchObject({ Status: 'unhealthy', FailingStreak: 3 })
  })

  it('failures within the start period do not count while it is starting; the log keeps five results', () => {
    const s = { retries: 1, startPeriodMs: 10_000 }
    let h = initialHealth()
    for (let i = 0; i < 7; i++) h = applyResult(h, at(1000 * i, 1), s, 0)
    expect(h).toMatchObject({ Status: 'starting', FailingStreak: 0 })
    expect(h.Log).toHaveLength(5)
    expect(h.Log[4]!.Start).toBe(new Date(6000).toISOString())
    h = applyResult(h, at(11_000, 1), s, 0)
    expect(h).toMatchObject({ Status: 'unhealthy', FailingStreak: 1 })
  })

  it('checks come every start_interval while starting within the start period, then every interval', () => {
    const sched = healthSchedule({ Test: ['CMD', 'true'], Interval: 30e9, StartPeriod: 10e9, StartInterval: 1e9 })
    expect(nextDelay(initialHealth(), sched, 0, 5000)).toBe(1000)
    expect(nextDelay(initialHealth(), sched, 0, 11_000)).toBe(30_000)
    expect(nextDelay({ ...initialHealth(), Status: 'healthy' }, sched, 0, 5000)).toBe(30_000)
  })

  it('Docker\'s defaults: 30s interval and timeout, 3 retries, 5s start interval', () => {
    expect(healthSchedule({ Test: ['CMD-SHELL', 'curl -f localhost'] })).toEqual({
      command: ['/bin/sh', '-c', 'curl -f localhost'],
      intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, startIntervalMs: 5000, retries: 3,
    })
    expect(healthCommand(['CMD', 'test', '-f', '/x'])).toEqual(['test', '-f', '/x'])
  })
})

describe('health: configuration', () => {
  const image = { Test: ['CMD', 'true'], Interval: 10e9, Retries: 5 }
  it('run\'s flags replace the image\'s fields they name, and only those', () => {
    expect(effectiveHealthcheck(image, undefined)).toEqual(image)
    expect(effectiveHealthcheck(image, { Test: [], Interval: 2e9 })).toEqual({ Test: ['CMD', 'true'], Interval: 2e9, Retries: 5 })
    expect(effectiveHealthcheck(image, { Test: ['CMD-SHELL', 'false'] })).toEqual({ Test: ['CMD-SHELL', 'false'], Interval: 10e9, Retries: 5 })
    expect(effectiveHealthcheck(undefined, undefined)).toBeUndefined()
  })

  it('NONE and --no-healthcheck disable it: nothing runs', () => {
    expect(effectiveHealthcheck(image, { Test: ['NONE'] })).toBeUndefined()
    expect(effectiveHealthcheck({ Test: ['NONE'] }, undefined)).toBeUndefined()
    expect(healthFlags(flags({ noHealthcheck: true }))).toEqual({ Test: ['NONE'] })
  })

  it('--health-* flags as Docker reads them, bad values refused in one line', () => {
    expect(healthFlags(flags({}))).toBeUndefined()
    expect(healthFlags(flags({ healthCmd: 'test -f /ok', healthInterval: '1m30s', healthRetries: '2', healthStartPeriod: '500ms' }))).toEqual({
      Test: ['CMD-SHELL', 'test -f /ok'], Interval: 90e9, Retries: 2, StartPeriod: 5e8,
    })
    expect(() => healthFlags(flags({ healthInterval: '5 s' }))).toThrow(/--health-interval: invalid duration "5 s"/)
    expect(() => healthFlags(flags({ healthRetries: 'x' }))).toThrow(/--health-retries/)
    expect(() => healthFlags(flags({ noHealthcheck: true, healthCmd: 'true' }))).toThrow(/conflicts/)
    expect(() => effectiveHealthcheck(undefined, { Test: ['CMD'] })).toThrow(/no command/)
    expect(() => effectiveHealthcheck(undefined, { Test: ['SHELL', 'x'] })).toThrow(/CMD, CMD-SHELL or NONE/)
  })

  it('Go durations both ways', () => {
    expect(parseDuration('0')).toBe(0)
    expect(parseDuration('1h2m3.5s')).toBe(3723.5e9)
    expect(formatDuration(30e9)).toBe('30s')
    expect(formatDuration(90e9)).toBe('1m30s')
    expect(formatDuration(5e8)).toBe('500ms')
  })
})
