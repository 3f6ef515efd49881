// compose up recreates the services joined to a recreated one, as root, in
// a network namespace of the test's own (helpers/netns.ts): web
// (network_mode: service:db) and files (volumes_from: [db]) are made from
// db's first container, by id; when up replaces db (its environment
// changed, or --force-recreate db) they are replaced too, and web reaches
// the new db over 127.0.0.1. An up with nothing changed replaces nothing.
// compose restart db restarts web after it (network_mode: service:
// implies depends_on's restart: true), so web joins db's new namespace.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
/** httpd on 127.0.0.1:5000 only, and a client that asks it (polled) then stays: shell lines. */
const SERVER = 'mkdir -p /www && echo "db on $(hostname)" > /www/index.html && exec httpd -f -p 127.0.0.1:5000 -h /www'
const CLIENT = 'for i in $(seq 100); do r=$(printf \'GET / HTTP/1.0\\r\\n\\r\\n\' | nc 127.0.0.1 5000 2>/dev/null | tail -n 1); [ -n "$r" ] && break; sleep 0.1; done; echo "web got: $r from $(hostname)"; exec sleep 1000'
/** A compose command: JSON is YAML, and $ is escaped from interpolation. */
const command = (script: string) => JSON.stringify(['sh', '-c', script.replaceAll('$', () => '$$')])

const stack = (version: string) => `
services:
  db:
    image: ${BUSYBOX}
    command: ${command(SERVER)}
    environment:
      VERSION: "${version}"
    volumes: ["/data"]
    init: true
    cgroup_parent: \${CG}
  web:
    image: ${BUSYBOX}
    network_mode: service:db
    command: ${command(CLIENT)}
    init: true
    cgroup_parent: \${CG}
  files:
    image: ${BUSYBOX}
    volumes_from: [db]
    command: ["sleep", "1000"]
    init: true
    cgroup_parent: \${CG}
`

