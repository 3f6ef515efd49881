// compose's network_mode service:NAME and container:NAME as root, in a
// network namespace of the test's own (helpers/netns.ts): web joins db's
// network (db starts first, web reaches db's 127.0.0.1 and has its
// hostname), a sidecar joins a container made outside the project, and
// down leaves nothing.
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

const STACK = `
services:
  web:
    image: ${BUSYBOX}
    network_mode: service:db
    command: ${command(CLIENT)}
    init: true
    cgroup_parent: \${CG}
  db:
    image: ${BUSYBOX}
    command: ${command(SERVER)}
    init: true
    cgroup_parent: \${CG}
  sidecar:
    image: ${BUSYBOX}
    network_mode: container:outside
    command: ${command(CLIENT)}
    init: true
    cgroup_parent: \${CG}
`

describe.skipIf(!isRoot || !netavark)('compose: network_mode service: and container: (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let dir: string
  const mr = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  const compose = (args: string[]) =>
    ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'nm', ...args], { cwd: dir, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
  const inspect = (ref: string) => JSON.parse(mr(['inspect', ref]).stdout)[0] as { Id: string; HostConfig: { NetworkMode: string } }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    dir = join(env.dir, 'nm')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), STACK)
  })
  afterAll(() => {
    if (ns && env) {
      compose(['down', '-v'])
      mr(['rm', '-f', 'outside'])
    }
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('web joins db\'s network after db starts; the sidecar joins a container of its own name; down leaves nothing', async () => {
    const linksBefore = ns.snapshot().links
    const outside = mr(['run', '-d', '--name', 'outside', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', SERVER])
    expect([outside.status, outside.stderr]).toEqual([0, ''])

    const up = compose(['up', '-d'])
    expect(up.stderr).not.toMatch(/mini-run: /)
    expect(up.status).toBe(0)
    // db is started before web: web's implied depends_on
    const started = up.stderr.split('\n').filter((l) => /Started/.test(l)).map((l) => /nm-(\w+)-1/.exec(l)?.[1])
    expect(started.indexOf('db')).toBeLessThan(started.indexOf('web'))

    const db = inspect('nm-db-1').Id
    expect(inspect('nm-web-1').HostConfig.NetworkMode).toBe(`container:${db}`)
    expect(inspect('nm-sidecar-1').HostConfig.NetworkMode).toBe(`container:${inspect('outside').Id}`)
    const logs = (service: string) => compose(['logs', '--no-log-prefix', service]).stdout
    await until('web\'s answer', () => logs('web').includes('web got'))
    expect(logs('web')).toBe(`web got: db on ${db.slice(0, 12)} from ${db.slice(0, 12)}\n`)
    await until('the sidecar\'s answer', () => logs('sidecar').includes('web got'))
    const out = inspect('outside').Id.slice(0, 12)
    expect(logs('sidecar')).toBe(`web got: db on ${out} from ${out}\n`)

    const down = compose(['down'])
    expect(down.status).toBe(0)
    expect(mr(['rm', '-f', 'outside']).status).toBe(0)
    expect(mr(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.leftovers()).toEqual([])
    expect(ns.snapshot().links.filter((l) => l.startsWith('veth'))).toEqual(linksBefore.filter((l) => l.startsWith('veth')))
  })

  it('network_mode service: with ports is refused in Docker\'s words; up removes what it made (undo-made.ts)', () => {
    const bad = join(env.dir, 'bad')
    mkdirSync(bad, { recursive: true })
    writeFileSync(join(bad, 'compose.yaml'), `services:\n  db:\n    image: ${BUSYBOX}\n    command: ${command(SERVER)}\n    init: true\n    cgroup_parent: \${CG}\n  web:\n    image: ${BUSYBOX}\n    network_mode: service:db\n    ports: ["8080:80"]\n    command: sleep 1000\n    cgroup_parent: \${CG}\n`)
    const r = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'bad', 'up', '-d'], { cwd: bad, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/ Container bad-db-1 {2}Removed\n Network bad_default {2}Removing\n Network bad_default {2}Removed\nmini-run: .*conflicting options: port publishing and the container type network mode/)
    expect(mr(['ps', '-a', '-q']).stdout).toBe('')
    expect(mr(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toContain('bad_default')
    const down = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'bad', 'down', '-v'], { cwd: bad, env: { ...process.env, CG: env.cgroupParent } })
    expect([down.status, down.stderr]).toEqual([0, ''])
  })
})
