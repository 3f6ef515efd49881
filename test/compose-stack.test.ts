// compose as root, in a network namespace of the test's own
// (helpers/netns.ts): a web + db + worker stack whose web is built from a
// Dockerfile (busybox httpd with a CGI script that asks db), reached through
// its published port; the named volume across down/up and down -v; an
// idempotent up, and a changed environment recreating only its service;
// logs, ps with health, exec, run --rm, stop/start; a link's alias; a health check that
// starts failing; restart: on-failure:2; a file with an error making nothing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
const PORT = 18181

const STACK = `
services:
  web:
    build: ./web
    ports: ["\${WEB_PORT}:80"]
    environment:
      DB_HOST: db
    depends_on:
      db: {condition: service_healthy}
    init: true
    cgroup_parent: \${CG}
  db:
    image: ${BUSYBOX}
    command: ["sh", "-c", "[ -f /data/v ] || cat /proc/sys/kernel/random/uuid > /data/v; touch /tmp/ready; while true; do nc -l -p 5000 < /data/v; done"]
    volumes: ["dbdata:/data"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 300ms
      retries: 3
    init: true
    cgroup_parent: \${CG}
  worker:
    image: ${BUSYBOX}
    command: sh -c 'echo "worker got $$(nc database 5000 </dev/null)"; exec sleep 1000'
    # a link's alias: a name of db's on the network (compose/load.ts linkAliases)
    links: ["db:database"]
    environment: {MODE: one}
    volumes: ["/cache"]
    depends_on:
      db: {condition: service_healthy}
    init: true
    cgroup_parent: \${CG}
volumes:
  dbdata:
`