describe.skipIf(!isRoot || !netavark)('compose: up recreates what joins a recreated container (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let dir: string
  const mr = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  const compose = (args: string[]) =>
    ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'rj', ...args], { cwd: dir, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
  const inspect = (ref: string) => JSON.parse(mr(['inspect', ref]).stdout)[0] as { Id: string; HostConfig: { NetworkMode: string } }
  const ids = () => ({ db: inspect('rj-db-1').Id, web: inspect('rj-web-1').Id, files: inspect('rj-files-1').Id })
  const upOk = (args: string[]) => {
    const r = compose(['up', '-d', ...args])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
  }
  /** web is in db's network: it has db's hostname and reaches db's 127.0.0.1. */
  const webReachesDb = async (db: string) => {
    expect(inspect('rj-web-1').HostConfig.NetworkMode).toBe(`container:${db}`)
    const logs = () => compose(['logs', '--no-log-prefix', 'web']).stdout
    await until('web\'s answer', () => logs().includes('web got'))
    expect(logs()).toBe(`web got: db on ${db.slice(0, 12)} from ${db.slice(0, 12)}\n`)
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    dir = join(env.dir, 'rj')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), stack('1'))
  })
  afterAll(() => {
    if (ns && env) compose(['down', '-v'])
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('db\'s environment changed, then up --force-recreate db: web and files are recreated with db, web reaches the new db; restart db restarts web', async () => {
    upOk([])
    const first = ids()
    await webReachesDb(first.db)

    // the same file again: nothing is replaced
    upOk([])
    expect(ids()).toEqual(first)

    writeFileSync(join(dir, 'compose.yaml'), stack('2'))
    upOk([])
    const second = ids()
    expect(second.db).not.toBe(first.db)
    expect(second.web).not.toBe(first.web)
    expect(second.files).not.toBe(first.files)
    await webReachesDb(second.db)

    upOk(['--force-recreate', 'db'])
    const third = ids()
    expect(third.db).not.toBe(second.db)
    expect(third.web).not.toBe(second.web)
    expect(third.files).not.toBe(second.files)
    await webReachesDb(third.db)
    // files still has db's volume: its anonymous volume was kept across the recreations
    expect(mr(['exec', 'rj-files-1', 'sh', '-c', 'grep -c " /data " /proc/mounts']).stdout.trim()).toBe('1')

    // restart db: web (network_mode: service:db implies restart: true) starts again after db, in db's new network namespace
    const restart = compose(['restart', 'db'])
    expect([restart.status, restart.stderr]).toEqual([0, expect.stringContaining('rj-web-1')])
    expect(ids()).toEqual(third)
    const answer = `web got: db on ${third.db.slice(0, 12)} from ${third.db.slice(0, 12)}\n`
    const logs = () => compose(['logs', '--no-log-prefix', 'web']).stdout
    await until('web\'s second answer', () => logs().split('web got').length === 3)
    expect(logs()).toBe(answer + answer)
    // restart --no-deps db: db alone, web left as it was (as docker compose's restart --no-deps)
    const alone = compose(['restart', '--no-deps', 'db'])
    expect([alone.status, alone.stderr.includes('rj-web-1')]).toEqual([0, false])

    const down = compose(['down', '-v'])
    expect(down.status).toBe(0)
    expect(mr(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.leftovers()).toEqual([])
  })

  it('up replaces db (its environment changed): app, depends_on db with restart: true, is stopped before and started after it, the same container; other, without, and front, restart: true on app, which is not replaced, are left running', async () => {
    const file = (version: string) => `
services:
  db:
    image: ${BUSYBOX}
    command: ["sleep", "1000"]
    environment:
      VERSION: "${version}"
    init: true
    cgroup_parent: \${CG}
  app:
    image: ${BUSYBOX}
    command: ${command('echo "app started"; exec sleep 1000')}
    depends_on:
      db: { condition: service_started, restart: true }
    init: true
    cgroup_parent: \${CG}
  other:
    image: ${BUSYBOX}
    command: ${command('echo "other started"; exec sleep 1000')}
    depends_on: [db]
    init: true
    cgroup_parent: \${CG}
  front:
    image: ${BUSYBOX}
    command: ${command('echo "front started"; exec sleep 1000')}
    depends_on:
      app: { condition: service_started, restart: true }
    init: true
    cgroup_parent: \${CG}
`
    const state = (ref: string) => JSON.parse(mr(['inspect', ref]).stdout)[0] as { Id: string; State: { StartedAt: string; Running: boolean } }
    const starts = (service: string) => compose(['logs', '--no-log-prefix', service]).stdout.split('\n').filter((l) => l.endsWith('started')).length
    writeFileSync(join(dir, 'compose.yaml'), file('1'))
    upOk([])
    const before = { db: state('rj-db-1'), app: state('rj-app-1'), other: state('rj-other-1'), front: state('rj-front-1') }
    // nothing changed: nothing restarted
    upOk([])
    expect(state('rj-app-1').StartedAt).toBe(before.app.StartedAt)

    writeFileSync(join(dir, 'compose.yaml'), file('2'))
    const r = compose(['up', '-d'])
    // docker compose's order: the dependent stopped, the dependency replaced, the dependent started
    expect([r.status, r.stderr]).toEqual([0, expect.stringMatching(/rj-app-1 +Stopped[\s\S]*rj-db-1 +Recreate\b[\s\S]*rj-db-1 +Recreated[\s\S]*rj-app-1 +Started/)])
    const after = { db: state('rj-db-1'), app: state('rj-app-1'), other: state('rj-other-1'), front: state('rj-front-1') }
    expect(after.db.Id).not.toBe(before.db.Id)
    expect({ id: after.app.Id, running: after.app.State.Running }).toEqual({ id: before.app.Id, running: true })
    expect(after.app.State.StartedAt > after.db.State.StartedAt).toBe(true)
    // its second run's line reaches the log once that run has printed it, maybe after up returned
    await until('app\'s second start in its log', () => starts('app') >= 2)
    expect(starts('app')).toBe(2)
    expect(after.other).toEqual(before.other)
    await until('other\'s start in its log', () => starts('other') >= 1)
    expect(starts('other')).toBe(1)
    // app was restarted, not replaced: its own restart: true dependent is left alone, as docker compose leaves it
    expect(after.front).toEqual(before.front)
    expect(compose(['down', '-v']).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  })
})
