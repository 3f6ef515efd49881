// compose without root: the restart policy's decisions, the order down
// stops containers in, and the prefixes of logs.
import { describe, expect, it } from 'vitest'
import { stopOrder } from '../src/compose/down.js'
import type { Project } from '../src/compose/model.js'
import type { ServiceContainer } from '../src/compose/project-containers.js'
import { LinePrefixer } from '../src/compose/project-logs.js'
import { backoffMs, shouldRestart } from '../src/compose/restart-policy.js'

describe('compose: restart policies', () => {
  it('as Docker decides: always and unless-stopped always, on-failure after a failure up to N times, no never', () => {
    expect(shouldRestart({ name: 'no' }, 1, 0)).toBe(false)
    expect(shouldRestart({ name: 'always' }, 0, 100)).toBe(true)
    expect(shouldRestart({ name: 'unless-stopped' }, 0, 0)).toBe(true)
    expect(shouldRestart({ name: 'on-failure' }, 0, 0)).toBe(false)
    expect(shouldRestart({ name: 'on-failure' }, 1, 50)).toBe(true)
    expect([0, 1, 2].map((n) => shouldRestart({ name: 'on-failure', maxRetries: 2 }, 3, n))).toEqual([true, true, false])
    expect(shouldRestart({ name: 'on-failure', maxRetries: 2 }, undefined, 0)).toBe(true)
  })
  it('the delay doubles from 100 ms, up to 10 s', () => {
    expect([0, 1, 2, 3, 10].map(backoffMs)).toEqual([100, 200, 400, 800, 10_000])
  })
})

describe('compose: down\'s order', () => {
  const dep = { condition: 'service_started' as const, required: true, restart: false }
  const project = { mainFile: 'compose.yaml', services: { web: { dependsOn: { db: dep } }, db: { dependsOn: {} }, worker: { dependsOn: { web: dep } } } } as unknown as Project
  const c = (service: string, oneoff = false) => ({ service, oneoff, number: 1, info: { name: service } }) as unknown as ServiceContainer
  it('one-off containers and orphans first, then dependents before what they depend on', () => {
    const order = stopOrder(project, [c('db'), c('web'), c('worker'), c('gone'), c('web', true)])
    expect(order.map((g) => g.map((x) => `${x.service}${x.oneoff ? '-run' : ''}`))).toEqual([['gone', 'web-run'], ['worker'], ['web'], ['db']])
  })
})

describe('compose: log prefixes', () => {
  it('each line once, padded; a line cut between chunks keeps one prefix; streams apart', () => {
    const p = new LinePrefixer(8, false)
    expect(p.format('a:out', 'web-1', 'one\ntw')).toBe('web-1    | one\nweb-1    | tw')
    expect(p.format('a:err', 'web-1', 'err\n')).toBe('web-1    | err\n')
    expect(p.format('a:out', 'web-1', 'o\nthree\n')).toBe('o\nweb-1    | three\n')
    expect(p.format('b:out', 'worker-1', 'x\n')).toBe('worker-1 | x\n')
  })
  it('coloured on a terminal, one colour a container', () => {
    const p = new LinePrefixer(5, true)
    const a = p.format('a', 'web-1', 'x\n')
    const b = p.format('b', 'db-1', 'y\n')
    expect(a).toBe('\x1b[36mweb-1 | \x1b[0mx\n')
    expect(b).toBe('\x1b[33mdb-1  | \x1b[0my\n')
    expect(p.format('c', 'web-1', 'z\n')).toBe('\x1b[36mweb-1 | \x1b[0mz\n')
  })
})
