// compose as root, in a network namespace of the test's own: a file with a
// value run would refuse fails `up` at load with one line naming the
// service and key, and a container refused only when it is made (a user
// its image lacks) makes `up`, `create` and `run` remove what they made.
// Either way no network, volume, container, veth or firewall rule of the
// project is left.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findHelper } from '../src/network/netavark.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose: a file with an error leaves nothing behind (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let n = 0
  let baseline: { links: string[]; rules: string[] }
  const mr = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args], { timeout: 120_000 })
  /** A project of its own: a and b, a named volume; b has these lines more. */
  const project = (bLines: string) => {
    const name = `bad${++n}`
    const dir = join(env.dir, name)
    mkdirSync(dir, { recursive: true })
    const service = `    image: ${BUSYBOX}\n    command: [sleep, "100"]\n    init: true\n    cgroup_parent: \${CG}\n`
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  a:\n${service}    volumes: [data:/data]\n  b:\n${service}    depends_on: [a]\n${bLines}volumes:\n  data:\n`)
    const compose = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', name, ...args], { cwd: dir, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
    return { name, compose }
  }
  const names = (args: string[]) => mr(args).stdout.split('\n').filter(Boolean)
  /** What is there of a project: its networks, volumes and containers. */
  const leftOf = (name: string) => [
    ...names(['network', 'ls', '--format', '{{.Name}}']).filter((x) => x.startsWith(`${name}_`)).map((x) => `network ${x}`),
    ...names(['volume', 'ls', '-q']).filter((x) => x.startsWith(`${name}_`)).map((x) => `volume ${x}`),
    ...names(['ps', '-a', '--format', '{{.Names}}']).filter((x) => x.startsWith(`${name}-`)).map((x) => `container ${x}`),
  ]
  const expectNothingLeft = (name: string) => {
    expect(leftOf(name)).toEqual([])
    expect(ns.snapshot()).toEqual(baseline)
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    // netavark's own chains stay once it has run: the baseline is after one up and down
    const warm = project('')
    expect(warm.compose(['up', '-d']).status).toBe(0)
    expect(warm.compose(['down', '-v', '-t', '1']).status).toBe(0)
    baseline = ns.snapshot()
  })
  afterAll(() => {
    for (let i = 1; i <= n; i++) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `bad${i}`, 'down', '-v', '-t', '1'], { cwd: join(env.dir, `bad${i}`) })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  // [b's line more, the key the one line names]
  const badValues: [string, string][] = [
    ['cap_add: [BOGUS]', 'cap_add[0]'],
    ['mac_address: zz', 'mac_address'],
    ['dns: [notanip]', 'dns[0]'],
    ['sysctls: {foo.bar: 1}', 'sysctls.foo.bar'],
    ['ulimits: {nofilex: 1}', 'ulimits.nofilex'],
    ['devices: [/nonexistent/dev]', 'devices[0]'],
    ['security_opt: [bogus]', 'security_opt[0]'],
    ['tmpfs: ["/x:bogus"]', 'tmpfs[0]'],
    ['shm_size: 0', 'shm_size'],
    ['mem_limit: 1k', 'mem_limit'],
    ['cpus: 100000', 'cpus'],
    ['stop_signal: SIGFOO', 'stop_signal'],
    ['user: "99999999999999"', 'user'],
    ['working_dir: rel', 'working_dir'],
    ['pid: bogus', 'pid'],
    ['logging: {options: {max-size: zz}}', 'logging.options.max-size'],
  ]
  it.each(badValues)('%s: up fails at load, in one line naming services.b.%s, and makes nothing', (lines, key) => {
    const p = project(`    ${lines}\n`)
    const r = p.compose(['up', '-d'])
    expect(r.status).toBe(1)
    expect(r.stderr.split('\n')).toEqual([expect.stringMatching(new RegExp(`^mini-run: compose\\.yaml: services\\.b\\.${key.replace(/[.[\]]/g, '\\$&')}: \\S`)), ''])
    expectNothingLeft(p.name)
  })

  it('a container refused only when it is made: up removes the networks and containers it made, keeps a volume one of them ran with, and ends with the one line', () => {
    const p = project('    user: nosuchuser\n')
    const r = p.compose(['up', '-d', '-t', '1'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/ Container bad\d+-a-1 {2}Started\n/)
    expect(r.stderr).toMatch(/\nmini-run: compose\.yaml: services\.b: unable to find user nosuchuser: no matching entries in passwd file\n$/)
    // a ran with the volume, and may have written to it: it stays, said, for down -v (Docker Compose never removes a volume unasked)
    expect(r.stderr).toContain(`volume ${p.name}_data is kept: a container ran with it (compose down -v removes it)`)
    expect(leftOf(p.name)).toEqual([`volume ${p.name}_data`])
    expect(p.compose(['down', '-v']).status).toBe(0)
    expectNothingLeft(p.name)
    // create: nothing ran, nothing stays
    const c = p.compose(['create'])
    expect(c.status).toBe(1)
    expect(c.stderr).toMatch(/\nmini-run: compose\.yaml: services\.b: unable to find user nosuchuser/)
    expectNothingLeft(p.name)
    // run: the dependencies it started go too, the volume they ran with stays
    const one = p.compose(['run', '--rm', 'b', 'true'])
    expect(one.status).toBe(1)
    expect(one.stderr).toMatch(/ Container bad\d+-a-1 {2}Started\n/)
    expect(one.stderr).toMatch(/\nmini-run: unable to find user nosuchuser/)
    expect(leftOf(p.name)).toEqual([`volume ${p.name}_data`])
    expect(p.compose(['down', '-v']).status).toBe(0)
    expectNothingLeft(p.name)
  })

  it('a volume a started container wrote to survives the undo of a failed up', () => {
    const p = project('')
    // a writes to its volume, and is healthy once it has
    writeFileSync(
      join(env.dir, p.name, 'compose.yaml'),
      `services:\n  a:\n    image: ${BUSYBOX}\n    command: [sh, -c, "echo imported > /data/dump; exec sleep 100"]\n    init: true\n    cgroup_parent: \${CG}\n    volumes: [data:/data]\n` +
        `    healthcheck: {test: [CMD, test, -f, /data/dump], interval: 200ms, retries: 100}\n` +
        `  b:\n    image: ${BUSYBOX}\n    command: [sleep, "100"]\n    user: nosuchuser\n    cgroup_parent: \${CG}\n    depends_on: {a: {condition: service_healthy}}\nvolumes:\n  data:\n`,
    )
    const r = p.compose(['up', '-d', '-t', '1'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/services\.b: unable to find user nosuchuser/)
    expect(leftOf(p.name)).toEqual([`volume ${p.name}_data`])
    const read = mr(['run', '--rm', '--network', 'none', '--cgroup-parent', env.cgroupParent, '-v', `${p.name}_data:/data`, BUSYBOX, 'cat', '/data/dump'])
    expect([read.status, read.stdout]).toEqual([0, 'imported\n'])
    expect(p.compose(['down', '-v']).status).toBe(0)
    expectNothingLeft(p.name)
  })

  it('a dependency that fails its condition keeps what started, as Docker Compose: its logs are what the user reads next', () => {
    const p = project('')
    writeFileSync(
      join(env.dir, p.name, 'compose.yaml'),
      `services:\n  a:\n    image: ${BUSYBOX}\n    command: [sh, -c, "echo migration failed; exit 3"]\n    cgroup_parent: \${CG}\n` +
        `  b:\n    image: ${BUSYBOX}\n    command: [sleep, "100"]\n    init: true\n    cgroup_parent: \${CG}\n    depends_on: {a: {condition: service_completed_successfully}}\n`,
    )
    const r = p.compose(['up', '-d', '-t', '1'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/\nmini-run: compose\.yaml: services\.b\.depends_on\.a: service "a" did not complete successfully: exit 3\n$/)
    expect(leftOf(p.name)).toEqual([`network ${p.name}_default`, `container ${p.name}-a-1`])
    expect(p.compose(['logs', 'a']).stdout).toContain('migration failed')
    expect(p.compose(['down', '-t', '1']).status).toBe(0)
    expectNothingLeft(p.name)
  })

  it('only what this up made goes: the network, volume and container an earlier up made stay', () => {
    const p = project('    user: nosuchuser\n')
    expect(p.compose(['up', '-d', 'a']).status).toBe(0)
    const before = leftOf(p.name)
    expect(before).toEqual([`network ${p.name}_default`, `volume ${p.name}_data`, `container ${p.name}-a-1`])
    const r = p.compose(['up', '-d', '-t', '1'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/services\.b: unable to find user nosuchuser/)
    expect(leftOf(p.name)).toEqual(before)
    expect(names(['ps', '--format', '{{.Names}}'])).toContain(`${p.name}-a-1`)
    expect(p.compose(['down', '-v', '-t', '1']).status).toBe(0)
    expectNothingLeft(p.name)
  })
})
