// compose's pid and ipc service:NAME as root: debug shares web's PID and
// IPC namespaces (web starts first, debug's ps lists web's process and its
// ls web's message queue), inspect and config say so, up --force-recreate
// web recreates debug too, into the new web's namespaces; down leaves nothing.
// web's start is no guarantee that its shell has made the queue and exec'd
// its sleep yet: debug looks (for up to 20 s) until both are there, then lists.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until } from './helpers/until.js'

/** A compose command: JSON is YAML, and $ is escaped from interpolation. */
const command = (script: string) => JSON.stringify(['sh', '-c', script.replaceAll('$', () => '$$')])

const STACK = `
services:
  debug:
    image: ${BUSYBOX}
    pid: service:web
    ipc: service:web
    network_mode: none
    command: ${command('for i in $(seq 200); do ps -o args | grep -qx "sleep 1000" && [ -e /dev/mqueue/webq ] && break; sleep 0.1; done; ps -o args; ls /dev/mqueue; echo listed; exec sleep 2000')}
    cgroup_parent: \${CG}
  web:
    image: ${BUSYBOX}
    network_mode: none
    command: ${command('touch /dev/mqueue/webq && exec sleep 1000')}
    cgroup_parent: \${CG}
    # its sleep is PID 1, which SIGTERM does not end: killed after 1 s rather than Docker's 10
    stop_grace_period: 1s
`

describe.skipIf(!isRoot)('compose: pid and ipc service: (needs root)', () => {
  let env: TestEnv
  let dir: string
  const compose = (args: string[]) => env.run(['compose', '-p', 'pi', ...args], { cwd: dir, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0] as { Id: string; HostConfig: { PidMode: string; IpcMode: string } }
  const logs = () => compose(['logs', '--no-log-prefix', 'debug']).stdout
  /** debug's output without its own processes (its shell, maybe caught forking, and ps): web's sleep, web's queue. */
  const seen = () => logs().split('\n').filter((l) => !l.includes('ps -o args'))

  beforeAll(async () => {
    env = await makeTestEnv()
    dir = join(env.dir, 'pi')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), STACK)
  })
  afterAll(() => {
    if (env) compose(['down', '-v'])
    env?.cleanup()
  })

  it('debug sees web\'s processes and message queues; config prints the keys; a recreated web takes debug along; down leaves nothing', async () => {
    const config = compose(['config'])
    expect(config.status).toBe(0)
    expect(config.stdout).toContain('    pid: service:web\n')
    expect(config.stdout).toContain('    ipc: service:web\n')

    const up = compose(['up', '-d'])
    expect(up.stderr).not.toMatch(/mini-run: /)
    expect(up.status).toBe(0)
    const started = up.stderr.split('\n').filter((l) => /Started/.test(l)).map((l) => /pi-(\w+)-1/.exec(l)?.[1])
    expect(started.indexOf('web')).toBeLessThan(started.indexOf('debug'))

    const web = inspect('pi-web-1').Id
    expect(inspect('pi-debug-1').HostConfig).toMatchObject({ PidMode: `container:${web}`, IpcMode: `container:${web}` })
    // its own line, not its shell's command line in the ps listing, which quotes it
    await until('debug\'s listing', () => /^listed$/m.test(logs()))
    expect(seen()).toEqual(['COMMAND', 'sleep 1000', 'webq', 'listed', ''])

    const recreate = compose(['up', '-d', '--force-recreate', 'web'])
    expect(recreate.status).toBe(0)
    const newWeb = inspect('pi-web-1').Id
    expect(newWeb).not.toBe(web)
    expect(inspect('pi-debug-1').HostConfig.PidMode).toBe(`container:${newWeb}`)
    await until('the new debug\'s listing', () => /^listed$/m.test(logs()))
    expect(seen()).toEqual(['COMMAND', 'sleep 1000', 'webq', 'listed', ''])

    const down = compose(['down'])
    expect(down.status).toBe(0)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.leftovers()).toEqual([])
  })
})
