// compose's verbs on a project's running containers, as docker compose has
// them: a service a profile keeps out, once a command named it; exec -d;
// start waiting on depends_on's conditions, and starting what a named
// service depends on; attached up's exits and Ctrl-C;
// up --abort-on-container-exit and --exit-code-from; up --wait;
// ps --format json's fields. As root, in a network namespace of the test's
// own (helpers/netns.ts).
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { cliEnv } from './helpers/cli.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose: managing the project\'s containers (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let n = 0
  /** A project of its own in a new directory: `c(args)` runs compose on it. */
  const project = (yaml: string) => {
    const dir = join(env.dir, `m${++n}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), yaml.replaceAll('${CG}', env.cgroupParent))
    const name = `m${n}`
    const args = (more: string[]) => ['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', name, '-f', join(dir, 'compose.yaml'), ...more]
    return Object.assign((more: string[]) => ns.miniRun(args(more), { cwd: dir, timeout: 120_000 }), { projectName: name, dir, args })
  }
  const sleeper = (service: string, extra = '') => `  ${service}:\n    image: ${BUSYBOX}\n    command: [sleep, "1000"]\n    init: true\n    cgroup_parent: \${CG}\n${extra}`

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
  })
  afterAll(() => {
    for (let i = 1; i <= n; i++) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `m${i}`, 'down', '-v'], { cwd: join(env.dir, `m${i}`) })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('a service a profile keeps out, started by naming it, is managed without the profile by every verb', () => {
    const c = project(`services:\n${sleeper('web')}${sleeper('worker', '    profiles: [extra]\n')}`)
    const p = c.projectName
    const ok = (args: string[]) => {
      const r = c(args)
      expect([args, r.status, r.stderr]).toEqual([args, 0, expect.not.stringMatching(/mini-run: /)])
      return r
    }
    const states = () => c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout
    ok(['up', '-d'])
    ok(['--profile', 'extra', 'up', '-d', 'worker'])
    expect(states()).toBe('web running\nworker running\n')
    // with none named: the project's containers, whatever their profile
    expect(ok(['ps', '--services']).stdout).toBe('web\nworker\n')
    expect(ok(['images']).stdout).toMatch(new RegExp(`\\n${p}-worker-1 `))
    // named: enabled, as the Compose Specification has it
    expect(ok(['ps', 'worker', '--format', '{{.Name}}']).stdout).toBe(`${p}-worker-1\n`)
    expect(ok(['images', '-q', 'worker']).stdout).toMatch(/^[0-9a-f]{64}\n$/)
    expect(ok(['exec', '-T', 'worker', 'echo', 'in worker']).stdout).toBe('in worker\n')
    ok(['logs', 'worker'])
    expect(ok(['top', 'worker']).stdout).toMatch(new RegExp(`^${p}-worker-1\\n`))
    ok(['pause', 'worker'])
    ok(['unpause', 'worker'])
    ok(['stop', 'worker'])
    expect(states()).toBe('web running\nworker exited\n')
    ok(['start', 'worker'])
    ok(['restart', 'worker'])
    expect(states()).toBe('web running\nworker running\n')
    // stop and restart with none named: worker too
    ok(['restart'])
    expect(states()).toBe('web running\nworker running\n')
    ok(['stop'])
    expect(states()).toBe('web exited\nworker exited\n')
    ok(['start', 'worker'])
    ok(['kill', 'worker'])
    expect(states()).toBe('web exited\nworker exited\n')
    expect(ok(['rm', '-f', 'worker']).stdout).toBe(`Going to remove ${p}-worker-1\n`)
    expect(states()).toBe('web exited\n')
    expect(c(['logs', 'nosuch']).stderr).toBe('mini-run: no such service: nosuch\n')
    ok(['down'])
  })

  it('kill --remove-orphans signals the containers of services the file no longer has too', () => {
    const c = project(`services:\n${sleeper('web')}${sleeper('old')}`)
    expect(c(['up', '-d']).status).toBe(0)
    writeFileSync(join(c.dir, 'compose.yaml'), `services:\n${sleeper('web')}`.replaceAll('${CG}', env.cgroupParent))
    const states = () => c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout
    expect(c(['kill']).status).toBe(0)
    expect(states()).toBe('old running\nweb exited\n')
    expect(c(['kill', '--remove-orphans']).status).toBe(0)
    expect(states()).toBe('old exited\nweb exited\n')
    expect(c(['down', '--remove-orphans']).status).toBe(0)
  })

  it('exec -d starts the command and returns, leaving it running in the container', async () => {
    const c = project(`services:\n${sleeper('web')}`)
    expect(c(['up', '-d']).status).toBe(0)
    // it waits for a file the test makes after exec -d has returned: an exec that waited would never return
    const detached = ns.miniRun(c.args(['exec', '-d', 'web', 'sh', '-c', 'until [ -f /tmp/go ]; do sleep 0.1; done; echo done > /tmp/done']), { cwd: c.dir, timeout: 30_000 })
    expect([detached.status, detached.stdout, detached.stderr]).toEqual([0, '', ''])
    expect(c(['exec', '-T', 'web', 'test', '-f', '/tmp/done']).status).toBe(1)
    expect(c(['exec', '-T', 'web', 'touch', '/tmp/go']).status).toBe(0)
    await until('the detached command to finish', () => c(['exec', '-T', 'web', 'cat', '/tmp/done']).stdout === 'done\n', 20_000)
    expect(c(['exec', '--help']).stdout).toMatch(/-d, --detach +start the command and leave it running in the container/)
    expect(c(['down']).status).toBe(0)
  })

  it('start starts a service once its dependencies meet their depends_on conditions, as up does', async () => {
    // db is healthy once the test makes shared/go; web writes down whether it was there when web started
    const c = project(`services:
${sleeper('db', '    volumes: ["./shared:/shared"]\n    healthcheck: {test: [CMD, test, -f, /shared/go], interval: 300ms, retries: 1000}\n')}  web:
    image: ${BUSYBOX}
    command: sh -c 'if [ -f /shared/go ]; then echo after; else echo before; fi > /shared/web; exec sleep 1000'
    volumes: ["./shared:/shared"]
    depends_on: {db: {condition: service_healthy}}
    init: true
    cgroup_parent: \${CG}
`)
    const p = c.projectName
    const shared = join(c.dir, 'shared')
    mkdirSync(shared)
    writeFileSync(join(shared, 'go'), '')
    expect(c(['up', '-d']).status).toBe(0)
    // web's shell writes its line once it runs, which may be after up (or start) has returned
    const written = async () => {
      const file = join(shared, 'web')
      await until('web\'s line', () => existsSync(file) && readFileSync(file, 'utf8') !== '', 20_000)
      return readFileSync(file, 'utf8')
    }
    expect(await written()).toBe('after\n')
    expect(c(['stop']).status).toBe(0)
    rmSync(join(shared, 'go'))
    rmSync(join(shared, 'web'))
    const started = ns.miniRunAsync(c.args(['start']))
    try {
      await until('db running again', () => c(['ps', '--format', '{{.Service}}']).stdout === 'db\n', 20_000)
      writeFileSync(join(shared, 'go'), '')
      const r = await started.done
      expect([r.status, r.stdout]).toEqual([0, ''])
      const lines = r.stderr.split('\n')
      expect(lines.indexOf(` Container ${p}-db-1  Healthy`)).toBeGreaterThan(lines.indexOf(` Container ${p}-db-1  Started`))
      expect(lines.indexOf(` Container ${p}-web-1  Starting`)).toBeGreaterThan(lines.indexOf(` Container ${p}-db-1  Healthy`))
    } finally {
      started.kill()
    }
    expect(await written()).toBe('after\n')
    expect(c(['down']).status).toBe(0)
  })

  it('start web starts what web depends on first, as docker compose selects a named service with its dependencies; stop db stops db alone', () => {
    const c = project(`services:\n${sleeper('db')}${sleeper('web', '    depends_on: [db]\n')}${sleeper('other')}`)
    const p = c.projectName
    const states = () => c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout
    expect(c(['up', '-d']).status).toBe(0)
    expect(c(['stop', 'db']).status).toBe(0)
    expect(states()).toBe('db exited\nother running\nweb running\n')
    expect(c(['stop']).status).toBe(0)
    const r = c(['start', 'web'])
    expect(r.status).toBe(0)
    const lines = r.stderr.split('\n')
    expect(lines.indexOf(` Container ${p}-web-1  Starting`)).toBeGreaterThan(lines.indexOf(` Container ${p}-db-1  Started`))
    expect(states()).toBe('db running\nother exited\nweb running\n')
    expect(c(['down']).status).toBe(0)
  })

  it('attached up says each container\'s exit with its code; Ctrl-C stops the services and ends it with 130', async () => {
    const job = project(`services:\n  job:\n    image: ${BUSYBOX}\n    command: sh -c 'echo working; exit 3'\n    cgroup_parent: \${CG}\n`)
    const ended = job(['up'])
    expect([ended.status, ended.stdout]).toEqual([0, 'Attaching to job-1\njob-1  | working\njob-1 exited with code 3\n'])

    const talk = project(`services:\n  talk:\n    image: ${BUSYBOX}\n    command: sh -c 'echo hello; exec sleep 1000'\n    init: true\n    cgroup_parent: \${CG}\n`)
    // one SIGINT to mini-run alone, as a terminal's Ctrl-C sends it, once the service has spoken
    const up = spawn('nsenter', [`--net=/proc/${ns.pid}/ns/net`, 'mini-run', ...talk.args(['up'])], { cwd: talk.dir, stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv() })
    let stdout = ''
    let stderr = ''
    up.stdout.on('data', (d) => (stdout += d))
    up.stderr.on('data', (d) => (stderr += d))
    const closed = new Promise<number | null>((resolve) => up.on('close', (status) => resolve(status)))
    try {
      await until('talk to say hello', () => stdout.includes('talk-1  | hello\n'), 60_000)
      up.kill('SIGINT')
      expect(await closed, stderr).toBe(130)
    } finally {
      up.kill('SIGKILL')
    }
    expect(stdout).toMatch(/^Attaching to talk-1\ntalk-1  \| hello\ntalk-1 exited with code \d+\n$/)
    expect(stderr).toMatch(new RegExp(`Gracefully stopping\\.\\.\\.[^]*Container ${talk.projectName}-talk-1 {2}Stopped`))
    expect(talk(['ps', '-a', '--format', '{{.State}}']).stdout).toBe('exited\n')
    expect(job(['down']).status).toBe(0)
    expect(talk(['down']).status).toBe(0)
  })

  it('up --abort-on-container-exit --exit-code-from: the first exit stops every container, and up ends with that service\'s code', () => {
    const c = project(`services:\n${sleeper('db')}  test:\n    image: ${BUSYBOX}\n    command: sh -c 'echo testing; exit 3'\n    cgroup_parent: \${CG}\n`)
    const refused = c(['up', '-d', '--exit-code-from', 'test'])
    expect([refused.status, refused.stderr]).toEqual([1, 'mini-run: --detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch\n'])
    // docker compose's other refusals, in its words
    expect(c(['up', '--wait', '--attach', 'db']).stderr).toBe('mini-run: --wait cannot be combined with --abort-on-container-exit, --attach or --attach-dependencies\n')
    expect(c(['up', '-d', '--attach', 'db']).stderr).toBe('mini-run: --detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch\n')
    expect(c(['up', '--no-recreate', '-V']).stderr).toBe('mini-run: --no-recreate and --renew-anon-volumes are incompatible\n')
    expect(c(['up', '--build', '--no-build']).stderr).toBe('mini-run: --build and --no-build are incompatible\n')
    expect(c(['up', '--exit-code-from', 'nope']).stderr).toContain('no such service: nope')
    const up = c(['up', '--abort-on-container-exit', '--exit-code-from', 'test'])
    expect([up.status, up.stderr]).toEqual([3, expect.not.stringMatching(/mini-run: /)])
    expect(up.stdout).toContain('test-1  | testing\ntest-1 exited with code 3\nAborting on container exit...\n')
    expect(up.stdout).toMatch(/\ndb-1 exited with code \d+\n/)
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('db exited\ntest exited\n')
    // without --exit-code-from: the code of the first container to exit
    const again = c(['up', '--abort-on-container-exit'])
    expect(again.status).toBe(3)
    expect(c(['down']).status).toBe(0)
  })

  it('up --abort-on-container-failure: a clean exit stops nothing, a failing one stops them all with its code; --attach-dependencies, --timestamps', () => {
    const job = (name: string, line: string, code: number, extra = '') => `  ${name}:\n    image: ${BUSYBOX}\n    command: sh -c 'echo ${line}; exit ${code}'\n    cgroup_parent: \${CG}\n${extra}`
    // bad starts once ok has exited cleanly: the order is the file's, not a race
    const c = project(`services:\n${sleeper('db')}${job('ok', 'fine', 0)}${job('bad', 'failing; sleep 2', 4, '    depends_on:\n      ok: {condition: service_completed_successfully}\n')}`)
    const refused = c(['up', '-d', '--abort-on-container-failure'])
    expect([refused.status, refused.stderr]).toEqual([1, 'mini-run: --detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch\n'])
    expect(c(['up', '--abort-on-container-failure', '--abort-on-container-exit']).stderr).toBe('mini-run: --abort-on-container-failure cannot be combined with --abort-on-container-exit\n')
    expect(c(['up', '--attach', 'db', '--attach-dependencies']).stderr).toBe('mini-run: cannot combine --attach and --attach-dependencies\n')
    const up = c(['up', '--abort-on-container-failure'])
    expect([up.status, up.stderr]).toEqual([4, expect.not.stringMatching(/mini-run: /)])
    // ok's clean exit, seen first, stopped nothing: bad's failure did, and its code is up's
    expect(up.stdout).toContain('ok-1 exited with code 0\n')
    expect(up.stdout).toContain('bad-1 exited with code 4\n')
    expect(up.stdout).toContain('Aborting on container exit...\n')
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('bad exited\ndb exited\nok exited\n')
    // bad alone: its own output; with --attach-dependencies, ok's (and db's) too; --timestamps before each line
    const alone = c(['up', '--abort-on-container-failure', 'bad'])
    expect([alone.status, alone.stdout.includes('| fine')]).toEqual([4, false])
    // a dependency's exit, shown by --attach-dependencies, stops nothing: only the services named are watched
    const cascade = c(['up', '--abort-on-container-exit', '--attach-dependencies', 'bad'])
    expect([cascade.status, cascade.stdout]).toEqual([4, expect.stringContaining('ok-1 exited with code 0\n')])
    const withDeps = c(['up', '--abort-on-container-failure', '--attach-dependencies', '--timestamps', 'bad'])
    expect(withDeps.status).toBe(4)
    expect(withDeps.stdout).toMatch(/^ok-1 {3}\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z fine$/m)
    expect(withDeps.stdout).toMatch(/^bad-1 {2}\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z failing$/m)
    expect(c(['down']).status).toBe(0)
  })

  it('up --force-recreate replaces the services named, --always-recreate-deps their dependencies too', () => {
    const c = project(`services:\n${sleeper('db')}${sleeper('web', '    depends_on: [db]\n')}`)
    expect(c(['up', '-d']).status).toBe(0)
    const idOf = (service: string) => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', `${c.projectName}-${service}-1`]).stdout)[0].Id as string
    const [db, web] = [idOf('db'), idOf('web')]
    expect(c(['up', '-d', '--force-recreate', 'web']).status).toBe(0)
    expect([idOf('db') === db, idOf('web') === web]).toEqual([true, false])
    const web2 = idOf('web')
    expect(c(['up', '-d', '--always-recreate-deps', 'web']).status).toBe(0)
    expect([idOf('db') === db, idOf('web') === web2]).toEqual([false, true])
    expect(c(['up', '-d', '--always-recreate-deps', '--no-recreate']).stderr).toBe('mini-run: --always-recreate-deps and --no-recreate are incompatible\n')
    expect(c(['down']).status).toBe(0)
  })

  it('up --quiet-build hides the build\'s output; -y and --menu=false are taken, as docker compose takes them', () => {
    const c = project(`services:\n  app:\n    build: ./app\n    command: [sleep, "1000"]\n    init: true\n    cgroup_parent: \${CG}\n`)
    mkdirSync(join(c.dir, 'app'))
    writeFileSync(join(c.dir, 'app', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo built-here\n`)
    const loud = c(['up', '-d', '--build'])
    expect(loud.status, loud.stderr).toBe(0)
    expect(loud.stdout + loud.stderr).toContain('built-here')
    // a changed step, built again: its RUN runs, quietly
    writeFileSync(join(c.dir, 'app', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo built-here again\n`)
    const quiet = c(['up', '-d', '--build', '--quiet-build', '-y', '--menu=false'])
    expect(quiet.status, quiet.stderr).toBe(0)
    expect(quiet.stdout + quiet.stderr).not.toMatch(/built-here|STEP/)
    expect(c(['down', '--rmi', 'local']).status).toBe(0)
  })

  it('up --wait returns once the services run and pass their health checks; one that exits or turns unhealthy fails it', () => {
    const c = project(`services:
${sleeper('web', '    healthcheck: {test: [CMD, "true"], interval: 300ms}\n')}${sleeper('plain')}${sleeper('sick', '    healthcheck: {test: [CMD, "false"], interval: 300ms, retries: 1}\n')}  quits:
    image: ${BUSYBOX}
    command: sh -c 'sleep 1; exit 3'
    healthcheck: {test: [CMD, "true"], interval: 300s}
    cgroup_parent: \${CG}
`)
    const p = c.projectName
    const up = c(['up', '--wait', 'web', 'plain'])
    expect([up.status, up.stderr]).toEqual([0, expect.stringContaining(`Container ${p}-web-1  Healthy`)])
    expect(c(['ps', '--format', '{{.Service}} {{.Status}}']).stdout).toMatch(/^plain Up .*\nweb Up .*\(healthy\)\n$/)
    const quits = c(['up', '--wait', 'quits'])
    expect([quits.status, quits.stderr]).toEqual([1, expect.stringContaining(`container ${p}-quits-1 exited (3)`)])
    const sick = c(['up', '--wait', 'sick'])
    expect([sick.status, sick.stderr]).toEqual([1, expect.stringContaining(`container ${p}-sick-1 is unhealthy`)])
    // start --wait: the same wait after a start; ps --no-trunc: the command whole
    expect(c(['stop', 'web']).status).toBe(0)
    const started = c(['start', '--wait', '--wait-timeout', '60', 'web'])
    expect([started.status, started.stderr]).toEqual([0, expect.stringContaining(`Container ${p}-web-1  Healthy`)])
    expect(c(['start', '--wait', 'sick']).status).toBe(1)
    expect(c(['start', '--wait-timeout', 'soon', 'web']).stderr).toBe('mini-run: invalid --wait-timeout "soon": a whole number of seconds\n')
    expect(c(['ps', '--format', '{{.Command}}', 'quits']).stdout).toBe('')
    expect(c(['ps', '-a', '--format', '{{.Command}}', 'quits']).stdout).toBe('"sh -c sleep 1; exit…"\n')
    expect(c(['ps', '-a', '--no-trunc', '--format', '{{.Command}}', 'quits']).stdout).toBe('"sh -c sleep 1; exit 3"\n')
    expect(c(['down']).status).toBe(0)
  })

  it('up --wait: a service waited on with service_completed_successfully has only to exit 0; up -d of a profiled service brings its profile\'s dependency', () => {
    const c = project(`services:
  migrate:
    image: ${BUSYBOX}
    command: "true"
    cgroup_parent: \${CG}
${sleeper('app', '    depends_on: {migrate: {condition: service_completed_successfully}}\n')}${sleeper('mock', '    profiles: [dev]\n    depends_on: [db]\n')}${sleeper('db', '    profiles: [dev]\n')}`)
    const up = c(['up', '--wait'])
    expect([up.status, up.stderr]).toEqual([0, expect.stringContaining(`Container ${c.projectName}-app-1  Running`)])
    expect(c(['up', '-d', 'mock']).status).toBe(0)
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('app running\ndb running\nmigrate exited\nmock running\n')
    expect(c(['down']).status).toBe(0)
  })

  it('ps --format json gives docker compose\'s Publishers and a numeric ExitCode', async () => {
    const c = project(`services:\n${sleeper('web', '    ports: ["127.0.0.1:18282:80", "18283-18284:81-82/udp"]\n    expose: ["9000"]\n')}  job:\n    image: ${BUSYBOX}\n    command: sh -c 'exit 3'\n    cgroup_parent: \${CG}\n`)
    expect(c(['up', '-d', 'web']).status).toBe(0)
    expect(c(['up', 'job']).status).toBe(0)
    const rows = c(['ps', '-a', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(rows.map((r) => [r.Service, r.ExitCode, r.Publishers])).toEqual([
      ['job', 3, []],
      ['web', 0, [
        { URL: '127.0.0.1', TargetPort: 80, PublishedPort: 18282, Protocol: 'tcp' },
        { URL: '0.0.0.0', TargetPort: 81, PublishedPort: 18283, Protocol: 'udp' },
        { URL: '0.0.0.0', TargetPort: 82, PublishedPort: 18284, Protocol: 'udp' },
        { URL: '', TargetPort: 9000, PublishedPort: 0, Protocol: 'tcp' },
      ]],
    ])
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.ExitCode}}']).stdout).toBe('job 3\nweb 0\n')
    expect(c(['down']).status).toBe(0)
  })

  it('logs -f goes on through a restart: a service its restart policy starts again is followed in its next run', async () => {
    const c = project(`services:\n  flaky:\n    image: ${BUSYBOX}\n    command: [sh, -c, "echo round; sleep 0.5; exit 1"]\n    restart: always\n    network_mode: none\n    cgroup_parent: \${CG}\n`)
    expect(c(['up', '-d']).status).toBe(0)
    // a follow that ended at the container's first exit would show one round, and end by itself
    const follow = ns.miniRunAsync(c.args(['logs', '-f', '--no-log-prefix', 'flaky']), undefined, c.dir)
    const rounds = (out: string) => out.split('\n').filter((l) => l === 'round').length
    let followed
    try {
      await until('three rounds followed', () => rounds(follow.output()) >= 3, 60_000)
      follow.child.kill('SIGINT')
      followed = await follow.done
    } finally {
      follow.kill()
    }
    expect(rounds(followed.stdout)).toBeGreaterThanOrEqual(3)
    expect(c(['down']).status).toBe(0)
  })

  it('-p NAME without a compose file: the verbs act on the project its containers\' labels tell, in depends_on order', () => {
    const c = project(`services:\n${sleeper('db')}${sleeper('web', '    depends_on: [db]\n    container_name: ${CN}\n')}`.replace('${CN}', `m${n + 1}-front`))
    const p = c.projectName
    expect(c(['up', '-d']).status).toBe(0)
    // from a directory whose compose file is another project's: -p without -f reads no file, as Docker Compose
    const away = join(env.dir, `${p}-away`)
    mkdirSync(away, { recursive: true })
    writeFileSync(join(away, 'compose.yaml'), `services:\n${sleeper('other')}`)
    const byName = (more: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', p, ...more], { cwd: away, timeout: 120_000 })
    const ok = (more: string[]) => {
      const r = byName(more)
      expect([more, r.status, r.stderr]).toEqual([more, 0, expect.not.stringMatching(/mini-run: /)])
      return r.stdout
    }
    const states = () => ok(['ps', '-a', '--format', '{{.Name}} {{.State}}'])
    expect(states()).toBe(`${p}-db-1 running\n${p}-front running\n`)
    expect(ok(['ps', '--services'])).toBe('db\nweb\n')
    expect(ok(['exec', '-T', 'web', 'echo', 'in web'])).toBe('in web\n')
    expect(ok(['top', 'db'])).toMatch(new RegExp(`^${p}-db-1\\n`))
    expect(ok(['images', '-q', 'web'])).toMatch(/^[0-9a-f]{64}\n$/)
    // stop: the dependent first; start: the dependency first (their events say the order)
    const stopped = byName(['stop'])
    expect(stopped.status).toBe(0)
    expect(stopped.stderr.indexOf(`${p}-front`)).toBeLessThan(stopped.stderr.indexOf(`${p}-db-1`))
    expect(states()).toBe(`${p}-db-1 exited\n${p}-front exited\n`)
    const started = byName(['start'])
    expect(started.status).toBe(0)
    expect(started.stderr.indexOf(`${p}-db-1`)).toBeLessThan(started.stderr.indexOf(`${p}-front`))
    ok(['restart', 'web'])
    ok(['kill', 'web'])
    expect(states()).toBe(`${p}-db-1 running\n${p}-front exited\n`)
    expect(ok(['rm', '-f', 'web'])).toBe(`Going to remove ${p}-front\n`)
    // a service whose only container is a one-off (compose run) is the project's too
    expect(c(['run', '--name', `${p}-once`, 'db', 'true']).status).toBe(0)
    expect(ok(['ps', '-a', '--format', '{{.Name}}', 'db']).split('\n').filter(Boolean).sort()).toEqual([`${p}-db-1`, `${p}-once`])
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'rm', `${p}-once`]).status).toBe(0)
    // a service it does not have, and a project with no container: one line, as with a file
    const nosuch = byName(['stop', 'cache'])
    expect([nosuch.status, nosuch.stderr]).toEqual([1, expect.stringMatching(/^mini-run: .*cache.*\n$/)])
    const empty = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'nosuchproject', 'ps', '-a', '-q'], { cwd: away })
    expect([empty.status, empty.stdout, empty.stderr]).toEqual([0, '', ''])
    // no -p, no file: COMPOSE_PROJECT_NAME names it
    const bare = join(env.dir, `${p}-bare`)
    mkdirSync(bare, { recursive: true })
    const byEnv = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', 'ps', '-a', '--format', '{{.Name}}'], { cwd: bare, env: { ...process.env, COMPOSE_PROJECT_NAME: p } })
    expect([byEnv.status, byEnv.stdout]).toEqual([0, `${p}-db-1\n`])
    // up still needs a file
    const up = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', p, 'up', '-d'], { cwd: bare })
    expect([up.status, up.stderr]).toEqual([1, expect.stringMatching(/^mini-run: no configuration file provided: not found/)])
    ok(['down'])
    expect(states()).toBe('')
  })

  it('leaves nothing behind once each project is down', () => {
    for (let i = 1; i <= n; i++) expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `m${i}`, 'down', '-v'], { cwd: join(env.dir, `m${i}`) }).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  })
})
