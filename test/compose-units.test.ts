// compose without root: a service as RunOptions (its restart policy and
// networks), the order down stops containers in, the prefixes of logs, and
// `compose version`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMPOSE_VERSION } from '../src/compose/labels.js'
import { miniRunVersion } from '../src/version.js'
import { miniRun } from './helpers/cli.js'
import { restartDependents } from '../src/compose/dependency-order.js'
import { stopOrder } from '../src/compose/down.js'
import type { Project, Service } from '../src/compose/model.js'
import type { ServiceContainer } from '../src/compose/project-containers.js'
import { LinePrefixer } from '../src/compose/project-logs.js'
import { runOptionsOfPlan, type ContainerPlan } from '../src/compose/service-container.js'

describe('compose: a service as the runtime\'s RunOptions', () => {
  const service = {
    name: 'web', image: 'busybox', environment: { A: '1' }, ports: ['8080:80'], volumes: [], volumesFrom: [], tmpfs: [], dependsOn: {},
    healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 }, restart: { name: 'on-failure', maximumRetryCount: 3 }, replicas: 1,
    capAdd: [], capDrop: [], securityOpt: [], groupAdd: [], ulimits: [], logOpts: [], dns: [], dnsSearch: [], dnsOpt: [], extraHosts: [], labels: {},
    networks: {}, init: false, readOnly: false, tty: false, stdinOpen: false,
  } as unknown as Service
  const plan: ContainerPlan = {
    project: { name: 'p', workingDir: '/p', files: ['/p/compose.yaml'] },
    service,
    number: 1,
    imageId: 'sha256:' + '0'.repeat(64),
    networks: [{ key: 'default', name: 'p_default', aliases: [] }, { key: 'back', name: 'p_back', aliases: ['api'], ip: '10.9.0.5' }],
    volumeNames: {},
  }
  const ctx = { storeRoot: '/s', stateRoot: '/r', selfCommand: ['node', '--', 'mini-run.cjs', '--root', '/s', '--state', '/r'] }

  it('its restart policy is the container\'s --restart, carried out by the one exit command of every detached container', () => {
    const o = runOptionsOfPlan(ctx, plan, true)
    expect(o.restart).toEqual({ name: 'on-failure', maximumRetryCount: 3 })
    expect(o.detach?.exitCommand?.('ID')).toEqual([...ctx.selfCommand, 'internal', 'cleanup', 'ID'])
    expect(o.healthCommand?.('ID')).toEqual([...ctx.selfCommand, 'internal', 'health', 'ID'])
    expect(o.healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 1e9 })
    expect(runOptionsOfPlan(ctx, { ...plan, service: { ...service, restart: { name: 'no', maximumRetryCount: 0 } } }, true).restart).toBeUndefined()
  })

  it('the first network is --network; the others are joined at the same start, with the service\'s name', () => {
    const o = runOptionsOfPlan(ctx, plan, true)
    expect(o.network).toBe('p_default')
    expect(o.networkFlags?.aliases).toEqual(['web'])
    expect(o.networkFlags?.moreNetworks).toEqual([{ name: 'p_back', aliases: ['web', 'api'], ip: '10.9.0.5' }])
    expect(o.labels).toMatchObject({ 'com.docker.compose.project': 'p', 'com.docker.compose.service': 'web' })
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

describe('compose: restart\'s dependents', () => {
  const dep = (restart: boolean) => ({ condition: 'service_started' as const, required: true, restart })
  const services = { db: { dependsOn: {} }, web: { dependsOn: { db: dep(true) } }, proxy: { dependsOn: { web: dep(true) } }, worker: { dependsOn: { db: dep(false) } } }
  it('those that depend with restart: true, through each other; not those with restart: false', () => {
    expect(restartDependents(services, new Set(['db']))).toEqual(['proxy', 'web'])
    expect(restartDependents(services, new Set(['web']))).toEqual(['proxy'])
    expect(restartDependents(services, new Set(['worker']))).toEqual([])
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

describe('compose version', () => {
  it('the Compose version followed, as docker compose prints its own; no compose file is read', () => {
    // a directory whose compose file does not load: version does not read it
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-compose-version-'))
    try {
      writeFileSync(join(dir, 'compose.yaml'), 'services: [not, a, map]\n')
      const run = (args: string[]) => miniRun(['compose', 'version', ...args], { cwd: dir })
      expect(run([])).toMatchObject({ status: 0, stdout: `mini-run compose version v${COMPOSE_VERSION} (mini-run ${miniRunVersion()})\n`, stderr: '' })
      expect(run(['--short'])).toMatchObject({ status: 0, stdout: `${COMPOSE_VERSION}\n` })
      expect(COMPOSE_VERSION).toMatch(/^2\.\d+\.\d+$/)
      expect(run(['--format', 'json'])).toMatchObject({ status: 0, stdout: `{"version":"v${COMPOSE_VERSION}"}\n` })
      expect(run(['-f', 'yaml'])).toMatchObject({ status: 1, stdout: '', stderr: 'mini-run: invalid --format "yaml": pretty or json\n' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
