// compose without root: the order down stops containers in, and the
// prefixes of logs.
import { describe, expect, it } from 'vitest'
import { stopOrder } from '../src/compose/down.js'
import type { Project } from '../src/compose/model.js'
import type { ServiceContainer } from '../src/compose/project-containers.js'
import { LinePrefixer } from '../src/compose/project-logs.js'

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
