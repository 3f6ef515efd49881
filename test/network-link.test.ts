// run --link NAME[:ALIAS], Docker's legacy links, as root: a web container
// reaches its database by alias, name and hostname on the default bridge,
// which has no DNS of its own, and gets Docker's DB_PORT_* and DB_ENV_*
// variables; on a network of the user's own the /etc/hosts line alone. The
// other container must exist at create and run at each start. Everything
// runs in a network namespace of the test's own (helpers/netns.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('run --link (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  /** A busybox httpd on 8080 that answers `text`, with a variable of its own. */
  const server = (name: string, text: string, more: string[] = []) => {
    const r = mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', name, '-e', 'DB_USER=app', '--expose', '8080', '--expose', '8081', ...more, BUSYBOX,
      'sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www`])
    expect(r.stderr).toBe('')
    return r.stdout.trim()
  }
  const ipOf = (name: string, network: string) => mr(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name]).stdout.trim()
  const run = (args: string[]) => mr(['run', '--rm', '--cgroup-parent', env.cgroupParent, ...args])
  /** Docker 29's escape hatch: its daemon sets the link variables only with this in its environment (mini-run: the command's) */
  const KEEP = { ...process.env, DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS: '1' }
  const keep = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args], { env: KEEP })

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    for (const n of mr(['network', 'ls', '-q', '--filter', 'name=ln-']).stdout.split('\n').filter(Boolean)) mr(['network', 'rm', n])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('on the default bridge: the linked server answers by alias, name and hostname; Docker\'s variables, when asked as Docker 29 is, say where it listens', async () => {
    const id = server('db', 'hello-from-db')
    const ip = ipOf('db', 'bridge')
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    const get = (host: string) => `wget -qO- http://${host}:8080/`
    await until('db listens', () => run(['--link', 'db:database', BUSYBOX, 'sh', '-c', get('database')]).stdout === 'hello-from-db\n', 15_000)
    const r = keep(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--name', 'web', '--link', 'db:database', '-e', 'DATABASE_ENV_DB_USER=mine', BUSYBOX, 'sh', '-c',
      `${get('database')} && ${get('db')} && ${get(id.slice(0, 12))} && grep database /etc/hosts && env | grep ^DATABASE_ | sort`])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const [a, b, c, hostsLine, ...vars] = r.stdout.trimEnd().split('\n')
    expect([a, b, c]).toEqual(['hello-from-db', 'hello-from-db', 'hello-from-db'])
    // alias, hostname, name (Docker's buildSandboxOptions)
    expect(hostsLine).toBe(`${ip}\tdatabase ${id.slice(0, 12)} db`)
    expect(vars).toEqual([
      // the container's own -e wins over the link's
      'DATABASE_ENV_DB_USER=mine',
      'DATABASE_NAME=/web/database',
      `DATABASE_PORT=tcp://${ip}:8080`,
      `DATABASE_PORT_8080_TCP=tcp://${ip}:8080`,
      `DATABASE_PORT_8080_TCP_ADDR=${ip}`,
      `DATABASE_PORT_8080_TCP_END=tcp://${ip}:8081`,
      'DATABASE_PORT_8080_TCP_PORT=8080',
      'DATABASE_PORT_8080_TCP_PORT_END=8081',
      'DATABASE_PORT_8080_TCP_PORT_START=8080',
      'DATABASE_PORT_8080_TCP_PROTO=tcp',
      `DATABASE_PORT_8080_TCP_START=tcp://${ip}:8080`,
      `DATABASE_PORT_8081_TCP=tcp://${ip}:8081`,
      `DATABASE_PORT_8081_TCP_ADDR=${ip}`,
      'DATABASE_PORT_8081_TCP_PORT=8081',
      'DATABASE_PORT_8081_TCP_PROTO=tcp',
    ])
    // NAME alone: the alias is the name; HOME and PATH, and what mini-run set itself, are not the other's variables
    const plain = keep(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--link', 'db', BUSYBOX, 'sh', '-c', 'grep -w db /etc/hosts; env | grep ^DB_ENV_ | sort'])
    expect(plain.stdout).toBe(`${ip}\tdb ${id.slice(0, 12)}\nDB_ENV_DB_USER=app\n`)
    // a link to a container that joins db's network is db's (Docker's registerLinks follows it)
    expect(mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'side', '--network', 'container:db', BUSYBOX, 'sleep', '600']).status).toBe(0)
    expect(run(['--link', 'side:x', BUSYBOX, 'grep', '-w', 'x', '/etc/hosts']).stdout).toBe(`${ip}\tx ${id.slice(0, 12)} db\n`)
    // exec gets them too, as Docker's does, under its own -e; once the server stopped, the exec runs without them
    expect(mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'shell', '--link', 'db:database', BUSYBOX, 'sleep', '600']).status).toBe(0)
    expect(keep(['exec', 'shell', 'sh', '-c', 'echo $DATABASE_PORT $DATABASE_ENV_DB_USER'])).toMatchObject({ stdout: `tcp://${ip}:8080 app\n`, stderr: '' })
    expect(keep(['exec', '-e', 'DATABASE_PORT=mine', 'shell', 'sh', '-c', 'echo $DATABASE_PORT']).stdout).toBe('mine\n')
    // without it, as Docker 29: the hosts line alone
    expect(mr(['exec', 'shell', 'sh', '-c', 'env | grep -c ^DATABASE_ || true']).stdout).toBe('0\n')
    expect(run(['--link', 'db', BUSYBOX, 'sh', '-c', 'grep -c -w db /etc/hosts; env | grep -c ^DB_ || true']).stdout).toBe('1\n0\n')
    expect(mr(['stop', '-t', '0', 'db']).status).toBe(0)
    expect(keep(['exec', 'shell', 'sh', '-c', 'env | grep -c ^DATABASE_ || true'])).toMatchObject({ status: 0, stdout: '0\n' })
  })

  it('is kept by create and inspect; each start looks it up: a stopped server fails the start, which a later one makes once it runs', async () => {
    server('db', 'up')
    const made = mr(['create', '--cgroup-parent', env.cgroupParent, '--name', 'web', '--link', 'db:store', BUSYBOX, 'sh', '-c', 'grep -w store /etc/hosts; sleep 600'])
    expect(made.status, made.stderr).toBe(0)
    expect(JSON.parse(mr(['inspect', '-f', '{{json .HostConfig.Links}}', 'web']).stdout)).toEqual(['/db:/web/store'])
    expect(mr(['stop', '-t', '0', 'db']).status).toBe(0)
    const refused = mr(['start', 'web'])
    expect([refused.status, refused.stderr]).toEqual([1, 'mini-run: Cannot link to a non running container: /db AS /web/store\n'])
    expect(mr(['inspect', '-f', '{{.State.Status}}', 'web']).stdout).toBe('created\n')
    // a rename of the server keeps the link: it is recorded by id
    expect(mr(['rename', 'db', 'db2']).status).toBe(0)
    expect(JSON.parse(mr(['inspect', '-f', '{{json .HostConfig.Links}}', 'web']).stdout)).toEqual(['/db2:/web/store'])
    expect(mr(['start', 'db2']).status).toBe(0)
    const started = mr(['start', 'web'])
    expect(started.status, started.stderr).toBe(0)
    const ip = ipOf('db2', 'bridge')
    await until('web has written its hosts line', () => mr(['logs', 'web']).stdout !== '', 10_000)
    expect(mr(['logs', 'web']).stdout).toMatch(new RegExp(`^${ip.replaceAll('.', '\\.')}\\tstore [0-9a-f]{12} db2\\n$`))
    // db2 starts again at another address (a container took its old one meanwhile): web's line follows, as Docker's updateParentsHosts does it
    expect(mr(['stop', '-t', '0', 'db2']).status).toBe(0)
    expect(mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'filler', BUSYBOX, 'sleep', '600']).status).toBe(0)
    expect(ipOf('filler', 'bridge')).toBe(ip)
    expect(mr(['start', 'db2']).status).toBe(0)
    const moved = ipOf('db2', 'bridge')
    expect(moved).not.toBe(ip)
    expect(mr(['exec', 'web', 'grep', '-w', 'store', '/etc/hosts']).stdout).toMatch(new RegExp(`^${moved.replaceAll('.', '\\.')}\\tstore [0-9a-f]{12} db2\\n$`))
    // the linked container removed: Docker (1.10 on) keeps the link, and the start fails; one made again under its name is linked to
    expect(mr(['rm', '-f', 'db2', 'web']).status).toBe(0)
    expect(mr(['create', '--cgroup-parent', env.cgroupParent, '--name', 'web2', '--link', 'filler:store', BUSYBOX, 'sh', '-c', 'grep -w store /etc/hosts; true']).status).toBe(0)
    expect(mr(['rm', '-f', 'filler']).status).toBe(0)
    expect(mr(['start', '-a', 'web2'])).toMatchObject({ status: 1, stderr: 'mini-run: Cannot link to a non running container: /filler AS /web2/store\n' })
    expect(JSON.parse(mr(['inspect', '-f', '{{json .HostConfig.Links}}', 'web2']).stdout)).toEqual(['/filler:/web2/store'])
    const again = server('filler', 'made-again')
    expect(mr(['start', '-a', 'web2'])).toMatchObject({ status: 0, stdout: `${ipOf('filler', 'bridge')}\tstore ${again.slice(0, 12)} filler\n` })
  })

  it('a server that starts again at another address while a linker is starting: the linker\'s line follows, whichever of the two notes it first', async () => {
    server('db', 'up')
    const ip = ipOf('db', 'bridge')
    expect(mr(['create', '--cgroup-parent', env.cgroupParent, '--name', 'web', '--link', 'db:store', BUSYBOX, 'sleep', '600']).status).toBe(0)
    // web's start looks db up, runs, then stops before its linked-by/ note: db's restart cannot know of it
    const release = join(env.stateRoot, '..', `link-note-${process.pid}`)
    const start = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'start', 'web'], { ...process.env, MINI_RUN_PAUSE_AT: 'links:before-note', MINI_RUN_PAUSE_FILE: release })
    try {
      await until('web\'s start to pause before its note', () => existsSync(`${release}.paused`), 20_000, 20)
      expect(mr(['exec', 'web', 'grep', '-w', 'store', '/etc/hosts']).stdout).toMatch(new RegExp(`^${ip.replaceAll('.', '\\.')}\\t`))
      expect(mr(['stop', '-t', '0', 'db']).status).toBe(0)
      expect(mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'filler', BUSYBOX, 'sleep', '600']).status).toBe(0)
      expect(mr(['start', 'db']).status).toBe(0)
      const moved = ipOf('db', 'bridge')
      expect(moved).not.toBe(ip)
      writeFileSync(release, '')
      expect((await start.done).status, start.errors()).toBe(0)
      expect(mr(['exec', 'web', 'grep', '-w', 'store', '/etc/hosts']).stdout).toMatch(new RegExp(`^${moved.replaceAll('.', '\\.')}\\tstore [0-9a-f]{12} db\\n$`))
      // and the note is there now: db's next move reaches web through it
      expect(mr(['stop', '-t', '0', 'db']).status).toBe(0)
      expect(mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'filler2', BUSYBOX, 'sleep', '600']).status).toBe(0)
      expect(mr(['start', 'db']).status).toBe(0)
      const third = ipOf('db', 'bridge')
      expect(third).not.toBe(moved)
      expect(mr(['exec', 'web', 'grep', '-w', 'store', '/etc/hosts']).stdout).toMatch(new RegExp(`^${third.replaceAll('.', '\\.')}\\tstore [0-9a-f]{12} db\\n$`))
    } finally {
      writeFileSync(release, '')
      await start.done
      rmSync(release, { force: true })
      rmSync(`${release}.paused`, { force: true })
    }
  })

  it('rm --link /web/alias: the link goes, both containers stay; its /etc/hosts line alone goes now, and the next start needs the other no more', () => {
    const db = server('db', 'up')
    // a hostname of two names and an --add-host of the alias: lines of two names starting with it that are no link's
    const web = mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'web', '-h', 'store.example', '--add-host', 'store:10.9.9.9', '--link', 'db:store', '--link', 'db:other', BUSYBOX, 'sleep', '600'])
    expect(web.status, web.stderr).toBe(0)
    const webId = web.stdout.trim()
    const hostsOfWeb = () => {
      const r = mr(['exec', 'web', 'cat', '/etc/hosts'])
      expect(r.status, r.stderr).toBe(0)
      return r.stdout
    }
    const before = hostsOfWeb()
    const storeLine = before.split('\n').find((l) => /^[0-9.]+\tstore [0-9a-f]{12} db$/.test(l))
    expect(storeLine).toBeDefined()
    expect(before).toMatch(/^10\.9\.9\.9\tstore$/m)
    expect(before).toMatch(/\tstore\.example store$/m)
    expect(mr(['rm', '--link', '/web/store'])).toMatchObject({ status: 0, stdout: '/web/store\n', stderr: '' })
    expect(JSON.parse(mr(['inspect', '-f', '{{json .HostConfig.Links}}', 'web']).stdout)).toEqual(['/db:/web/other'])
    // that line alone: the container's own, localhost's, the --add-host and the other link's stay
    expect(hostsOfWeb()).toBe(before.replace(`${storeLine}\n`, ''))
    // db's note of web stays while web's other link names it, and goes with the last (slashes around the name are Docker's CLI's to trim)
    expect(existsSync(join(env.stateRoot, db, 'linked-by', webId))).toBe(true)
    expect(mr(['rm', '-l', 'web/other/'])).toMatchObject({ status: 0, stdout: 'web/other/\n' })
    expect(existsSync(join(env.stateRoot, db, 'linked-by', webId))).toBe(false)
    expect(mr(['inspect', '-f', '{{json .HostConfig.Links}}', 'web']).stdout).toBe('null\n')
    expect(mr(['ps', '-q']).stdout.trim().split('\n')).toHaveLength(2)
    // without its links, web starts with db stopped, and has no line of it
    expect(mr(['stop', '-t', '0', 'db', 'web']).status).toBe(0)
    const again = mr(['start', 'web'])
    expect(again.status, again.stderr).toBe(0)
    expect(hostsOfWeb()).not.toMatch(/\sdb$/m)
    // a stopped container's link: forgotten, no file touched
    expect(mr(['run', '-d', '--cgroup-parent', env.cgroupParent, '--name', 'db2', BUSYBOX, 'sleep', '600']).status).toBe(0)
    expect(mr(['create', '--cgroup-parent', env.cgroupParent, '--name', 'client', '--link', 'db2:x', BUSYBOX, 'sh', '-c', 'grep -c db2 /etc/hosts || true']).status).toBe(0)
    expect(mr(['rm', '--link', 'client/x'])).toMatchObject({ status: 0, stdout: 'client/x\n' })
    expect(mr(['start', '-a', 'client'])).toMatchObject({ status: 0, stdout: '0\n' })
    // Docker's errors: a container's own name, a link that is none (-f lets it be), a container that is none, by the name trimmed
    expect(mr(['rm', '--link', 'web'])).toMatchObject({ status: 1, stdout: '', stderr: 'mini-run: Conflict, cannot remove the default link name of the container\n' })
    expect(mr(['rm', '--link', '/web/store'])).toMatchObject({ status: 1, stdout: '', stderr: 'mini-run: no such container: web/store\n' })
    expect(mr(['rm', '-f', '--link', '/web/store'])).toMatchObject({ status: 0, stdout: '' })
    expect(mr(['rm', '--link', '/nope/store', 'nope'])).toMatchObject({ status: 1, stdout: '', stderr: 'mini-run: no such container: nope/store\nmini-run: no such container: nope\n' })
    expect(mr(['rm', '--link', `/${webId}/other`])).toMatchObject({ status: 1, stderr: `mini-run: no such container: ${webId}/other\n` })
    expect(mr(['rm', '--link', '/'])).toMatchObject({ status: 1, stderr: 'mini-run: container name cannot be empty\n' })
    expect(mr(['ps', '-a', '-q']).stdout.trim().split('\n')).toHaveLength(4)
  })

  it('on a network of the user\'s own: the hosts line alone, of a container that runs there, else nothing, as Docker\'s DNS alias; the default bridge refuses another network\'s', async () => {
    expect(mr(['network', 'create', 'ln-a']).status).toBe(0)
    server('api', 'hello-from-api', ['--network', 'ln-a'])
    await until('api listens', () => run(['--network', 'ln-a', BUSYBOX, 'wget', '-qO-', 'http://api:8080/']).stdout === 'hello-from-api\n', 15_000)
    const r = keep(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--network', 'ln-a', '--link', 'api:backend', BUSYBOX, 'sh', '-c', 'wget -qO- http://backend:8080/; env | grep -c ^BACKEND_ || true'])
    expect(r.stdout).toBe('hello-from-api\n0\n')
    server('db', 'on-the-bridge')
    // a container on another network, and none at all: no line, no error (Docker's link there is a name its DNS may not know)
    const elsewhere = run(['--network', 'ln-a', '--link', 'db', '--link', 'nosuch:x', BUSYBOX, 'sh', '-c', 'grep -c -w -e db -e x /etc/hosts || true'])
    expect([elsewhere.status, elsewhere.stderr, elsewhere.stdout]).toEqual([0, '', '0\n'])
    // the alias alone, and nothing for a link by the name itself: the network's DNS answers the name and hostname, at their address now
    expect(run(['--network', 'ln-a', '--link', 'api:backend', '--link', 'api', BUSYBOX, 'sh', '-c', 'grep -w -e backend -e api /etc/hosts']).stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\tbackend\n$/)
    const made = mr(['create', '--network', 'ln-a', '--name', 'client', '--link', 'api:backend', BUSYBOX, 'true'])
    expect(made.status).toBe(0)
    // Docker keeps a user network's links in its endpoint, not in HostConfig, nor among the names its rm --link finds
    expect(mr(['inspect', '-f', '{{json .HostConfig.Links}}', made.stdout.trim()]).stdout).toBe('null\n')
    expect(mr(['rm', '--link', '/client/backend'])).toMatchObject({ status: 1, stderr: 'mini-run: no such container: client/backend\n' })
    const fromBridge = run(['--link', 'api', BUSYBOX, 'true'])
    expect([fromBridge.status, fromBridge.stderr]).toEqual([125, 'mini-run: Cannot link to /api, as it does not belong to the default network\n'])
  })

  it("compose's external_links: a service reaches a container outside the project by the link's alias", async () => {
    expect(mr(['network', 'create', 'ln-shared']).status).toBe(0)
    server('legacy-db', 'hello-from-outside', ['--network', 'ln-shared'])
    const dir = join(env.dir, 'ext-links')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), [
      'services:',
      '  web:',
      `    image: ${BUSYBOX}`,
      `    cgroup_parent: ${env.cgroupParent}`,
      '    external_links: [legacy-db:olddb]',
      'networks:',
      '  default:',
      '    name: ln-shared',
      '    external: true',
      '',
    ].join('\n'))
    const compose = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'lk', ...args], { cwd: dir, timeout: 60_000 })
    expect(JSON.parse(compose(['config', '--format', 'json']).stdout).services.web.external_links).toEqual(['legacy-db:olddb'])
    await until('legacy-db listens', () => compose(['run', '--rm', 'web', 'wget', '-qO-', 'http://olddb:8080/']).stdout === 'hello-from-outside\n', 15_000)
    expect(compose(['down']).status).toBe(0)
  })

  it("compose links between services on the default bridge (network_mode: bridge): an /etc/hosts line by the link's alias", async () => {
    const dir = join(env.dir, 'bridge-links')
    mkdirSync(dir, { recursive: true })
    const service = (extra: string[]) => [`    image: ${BUSYBOX}`, `    cgroup_parent: ${env.cgroupParent}`, '    network_mode: bridge', ...extra]
    writeFileSync(join(dir, 'compose.yaml'), [
      'services:',
      '  db:',
      ...service(['    command: sh -c "mkdir -p /www && echo hello-from-db > /www/index.html && exec httpd -f -p 8080 -h /www"']),
      '  web:',
      ...service(['    links: [db:database]', '    command: sleep 600']),
      '',
    ].join('\n'))
    const compose = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'bl', ...args], { cwd: dir, timeout: 60_000 })
    expect(compose(['up', '-d', 'db']).status).toBe(0)
    await until('db listens', () => compose(['run', '--rm', 'web', 'wget', '-qO-', 'http://database:8080/']).stdout === 'hello-from-db\n', 15_000)
    const ip = ipOf('bl-db-1', 'bridge').replaceAll('.', '\\.')
    // docker compose's getLinks: the alias, SERVICE-N and PROJECT-SERVICE-N, N the number of the container made (-1 for a one-off)
    const namesOf = (hosts: string) => hosts.split('\n').filter((l) => l.includes('bl-db-1')).map((l) => l.replace(new RegExp(`^${ip}\\t`), '').replace(/ [0-9a-f]{12}( |$)/, ' ID$1'))
    expect(compose(['up', '-d', 'web']).status).toBe(0)
    expect(namesOf(compose(['exec', 'web', 'cat', '/etc/hosts']).stdout)).toEqual(['database ID bl-db-1', 'db-1 ID bl-db-1', 'bl-db-1 ID'])
    // a one-off links to its own service's containers too: by the service's name, the container's without the project, and its own
    const oneoff = compose(['run', '--rm', 'web', 'cat', '/etc/hosts']).stdout
    expect(namesOf(oneoff)).toEqual(['database ID bl-db-1', 'db--1 ID bl-db-1', 'bl-db--1 ID bl-db-1'])
    const webIp = ipOf('bl-web-1', 'bridge').replaceAll('.', '\\.')
    expect(oneoff).toMatch(new RegExp(`^${webIp}\\tweb [0-9a-f]{12} bl-web-1\\n${webIp}\\tweb-1 [0-9a-f]{12} bl-web-1\\n${webIp}\\tbl-web-1 [0-9a-f]{12}$`, 'm'))
    expect(compose(['down', '-t', '0']).status).toBe(0)
  })

  it('refuses what Docker refuses, before anything is made', () => {
    server('db', 'x')
    const cases: [string[], string][] = [
      [['--link', 'nosuch'], 'mini-run: no such container: nosuch\n'],
      [['--network', 'host', '--link', 'db'], "mini-run: conflicting options: host type networking can't be used with links. This would result in undefined behavior\n"],
      [['--network', 'container:db', '--link', 'db'], "mini-run: conflicting options: container type network can't be used with links. This would result in undefined behavior\n"],
      [['--link', 'a:b:c'], 'mini-run: invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c\n'],
      [['--link', 'db:-x'], 'mini-run: invalid alias name "-x" in --link db:-x: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n'],
    ]
    // a link to a container on the host's network: Docker's registerLinks refuses it
    expect(mr(['create', '--name', 'hostnet', '--network', 'host', BUSYBOX, 'true']).status).toBe(0)
    cases.push([['--link', 'hostnet'], "mini-run: conflicting options: host type networking can't be used with links. This would result in undefined behavior\n"])
    for (const [flags, said] of cases) expect([flags, run([...flags, BUSYBOX, 'true'])]).toEqual([flags, expect.objectContaining({ status: 125, stderr: said })])
    // none: kept and doing nothing, as in Docker
    expect(run(['--network', 'none', '--link', 'db', BUSYBOX, 'sh', '-c', 'grep -c db /etc/hosts || true']).stdout).toBe('0\n')
    expect(mr(['ps', '-a', '-q']).stdout.trim().split('\n')).toHaveLength(2)
  })

  it('leaves nothing behind', () => {
    expect(env.leftovers()).toEqual([])
  })
})
