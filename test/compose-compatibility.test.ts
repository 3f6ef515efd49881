// compose --compatibility (or COMPOSE_COMPATIBILITY, from the shell or the
// project's .env): Docker Compose v1's names, `_` in place of `-` in those
// compose makes: containers (p_web_1), one-offs (p_web_run_ID), built images
// (p_web), the link names on the default bridge (db_1, p_db_1), the log
// prefixes (web_1); down --rmi local finds the image by that name, with a
// file and without one (-p alone); as root, in a network namespace of the
// test's own (helpers/netns.ts).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose --compatibility: Docker Compose v1\'s names (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  const made: [string, string][] = []
  const mr = (args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args], { timeout: 120_000, ...o })
  /** A project directory with its compose.yaml (and a .env when given). */
  const project = (name: string, yaml: string, dotenv?: string) => {
    const dir = join(env.dir, name)
    mkdirSync(join(dir, 'web'), { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    writeFileSync(join(dir, 'web', 'Dockerfile'), `FROM ${BUSYBOX}\nCMD ["sh", "-c", "echo up-v1; exec sleep 1000"]\n`)
    if (dotenv !== undefined) writeFileSync(join(dir, '.env'), dotenv)
    made.push([name, dir])
    return (args: string[], o: { env?: NodeJS.ProcessEnv } = {}) => mr(['compose', '-p', name, ...args], { cwd: dir, ...o })
  }
  const service = (name: string, lines: string[]) => [`  ${name}:`, `    cgroup_parent: ${env.cgroupParent}`, '    network_mode: bridge', '    init: true', ...lines]
  const images = () => mr(['images', '--format', '{{.Repository}}']).stdout.split('\n').filter(Boolean).sort()
  const names = () => mr(['ps', '-a', '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort()

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
  })
  afterAll(() => {
    for (const [name, dir] of made) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '--compatibility', '-p', name, 'down', '-t', '0'], { cwd: dir })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('names containers, one-offs, built images, links and log prefixes with _; down --rmi local removes the image it built', () => {
    const c = project('p', ['services:', ...service('db', [`    image: ${BUSYBOX}`, '    command: sleep 1000']), ...service('web', ['    build: ./web', '    links: [db]']), ''].join('\n'))
    const up = c(['--compatibility', 'up', '-d'])
    expect(up.status, up.stderr).toBe(0)
    expect(up.stderr).toMatch(/^ Container p_db_1 {2}Started$/m)
    expect(up.stderr).toMatch(/^ Container p_web_1 {2}Started$/m)
    expect(names()).toEqual(['p_db_1', 'p_web_1'])
    expect(images()).toContain('p_web')
    expect(c(['--compatibility', 'config', '--images']).stdout.split('\n').filter(Boolean).sort()).toEqual([BUSYBOX, 'p_web'])
    // docker compose's getLinks on the default bridge: the alias, SERVICE_N and PROJECT_SERVICE_N
    const hosts = c(['exec', 'web', 'cat', '/etc/hosts']).stdout.split('\n').filter((l) => l.includes('p_db_1')).map((l) => l.split('\t')[1]!.replace(/ [0-9a-f]{12}( |$)/, ' ID$1'))
    expect(hosts).toEqual(['db ID p_db_1', 'db_1 ID p_db_1', 'p_db_1 ID'])
    expect(c(['--compatibility', 'logs', 'web']).stdout).toMatch(/^web_1 +\| up-v1$/m)
    const oneoff = c(['--compatibility', 'run', '-d', 'web', 'sleep', '1000'])
    expect(oneoff.status, oneoff.stderr).toBe(0)
    expect(oneoff.stdout).toMatch(/^p_web_run_[0-9a-f]{12}\n$/)
    expect(names()).toEqual(['p_db_1', oneoff.stdout.trim(), 'p_web_1'].sort())
    const down = c(['--compatibility', 'down', '-t', '0', '--rmi', 'local'])
    expect(down.status, down.stderr).toBe(0)
    expect(down.stderr).toMatch(/^ Image p_web {2}Removed$/m)
    expect(names()).toEqual([])
    expect(images()).not.toContain('p_web')
  })

  it('COMPOSE_COMPATIBILITY in the project\'s .env does the same; in the shell, a down by -p alone (no file) finds the image by its name', () => {
    const c = project('q', ['services:', ...service('web', ['    build: ./web']), ''].join('\n'), 'COMPOSE_COMPATIBILITY=1\n')
    expect(c(['up', '-d']).status).toBe(0)
    expect(names()).toEqual(['q_web_1'])
    expect(images()).toContain('q_web')
    // no compose file where down runs: the project is its containers' labels
    const elsewhere = join(env.dir, 'elsewhere')
    mkdirSync(elsewhere, { recursive: true })
    const down = mr(['compose', '-p', 'q', 'down', '-t', '0', '--rmi', 'local'], { cwd: elsewhere, env: { ...process.env, COMPOSE_COMPATIBILITY: 'true' } })
    expect(down.status, down.stderr).toBe(0)
    expect(down.stderr).toMatch(/^ Container q_web_1 {2}Removed$/m)
    expect(down.stderr).toMatch(/^ Image q_web {2}Removed$/m)
    expect(images()).not.toContain('q_web')
  })
})