describe.skipIf(!isRoot || !netavark)('compose: a web + db + worker stack (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let dir: string
  let linksBefore: string[]
  const compose = (args: string[], where = dir) =>
    ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', ...args], { cwd: where, env: { ...process.env, CG: env.cgroupParent, WEB_PORT: String(PORT) }, timeout: 120_000 })
  const ok = (args: string[], where = dir) => {
    const r = compose(args, where)
    expect(r.stderr + r.stdout).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    return r
  }
  const ids = () => ok(['ps', '-q']).stdout.trim().split('\n').filter(Boolean).sort()
  const idOf = (service: string) => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', `p-${service}-1`]).stdout)[0]?.Id as string
  const page = async () => {
    let text = ''
    await until('the page through web', () => (text = ns.exec(['curl', '-s', '--max-time', '2', `http://127.0.0.1:${PORT}/cgi-bin/db`]).stdout.trim()).length >= 30, 20_000)
    return text
  }
  const volumes = () => ns.miniRun(['--root', env.storeRoot, 'volume', 'ls', '-q']).stdout.trim().split('\n').filter(Boolean)

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    dir = join(env.dir, 'p')
    mkdirSync(join(dir, 'web', 'cgi-bin'), { recursive: true })
    writeFileSync(join(dir, 'web', 'cgi-bin', 'db'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\nnc "$DB_HOST" 5000 </dev/null\n', { mode: 0o755 })
    writeFileSync(join(dir, 'web', 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY cgi-bin /www/cgi-bin\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n`)
    writeFileSync(join(dir, 'compose.yaml'), STACK)
    linksBefore = ns.snapshot().links
  })
  afterAll(() => {
    if (ns && env) compose(['down', '-v', '--remove-orphans'])
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('config prints the project as loaded: interpolated, long syntax, names given', () => {
    const config = ok(['-p', 'p', 'config']).stdout
    expect(config).toMatch(/^name: p\nservices:\n {2}db:\n/)
    expect(config).toContain(`      - mode: ingress\n        target: 80\n        published: "${PORT}"\n        protocol: tcp\n`)
    expect(config).toContain('volumes:\n  dbdata:\n    name: p_dbdata\n')
    expect(ok(['-p', 'p', 'config', '--services']).stdout).toBe('db\nweb\nworker\n')
    // the other listings of docker compose config, and -o
    expect(ok(['-p', 'p', 'config', '--networks']).stdout).toBe('default\n')
    expect(ok(['-p', 'p', 'config', '--images']).stdout).toBe(`${BUSYBOX}\np-web\n`)
    expect(ok(['-p', 'p', 'config', '--profiles']).stdout).toBe('')
    expect(ok(['-p', 'p', 'config', '--environment']).stdout).toMatch(new RegExp(`^WEB_PORT=${PORT}$`, 'm'))
    expect(ok(['-p', 'p', 'config', '-o', join(dir, 'out.yaml')]).stdout).toBe('')
    expect(readFileSync(join(dir, 'out.yaml'), 'utf8')).toBe(config)
    // services named: those and their dependencies, as docker compose config SERVICE... prints them
    expect(ok(['-p', 'p', 'config', '--services', 'web']).stdout).toBe('db\nweb\n')
    expect(Object.keys(JSON.parse(ok(['-p', 'p', 'config', '--format', 'json', 'db']).stdout).services)).toEqual(['db'])
    const unknown = compose(['-p', 'p', 'config', 'nope'])
    expect([unknown.status, unknown.stderr]).toEqual([1, 'mini-run: no such service: nope\n'])
    expect(JSON.parse(ok(['-p', 'p', 'config', '--format', 'json']).stdout).services.web.image).toBe('p-web')
  })

  it('up -d builds web, starts db first and the others once it is healthy; web reaches db by name through the published port', async () => {
    const up = ok(['-p', 'p', 'up', '-d'])
    const lines = up.stderr.split('\n')
    expect(lines).toContain(' Network p_default  Created')
    expect(lines).toContain(' Volume p_dbdata  Created')
    expect(lines).toContain(' Container p-db-1  Healthy')
    // the dependents start only after db is healthy
    expect(lines.indexOf(' Container p-web-1  Started')).toBeGreaterThan(lines.indexOf(' Container p-db-1  Healthy'))
    expect(lines.indexOf(' Container p-worker-1  Started')).toBeGreaterThan(lines.indexOf(' Container p-db-1  Healthy'))
    const value = await page()
    expect(value).toMatch(/^[0-9a-f-]{36}$/)
    const ps = ok(['-p', 'p', 'ps']).stdout.split('\n')
    expect(ps[0]).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/)
    expect(ps.find((l) => l.startsWith('p-db-1'))).toMatch(/\sdb\s.*Up .* \(healthy\)/)
    expect(ps.find((l) => l.startsWith('p-web-1'))).toMatch(new RegExp(`0\\.0\\.0\\.0:${PORT}->80/tcp`))
    // top: each running container's name, then its processes
    const top = ok(['-p', 'p', 'top', 'worker', 'db']).stdout.split('\n')
    expect(top[0]).toBe('p-db-1')
    expect(top[1]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/)
    expect(top.indexOf('p-worker-1')).toBeGreaterThan(2)
    expect(top.join('\n')).toMatch(/sleep 1000/)
    // ls: the projects here, from their containers' labels
    expect(ok(['ls']).stdout).toMatch(new RegExp(`^NAME\\s+STATUS\\s+CONFIG FILES\\np\\s+running\\(3\\)\\s+${dir}/compose\\.yaml\\n$`))
    // --filter name=: the name, or a regular expression it matches
    expect([ok(['ls', '-q', '--filter', 'name=^p$']).stdout, ok(['ls', '-q', '--filter', 'name=nomatch']).stdout]).toEqual(['p\n', ''])
    expect(compose(['ls', '--filter', 'status=running']).stderr).toBe("mini-run: invalid filter 'status'\n")
    // port: where the service's container publishes one of its ports
    expect(ok(['-p', 'p', 'port', 'web', '80']).stdout).toBe(`0.0.0.0:${PORT}\n`)
    // volumes: the project's, as docker volume ls shows them; with a service, those its containers mount
    // (worker's anonymous /cache is the engine's, unlabelled, as under Docker Compose)
    expect(ok(['-p', 'p', 'volumes']).stdout).toMatch(/^DRIVER\s+VOLUME NAME\nlocal\s+p_dbdata\n$/)
    expect(ok(['-p', 'p', 'volumes', '-q', 'db']).stdout).toBe('p_dbdata\n')
    // -q wins over --format, as in docker compose volumes
    expect(ok(['-p', 'p', 'volumes', '-q', '--format', '{{.Driver}}', 'db']).stdout).toBe('p_dbdata\n')
    expect(ok(['-p', 'p', 'volumes', '--format', '{{.Name}} {{.Driver}}', 'worker', 'web']).stdout).toBe('')
    const noService = compose(['-p', 'p', 'volumes', 'nope'])
    expect([noService.status, noService.stderr]).toEqual([1, 'mini-run: no such service: nope\n'])
    const unpublished = compose(['-p', 'p', 'port', 'web', '81'])
    expect([unpublished.status, unpublished.stdout]).toEqual([1, ''])
    expect(unpublished.stderr).toMatch(/no port 81\/tcp for container p-web-1/)
    // labelled as Docker Compose labels them
    const info = JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', 'p-web-1']).stdout)[0]
    expect(info.Config.Labels).toMatchObject({ 'com.docker.compose.project': 'p', 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '1', 'com.docker.compose.oneoff': 'False' })
    expect(info.Config.Labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/)
  })

  it('logs prefix each line with its container; exec and run --rm reach the services', async () => {
    await until('the worker\'s line', () => /worker got [0-9a-f-]{36}/.test(compose(['-p', 'p', 'logs', 'worker']).stdout))
    expect(compose(['-p', 'p', 'logs']).stdout).toMatch(/^worker-1  \| worker got [0-9a-f-]{36}$/m)
    expect(compose(['-p', 'p', 'logs', '--no-log-prefix', 'worker']).stdout).toMatch(/^worker got /)
    // -f follows a running container until it is stopped: here, until a Ctrl-C once the line is out
    const follow = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'p', 'logs', '-f', 'worker'], { ...process.env, CG: env.cgroupParent, WEB_PORT: String(PORT) }, dir)
    let followed
    try {
      await until('logs -f to print the worker\'s line', () => /^worker-1  \| worker got [0-9a-f-]{36}$/m.test(follow.output()))
      expect([follow.child.exitCode, follow.child.signalCode]).toEqual([null, null])
      follow.child.kill('SIGINT')
      followed = await follow.done
    } finally {
      follow.kill()
    }
    // ended by the SIGINT, not of its own accord (that would be 0)
    expect([followed.status, followed.signal]).toEqual([null, 'SIGINT'])
    expect(followed.stdout).toMatch(/^worker-1  \| worker got [0-9a-f-]{36}\n$/)
    expect(ok(['-p', 'p', 'exec', '-T', 'web', 'cat', '/www/cgi-bin/db']).stdout).toContain('nc "$DB_HOST" 5000')
    // db's nc listens again a moment after each answer (its loop): the one-off asks again until it is there
    const run = ok(['-p', 'p', 'run', '--rm', '--no-deps', '-T', 'worker', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do v=$(nc db 5000 </dev/null); [ -n "$v" ] && break; sleep 0.2; done; echo "$MODE $v"'])
    expect(run.stdout).toMatch(/^one [0-9a-f-]{36}\n$/)
    // the one-off container is gone again
    expect(ok(['-p', 'p', 'ps', '-a', '--services']).stdout.split('\n').filter(Boolean).sort()).toEqual(['db', 'web', 'worker'])
  })

  it('a second up recreates nothing; a changed environment recreates only that service', async () => {
    const before = ids()
    expect(before).toHaveLength(3)
    const again = ok(['-p', 'p', 'up', '-d'])
    expect(again.stderr).toMatch(/Container p-web-1 {2}Running/)
    expect(ids()).toEqual(before)
    const web = idOf('web')
    const db = idOf('db')
    const worker = idOf('worker')
    ok(['-p', 'p', 'exec', '-T', 'worker', 'touch', '/cache/kept'])
    writeFileSync(join(dir, 'compose.yaml'), STACK.replace('MODE: one', 'MODE: two'))
    try {
      const changed = ok(['-p', 'p', 'up', '-d'])
      expect(changed.stderr).toMatch(/Container p-worker-1 {2}Recreated/)
      expect([idOf('web'), idOf('db')]).toEqual([web, db])
      expect(idOf('worker')).not.toBe(worker)
      expect(ok(['-p', 'p', 'exec', '-T', 'worker', 'sh', '-c', 'echo $MODE']).stdout).toBe('two\n')
      // the recreated container keeps its predecessor's anonymous volume, as Docker's does
      expect(ok(['-p', 'p', 'exec', '-T', 'worker', 'ls', '/cache']).stdout).toBe('kept\n')
    } finally {
      writeFileSync(join(dir, 'compose.yaml'), STACK)
    }
  })

  it('down then up keeps db\'s data in its named volume; down -v removes it and leaves nothing', async () => {
    const first = await page()
    ok(['-p', 'p', 'down'])
    expect(ok(['-p', 'p', 'ps', '-a', '-q']).stdout).toBe('')
    // without -v the named volume stays, and so does worker's anonymous one (as with Docker)
    expect(volumes().filter((v) => !/^[0-9a-f]{64}$/.test(v))).toEqual(['p_dbdata'])
    expect(volumes()).toHaveLength(2)
    // nothing will use that one again (a new container gets a new one): volume prune takes it, as Docker's does
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'volume', 'prune', '-f']).status).toBe(0)
    expect(volumes()).toEqual(['p_dbdata'])
    ok(['-p', 'p', 'up', '-d'])
    expect(await page()).toBe(first)
    ok(['-p', 'p', 'stop', 'worker'])
    expect(ok(['-p', 'p', 'ps', '-a']).stdout).toMatch(/p-worker-1 .* Exited/)
    // --status and --format, as docker compose ps takes them
    expect(ok(['-p', 'p', 'ps', '--status', 'exited', '-q']).stdout.trim()).toBe(idOf('worker'))
    expect(ok(['-p', 'p', 'ps', '--status', 'exited', '--format', 'table {{.Service}}\t{{.State}}']).stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['SERVICE STATE', 'worker exited', ''])
    expect(JSON.parse(ok(['ls', '--format', 'json']).stdout)).toEqual([{ Name: 'p', Status: 'exited(1), running(2)', ConfigFiles: `${dir}/compose.yaml` }])
    const json = ok(['-p', 'p', 'ps', '-a', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>)
    expect(json.map((r) => `${r.Project}/${r.Service}/${r.Name}/${r.State}`).sort()).toEqual(['p/db/p-db-1/running', 'p/web/p-web-1/running', 'p/worker/p-worker-1/exited'])
    const badStatus = compose(['-p', 'p', 'ps', '--status', 'sleeping'])
    expect(badStatus.status).not.toBe(0)
    expect(badStatus.stderr.trim().split('\n')).toEqual([expect.stringMatching(/invalid value for --status: "sleeping"/)])
    ok(['-p', 'p', 'start', 'worker'])
    expect(ok(['-p', 'p', 'ps']).stdout).toMatch(/p-worker-1 .* Up /)
    ok(['-p', 'p', 'down', '-v'])
    expect(volumes()).toEqual([])
    expect(ns.snapshot().links).toEqual(linksBefore)
    expect(env.leftovers()).toEqual([])
    ok(['-p', 'p', 'up', '-d'])
    expect(await page()).not.toBe(first)
    const before = idOf('worker')
    expect(ok(['-p', 'p', 'restart', 'worker']).stderr).toMatch(/Container p-worker-1 {2}Started/)
    // the same container again, as Docker Compose restarts it
    expect(idOf('worker')).toBe(before)
    expect(ok(['-p', 'p', 'ps', 'worker']).stdout).toMatch(/p-worker-1 .* Up /)
    // kill -s sends the signal (init passes it on); rm asks first, then removes the stopped container
    expect(ok(['-p', 'p', 'kill', '-s', 'SIGTERM', 'worker']).stderr).toMatch(/Container p-worker-1 {2}Killed/)
    await until('the killed worker to exit', () => /p-worker-1 .* Exited/.test(ok(['-p', 'p', 'ps', '-a']).stdout))
    const declined = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'p', 'rm', 'worker'], { cwd: dir, input: '', env: { ...process.env, CG: env.cgroupParent, WEB_PORT: String(PORT) } })
    expect(declined.stdout).toBe('Going to remove p-worker-1\nAre you sure? [y/N] \n')
    expect(idOf('worker')).toBe(before)
    expect(ok(['-p', 'p', 'rm', '-f', 'web']).stderr).toBe('No stopped containers\n')
    expect(ok(['-p', 'p', 'rm', '-f', 'worker']).stdout).toBe('Going to remove p-worker-1\n')
    expect(idOf('worker')).toBeUndefined()
    ok(['-p', 'p', 'up', '-d'])
    // --rmi local: the image compose built and named itself, not the one the file names
    ok(['-p', 'p', 'down', '-v', '--rmi', 'local'])
    const images = ns.miniRun(['--root', env.storeRoot, 'images']).stdout
    expect(images).not.toMatch(/p-web/)
    expect(images).toMatch(/localhost\/test\/busybox/)
  })
})

describe.skipIf(!isRoot || !netavark)('compose: health, restart policies and errors (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let n = 0
  /** A project of its own in a new directory. */
  const project = (yaml: string) => {
    // its own name, not the counter's value when the handle is called (another project may come first)
    const name = `q${++n}`
    const dir = join(env.dir, name)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    return (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', name, ...args], { cwd: dir, env: { ...process.env, CG: env.cgroupParent }, timeout: 120_000 })
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
  })
  afterAll(() => {
    for (let i = 1; i <= n; i++) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `q${i}`, 'down', '-v'], { cwd: join(env.dir, `q${i}`) })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('a health check that starts failing turns ps to unhealthy', async () => {
    const c = project(`services:\n  app:\n    image: ${BUSYBOX}\n    command: sh -c 'touch /tmp/ok; exec sleep 1000'\n    init: true\n    cgroup_parent: \${CG}\n    healthcheck: {test: test -f /tmp/ok, interval: 200ms, retries: 2}\n`)
    expect(c(['up', '-d']).status).toBe(0)
    await until('healthy', () => /\(healthy\)/.test(c(['ps']).stdout))
    expect(c(['exec', '-T', 'app', 'rm', '/tmp/ok']).status).toBe(0)
    await until('unhealthy', () => /\(unhealthy\)/.test(c(['ps']).stdout))
    expect(c(['ps', '--format', '{{.Service}} {{.Health}} {{.State}}']).stdout).toBe('app unhealthy running\n')
    // pause and unpause, as docker compose's: the freezer on each running container
    const paused = c(['pause'])
    expect([paused.status, paused.stderr]).toEqual([0, expect.stringMatching(/Container q\d+-app-1 {2}Paused/)])
    expect(c(['ps', '--format', '{{.Service}} {{.State}}']).stdout).toBe('app paused\n')
    expect(c(['exec', '-T', 'app', 'touch', '/tmp/ok']).status).not.toBe(0)
    const unpaused = c(['unpause', 'app'])
    expect([unpaused.status, unpaused.stderr]).toEqual([0, expect.stringMatching(/Container q\d+-app-1 {2}Unpaused/)])
    expect(c(['exec', '-T', 'app', 'touch', '/tmp/ok']).status).toBe(0)
    await until('healthy again', () => /\(healthy\)/.test(c(['ps']).stdout))
    expect(c(['down']).status).toBe(0)
  })

  it('up without -d attaches: prefixed output until Ctrl-C, which stops the services', async () => {
    const c = project(`services:\n  talk:\n    image: ${BUSYBOX}\n    command: sh -c 'echo hello; exec sleep 1000'\n    init: true\n    cgroup_parent: \${CG}\n`)
    // one SIGINT to mini-run alone, as a terminal's Ctrl-C sends it, once the service has spoken
    // (a second would be Docker Compose's "force": exit 130 at once, nothing stopped)
    const attached = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `q${n}`, 'up'], { ...process.env, CG: env.cgroupParent }, join(env.dir, `q${n}`))
    let up
    try {
      await until('talk to say hello', () => /^talk-1  \| hello$/m.test(attached.output()), 60_000)
      attached.child.kill('SIGINT')
      up = await attached.done
    } finally {
      attached.kill()
    }
    expect(up.status, up.stderr).toBe(130)
    expect(up.stdout).toMatch(/^Attaching to talk-1\ntalk-1  \| hello\ntalk-1 exited with code \d+\n$/)
    expect(up.stderr).toMatch(/Gracefully stopping\.\.\./)
    expect(up.stderr).toMatch(/Container q\d+-talk-1 {2}Stopped/)
    expect(c(['ps', '-a']).stdout).toMatch(/talk-1 .*Exited/)
    expect(c(['down']).status).toBe(0)
  })

  it('restart: on-failure:2 restarts a failing container exactly twice; a stop is never undone', async () => {
    const c = project(`services:\n  flaky:\n    image: ${BUSYBOX}\n    command: sh -c 'echo run >> /count/runs; exit 3'\n    volumes: ["./count:/count"]\n    restart: on-failure:2\n    cgroup_parent: \${CG}\n`)
    const runs = join(env.dir, `q${n}`, 'count', 'runs')
    expect(c(['up', '-d']).status).toBe(0)
    // the file is the container's to make: not there until its first run has written
    const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '')
    await until('three runs', () => lines(runs) === 'run\nrun\nrun\n', 20_000)
    // a third restart would come 400 ms after the third exit
    await sleep(2000)
    expect(readFileSync(runs, 'utf8')).toBe('run\nrun\nrun\n')
    expect(c(['ps', '-a']).stdout).toMatch(/q\d+-flaky-1 .*Exited \(3\)/)

    const always = project(`services:\n  loop:\n    image: ${BUSYBOX}\n    command: sh -c 'echo run >> /count/runs; exec sleep 1000'\n    volumes: ["./count:/count"]\n    restart: always\n    init: true\n    cgroup_parent: \${CG}\n`)
    const loopRuns = join(env.dir, `q${n}`, 'count', 'runs')
    expect(always(['up', '-d']).status).toBe(0)
    await until('a run', () => lines(loopRuns) === 'run\n')
    expect(always(['stop']).status).toBe(0)
    await sleep(1000)
    expect(readFileSync(loopRuns, 'utf8')).toBe('run\n')
    expect(always(['ps', '-a']).stdout).toMatch(/loop-1 .*Exited/)
    // the runtime's own stop and rm -f are stops asked for too
    expect(always(['start']).status).toBe(0)
    await until('a second run', () => readFileSync(loopRuns, 'utf8') === 'run\nrun\n')
    const name = `q${n}-loop-1`
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'rm', '-f', name]).status).toBe(0)
    await sleep(1000)
    expect(always(['ps', '-a', '-q']).stdout).toBe('')
    expect(readFileSync(loopRuns, 'utf8')).toBe('run\nrun\n')
    expect(always(['down']).status).toBe(0)
    expect(c(['down']).status).toBe(0)
  })

  it('restart: on-failure starts the same container again (its id, RestartCount, its earlier log lines); stop then start keeps its id', async () => {
    // fails twice, then stays up: each run appends to a file of the host's and says which run it is
    const c = project(`services:\n  flaky:\n    image: ${BUSYBOX}\n    command: sh -c 'echo run >> /count/runs; n=$$(wc -l < /count/runs); echo "run $$n"; [ $$n -ge 3 ] && exec sleep 1000; exit 1'\n    volumes: ["./count:/count"]\n    restart: on-failure\n    init: true\n    cgroup_parent: \${CG}\n`)
    const name = `q${n}-flaky-1`
    const inspect = () => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', name]).stdout)[0] as { Id: string; RestartCount: number; State: { Status: string } }
    expect(c(['up', '-d']).status).toBe(0)
    const id = inspect().Id
    await until('the third run, running', () => inspect().RestartCount === 2 && inspect().State.Status === 'running', 20_000)
    expect(inspect().Id).toBe(id)
    expect(c(['ps', '-a', '-q']).stdout.trim().split('\n')).toEqual([id])
    await until('the third run\'s line', () => /run 3/.test(c(['logs', '--no-log-prefix']).stdout))
    expect(c(['logs', '--no-log-prefix']).stdout).toBe('run 1\nrun 2\nrun 3\n')

    expect(c(['stop']).status).toBe(0)
    expect(c(['ps', '-a']).stdout).toMatch(/flaky-1 .*Exited/)
    expect(inspect().Id).toBe(id)
    const start = c(['start'])
    expect(start.stderr).toMatch(/Container q\d+-flaky-1 {2}Started/)
    expect(start.status).toBe(0)
    await until('the fourth run\'s line', () => /run 4/.test(c(['logs', '--no-log-prefix']).stdout))
    const after = inspect()
    expect([after.Id, after.State.Status]).toEqual([id, 'running'])
    // a start by the user counts anew, as Docker's does
    expect(after.RestartCount).toBe(0)
    expect(c(['logs', '--no-log-prefix']).stdout).toBe('run 1\nrun 2\nrun 3\nrun 4\n')
    expect(c(['down']).status).toBe(0)
  })

  it('a service on two networks joins both at every start (eth0, eth1), and is found by name on each', async () => {
    const c = project(`services:\n  a:\n    image: ${BUSYBOX}\n    command: [sleep, "1000"]\n    init: true\n    networks: [front, back]\n    cgroup_parent: \${CG}\n  b:\n    image: ${BUSYBOX}\n    command: [sleep, "1000"]\n    init: true\n    networks: [back]\n    cgroup_parent: \${CG}\nnetworks: {front: {}, back: {}}\n`)
    const links = ns.snapshot().links
    expect(c(['up', '-d']).status).toBe(0)
    const check = async () => {
      const addr = c(['exec', '-T', 'a', 'ip', '-o', '-4', 'addr']).stdout
      expect(addr).toMatch(/ eth0 /)
      expect(addr).toMatch(/ eth1 /)
      // a speaks first: a restarted container's veths have new MAC addresses, which b's
      // neighbour table learns from a's ARP request (else only once its old entry expires)
      expect(c(['exec', '-T', 'a', 'ping', '-c', '1', '-W', '2', 'b']).status).toBe(0)
      // aardvark-dns reloads its records on netavark's SIGHUP, in its own time: a's new
      // address may take a moment to be the answer (podman's containers see the same)
      await until('b reaches a by name', () => c(['exec', '-T', 'b', 'ping', '-c', '1', '-W', '1', 'a']).status === 0, 10_000)
    }
    await check()
    expect(c(['restart', 'a']).status).toBe(0)
    await check()
    expect(c(['down']).status).toBe(0)
    expect(ns.snapshot().links).toEqual(links)
  })

  it('a file with an error, a missing image or a port in use makes nothing and says where, exit 1', () => {
    const links = ns.snapshot().links
    const containers = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'ps', '-a', '-q']).stdout
    const networks = ns.miniRun(['--root', env.storeRoot, 'network', 'ls', '-q']).stdout
    const bad = project(`services:\n  web:\n    image: ${BUSYBOX}\n    portz: ["1:1"]\n`)
    const r = bad(['up', '-d'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: compose.yaml: services.web.portz: unknown key (not in the Compose Specification)\n')
    const missing = project(`services:\n  a:\n    image: ${BUSYBOX}\n    cgroup_parent: \${CG}\n  b:\n    image: localhost/test/no-such-image:1\n    pull_policy: never\n`)
    const m = missing(['up', '-d'])
    expect(m.status).toBe(1)
    expect(m.stderr).toMatch(/^mini-run: compose\.yaml: services\.b\.image: no such image: localhost\/test\/no-such-image:1/m)
    // a port a host socket holds
    const holder = ns.exec(['sh', '-c', 'busybox nc -l -p 18282 >/dev/null 2>&1 & echo $!'])
    try {
      const port = project(`services:\n  web:\n    image: ${BUSYBOX}\n    command: [sleep, "100"]\n    ports: ["8080:80", "18282:81"]\n`)
      let p = port(['up', '-d'])
      for (let i = 0; i < 20 && !/in use/.test(p.stderr); i++) p = port(['up', '-d'])
      expect(p.status).toBe(1)
      expect(p.stderr).toMatch(/^mini-run: compose\.yaml: services\.web\.ports\[1\]: port 0\.0\.0\.0:18282 is already in use on the host/m)
    } finally {
      process.kill(Number(holder.stdout.trim()), 'SIGKILL')
    }
    const twice = project(`services:\n  a:\n    image: ${BUSYBOX}\n    ports: ["18283:80"]\n  b:\n    image: ${BUSYBOX}\n    ports: ["18283:81"]\n`)(['up', '-d'])
    expect(twice.status).toBe(1)
    expect(twice.stderr).toBe('mini-run: compose.yaml: services.b.ports[0]: port 0.0.0.0:18283 is also published by service a\n')
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'ps', '-a', '-q']).stdout).toBe(containers)
    expect(ns.miniRun(['--root', env.storeRoot, 'network', 'ls', '-q']).stdout).toBe(networks)
    expect(ns.snapshot().links).toEqual(links)
  })
})
