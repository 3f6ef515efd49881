// compose's verbs on one service's running container (attach, commit,
// export), stats over the project's containers, and push of the images the
// services build (cli/commands/compose-service-verbs.ts): as root, in a
// network namespace of the test's own (helpers/netns.ts); push talks to
// Debian's docker-registry on 127.0.0.1.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'
import { until } from './helpers/until.js'
import { freePort, registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { miniRun } from './helpers/cli.js'
import { refFileName } from '../src/image/refs.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose attach, commit, export, stats (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let n = 0
  const cli = (args: string[], o: Parameters<Netns['miniRun']>[1] = {}) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args], { timeout: 120_000, ...o })
  /** A project of its own in a new directory: `c(args)` runs compose on it. */
  const project = (yaml: string) => {
    const dir = join(env.dir, `v${++n}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), yaml.replaceAll('${CG}', env.cgroupParent))
    const name = `v${n}`
    return Object.assign((more: string[], o: Parameters<Netns['miniRun']>[1] = {}) => cli(['compose', '-p', name, '-f', join(dir, 'compose.yaml'), ...more], { cwd: dir, ...o }), { projectName: name, dir })
  }
  const service = (name: string, command: string, extra = '') =>
    `  ${name}:\n    image: ${BUSYBOX}\n    command: [sh, -c, ${JSON.stringify(command)}]\n    init: true\n    cgroup_parent: \${CG}\n${extra}`

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
  })
  afterAll(() => {
    for (let i = 1; i <= n; i++) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `v${i}`, 'down', '-v'], { cwd: join(env.dir, `v${i}`) })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('attach joins the service\'s running container: its input and output, and its exit code; --index picks a replica', () => {
    const c = project(`services:\n${service('echo', 'read l; echo "$$HOSTNAME got $$l"; exit 3', '    stdin_open: true\n    scale: 2\n')}`)
    const up = c(['up', '-d'])
    expect(up.status, up.stderr).toBe(0)
    const first = c(['attach', 'echo'], { input: 'one\n' })
    expect(first.status, first.stderr).toBe(3)
    const host1 = JSON.parse(cli(['inspect', `${c.projectName}-echo-1`]).stdout)[0].Config.Hostname as string
    expect(first.stdout).toBe(`${host1} got one\n`)
    // #1 has exited: the first running one is #2 now, which --index names too
    const host2 = JSON.parse(cli(['inspect', `${c.projectName}-echo-2`]).stdout)[0].Config.Hostname as string
    expect(c(['attach', '--index', '1', 'echo']).stderr).toBe('mini-run: service "echo" is not running container #1\n')
    const second = c(['attach', '--index', '2', 'echo'], { input: 'two\n' })
    expect([second.status, second.stdout]).toEqual([3, `${host2} got two\n`])
    const none = c(['attach', 'echo'])
    expect([none.status, none.stderr]).toEqual([1, 'mini-run: service "echo" is not running\n'])
    expect(c(['attach', 'nope']).stderr).toBe('mini-run: no such service: nope\n')
    expect(c(['attach', '--index', 'x', 'echo']).stderr).toMatch(/invalid --index "x"/)
  })

  it('commit makes an image of the service\'s container, export writes its files; each picks by --index', async () => {
    const c = project(`services:\n${service('app', 'echo "$$HOSTNAME" > /mine; sleep 1000', '    scale: 2\n')}`)
    expect(c(['up', '-d', '--wait']).status).toBe(0)
    const hostOf = (i: number) => JSON.parse(cli(['inspect', `${c.projectName}-app-${i}`]).stdout)[0].Config.Hostname as string
    const snap = `${c.projectName}-snap:2`
    const committed = c(['commit', '--index', '2', '-m', 'the second', '-c', 'ENV MADE=by-compose', 'app', snap])
    expect(committed.status, committed.stderr).toBe(0)
    expect(committed.stdout).toBe('')
    const image = JSON.parse(cli(['image', 'inspect', snap]).stdout)[0] as { Id: string; Config: { Env: string[] }; Comment?: string }
    expect(committed.stderr.split('\n')).toEqual([` Container ${c.projectName}-app-2  Committing`, ` Container ${c.projectName}-app-2  Committed as ${image.Id}`, ''])
    expect(image.Config.Env).toContain('MADE=by-compose')
    const ran = cli(['run', '--rm', '--network', 'none', '--cgroup-parent', env.cgroupParent, snap, 'cat', '/mine'])
    expect([ran.status, ran.stdout]).toEqual([0, `${hostOf(2)}\n`])

    // export: to a file with -o, to a pipe without; the first running container unless --index
    const out = join(c.dir, 'app.tar')
    const exported = c(['export', '-o', out, 'app'])
    expect(exported.status, exported.stderr).toBe(0)
    expect(exported.stderr.split('\n')).toEqual([` Container ${c.projectName}-app-1  Exporting`, ` Container ${c.projectName}-app-1  Exported`, ''])
    const fromFile = spawnSync('tar', ['-xOf', out, 'mine'], { encoding: 'utf8' })
    expect(fromFile.stdout).toBe(`${hostOf(1)}\n`)
    const compose = `mini-run --root ${env.storeRoot} --state ${env.stateRoot} compose -p ${c.projectName} -f ${join(c.dir, 'compose.yaml')}`
    const piped = ns.exec(['bash', '-c', `set -o pipefail; ${compose} export --index 2 app | tar -xO mine`])
    expect([piped.status, piped.stdout], piped.stderr).toEqual([0, `${hostOf(2)}\n`])

    expect(c(['stop', 'app']).status).toBe(0)
    expect(c(['export', '-o', out, 'app']).stderr).toBe('mini-run: service "app" is not running\n')
    expect(c(['commit', 'app']).stderr).toBe('mini-run: service "app" is not running\n')
    // a running one-off container is picked when no replica runs, but --index names replicas only
    const oneOff = c(['run', '-d', 'app'])
    expect(oneOff.status, oneOff.stderr).toBe(0)
    const oneOffHost = JSON.parse(cli(['inspect', oneOff.stdout.trim()]).stdout)[0].Config.Hostname as string
    await until('the one-off container wrote its file', () => cli(['exec', oneOff.stdout.trim(), 'cat', '/mine']).stdout === `${oneOffHost}\n`)
    expect(c(['export', '--index', '1', '-o', out, 'app']).stderr).toBe('mini-run: service "app" is not running container #1\n')
    expect(c(['export', '--index', '0', '-o', out, 'app']).status).toBe(0)
    expect(spawnSync('tar', ['-xOf', out, 'mine'], { encoding: 'utf8' }).stdout).toBe(`${oneOffHost}\n`)
    expect(cli(['rmi', snap]).status).toBe(0)
  })

  it('Ctrl-C during a compose build\'s RUN stops it: exit 130, its container killed and removed, nothing mounted', async () => {
    const c = project('services:\n  app:\n    build: ./app\n')
    mkdirSync(join(c.dir, 'app'))
    writeFileSync(join(c.dir, 'app', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN sleep 4321\n`)
    const mounts = () => readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(env.dir)).length
    const before = mounts()
    const running = () => spawnSync('pgrep', ['-f', '^sleep 4321$']).status === 0
    const b = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', c.projectName, '-f', join(c.dir, 'compose.yaml'), 'build'], undefined, c.dir)
    try {
      await until('the RUN to be running', running, 60_000)
    } finally {
      b.child.kill('SIGINT')
    }
    const r = await b.done
    expect([r.status, r.stderr.split('\n').filter((l) => l.startsWith('mini-run:'))]).toEqual([130, ['mini-run: build interrupted']])
    expect(running()).toBe(false)
    expect(cli(['ps', '-a', '--no-trunc', '--format', '{{.Command}}']).stdout).not.toContain('sleep 4321')
    expect(mounts()).toBe(before)
  })

  it('stats shows the project\'s running containers, a service\'s alone, and stopped ones with -a', () => {
    const c = project(`services:\n${service('a', 'sleep 1000')}${service('b', 'sleep 1000')}${service('done', 'true', '    restart: "no"\n')}`)
    const other = project(`services:\n${service('x', 'sleep 1000')}`)
    expect(c(['up', '-d']).status).toBe(0)
    expect(other(['up', '-d']).status).toBe(0)
    // (its own exit, not compose wait's: that one waits for running containers)
    expect(cli(['wait', `${c.projectName}-done-1`]).stdout).toBe('0\n')
    const names = (more: string[]) => {
      const r = c(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', ...more])
      expect(r.status, r.stderr).toBe(0)
      return r.stdout.split('\n').filter(Boolean).sort()
    }
    // a running container has its init and sleep; another project's container is not shown
    expect(names([])).toEqual([`${c.projectName}-a-1 2`, `${c.projectName}-b-1 2`])
    expect(names(['b'])).toEqual([`${c.projectName}-b-1 2`])
    expect(names(['-a'])).toEqual(['-- 0', `${c.projectName}-a-1 2`, `${c.projectName}-b-1 2`])
    const table = c(['stats', '--no-stream', 'a'])
    expect(table.stdout.split('\n')[0]).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/)
    // by the labels, as Docker Compose filters: a service without containers shows none
    const none = c(['stats', '--no-stream', '--format', '{{.Name}}', 'nope'])
    expect([none.status, none.stdout]).toEqual([0, ''])
  })
})

const noRegistry = registryUnavailable()

describe.skipIf(!isRoot || noRegistry)(`compose push${noRegistry ? ` (skipped: ${noRegistry})` : ''}`, () => {
  let env: TestEnv
  let registry: RegistryServer
  let dir: string

  beforeAll(async () => {
    env = await makeTestEnv()
    registry = await startRegistry()
    dir = join(env.dir, 'push')
    mkdirSync(join(dir, 'app'), { recursive: true })
    writeFileSync(join(dir, 'app', 'Dockerfile'), `FROM ${BUSYBOX}\nLABEL made=compose-push\n`)
  })
  afterAll(async () => {
    await registry?.stop()
    env?.cleanup()
  })

  const tags = async (repo: string): Promise<string[]> => {
    const r = await fetch(`${registry.url}/v2/${repo}/tags/list`)
    return r.status === 404 ? [] : (((await r.json()) as { tags: string[] | null }).tags ?? []).sort()
  }
  const compose = (yaml: string, args: string[]) => {
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    return miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'push', ...args], { cwd: dir, timeout: 120_000 })
  }

  it('pushes each built and named image with its build.tags; a service without a named build is Skipped', async () => {
    const yaml = [
      'services:',
      '  app:',
      `    image: ${registry.host}/app:1`,
      `    build: {context: ./app, tags: ["${registry.host}/app:extra"]}`,
      '    depends_on: [dep]',
      '  dep:',
      `    image: ${registry.host}/dep:1`,
      '    build: ./app',
      '  unnamed:',
      '    build: ./app',
      '  plain:',
      `    image: ${BUSYBOX}`,
      '  tagsonly:',
      `    build: {context: ./app, tags: ["${registry.host}/tagsonly:1"]}`,
      '',
    ].join('\n')
    const built = compose(yaml, ['build'])
    expect(built.status, built.stderr).toBe(0)
    // the build gave the image its tags too
    const id = (ref: string) => JSON.parse(miniRun(['--root', env.storeRoot, 'image', 'inspect', ref]).stdout)[0]?.Id as string | undefined
    expect(id(`${registry.host}/app:1`)).toMatch(/^sha256:/)
    expect(id(`${registry.host}/app:extra`)).toBe(id(`${registry.host}/app:1`))

    // app alone: not its dependency
    const one = compose(yaml, ['push', 'app'])
    expect(one.status, one.stderr).toBe(0)
    expect(one.stderr.split('\n')).toEqual([
      ` Image ${registry.host}/app:1  Pushing`,
      ` Image ${registry.host}/app:1  Pushed`,
      ` Image ${registry.host}/app:extra  Pushing`,
      ` Image ${registry.host}/app:extra  Pushed`,
      '',
    ])
    expect(await tags('app')).toEqual(['1', 'extra'])
    expect(await tags('dep')).toEqual([])

    const withDeps = compose(yaml, ['push', '--include-deps', '-q', 'app'])
    expect([withDeps.status, withDeps.stderr]).toEqual([0, ''])
    expect(await tags('dep')).toEqual(['1'])

    const all = compose(yaml, ['push'])
    expect(all.status, all.stderr).toBe(0)
    expect(all.stderr).toContain(' Image plain  Skipped\n')
    expect(all.stderr).toContain(' Image unnamed  Skipped\n')
    // a build without image: is not pushed, whatever its tags
    expect(all.stderr).toContain(' Image tagsonly  Skipped\n')
    expect(await tags('tagsonly')).toEqual([])
  })

  it('a failed push fails the verb, or with --ignore-push-failures is a warning and the others are pushed', async () => {
    const closed = `127.0.0.1:${await freePort()}`
    const yaml = ['services:', '  a:', `    image: ${closed}/a:1`, '    build: ./app', '  b:', `    image: ${registry.host}/b:1`, '    build: ./app', ''].join('\n')
    expect(compose(yaml, ['build']).status).toBe(0)
    const failed = compose(yaml, ['push'])
    expect(failed.status).not.toBe(0)
    expect(failed.stderr).toMatch(new RegExp(`^mini-run: pushing ${closed}/a:1 \\(service a\\): .*$`, 'm'))
    const ignored = compose(yaml, ['push', '--ignore-push-failures'])
    expect(ignored.status, ignored.stderr).toBe(0)
    expect(ignored.stderr).toMatch(new RegExp(`^WARNING: pushing ${closed}/a:1: `, 'm'))
    expect(await tags('b')).toEqual(['1'])
  })

  it('compose build --build-arg (KEY=VALUE, or KEY from the environment) over the file\'s args; -q says nothing; --with-dependencies; --push', async () => {
    mkdirSync(join(dir, 'argapp'), { recursive: true })
    writeFileSync(join(dir, 'argapp', 'Dockerfile'), `FROM ${BUSYBOX}\nARG X\nARG Y=default\nRUN echo "$X $Y" > /args\n`)
    const yaml = [
      'services:',
      '  web:',
      `    image: ${registry.host}/argweb:1`,
      '    build: {context: ./argapp, args: {X: file}}',
      '    depends_on: [lib]',
      '  lib:',
      `    image: ${registry.host}/arglib:1`,
      '    build: ./argapp',
      '',
    ].join('\n')
    const argsOf = (ref: string) => miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'run', '--rm', '--network', 'none', ref, 'cat', '/args']).stdout
    const imageOf = (ref: string) => miniRun(['--root', env.storeRoot, 'images', '-q', ref]).stdout
    expect(compose(yaml, ['build', '-q', 'web'])).toMatchObject({ status: 0, stdout: '', stderr: '' })
    expect(argsOf(`${registry.host}/argweb:1`)).toBe('file default\n')
    // web alone: lib is not built
    expect(imageOf(`${registry.host}/arglib:1`)).toBe('')
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    const withArgs = miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'push', 'build', '--build-arg', 'X=cli', '--build-arg', 'Y', '--build-arg', 'UNSET', '--with-dependencies', '--push', 'web'], {
      cwd: dir,
      timeout: 120_000,
      env: { ...process.env, Y: 'from-env', UNSET: undefined },
    })
    expect(withArgs.status, withArgs.stderr).toBe(0)
    expect(argsOf(`${registry.host}/argweb:1`)).toBe('cli from-env\n')
    expect(argsOf(`${registry.host}/arglib:1`)).toBe('cli from-env\n')
    expect([await tags('argweb'), await tags('arglib')]).toEqual([['1'], ['1']])
    // a bare KEY the environment lacks takes the file's value away: the Dockerfile's default applies (none for X)
    const dropped = miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'push', 'build', '--build-arg', 'X', 'web'], { cwd: dir, timeout: 120_000, env: { ...process.env, X: undefined } })
    expect(dropped.status, dropped.stderr).toBe(0)
    expect(argsOf(`${registry.host}/argweb:1`)).toBe(' default\n')
    expect(compose(yaml, ['build', '--progress', 'fancy']).stderr).toBe('mini-run: unsupported --progress value "fancy" (auto, tty, plain, json or quiet)\n')
    // build's --progress is compose's, given after the verb (docker compose keeps it): json, and the last one given wins
    const json = compose(yaml, ['--progress', 'plain', 'build', '--progress', 'json', 'lib'])
    expect([json.status, json.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l).id)]).toEqual([0, expect.arrayContaining([`Image ${registry.host}/arglib:1`])])
  })

  it('compose pull --include-deps, --ignore-buildable, --policy missing|always|never|build', () => {
    // the images the build-arg test pushed, pulled into a store of its own
    const yaml = [
      'services:',
      '  web:',
      `    image: ${registry.host}/argweb:1`,
      '    depends_on: [lib]',
      '  lib:',
      `    image: ${registry.host}/arglib:1`,
      // built, and never pushed: its pull (policy always) fails unless --ignore-buildable leaves it out
      '  made:',
      `    image: ${registry.host}/madeonly:1`,
      '    build: ./argapp',
      '    pull_policy: always',
      '',
    ].join('\n')
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    const root = join(dir, 'pulled')
    const pull = (args: string[]) => miniRun(['--root', root, '--state', env.stateRoot, 'compose', '-p', 'push', 'pull', ...args], { cwd: dir, timeout: 120_000 })
    const images = () => miniRun(['--root', root, 'images', '--format', '{{.Repository}}']).stdout.split('\n').filter(Boolean).sort()
    expect(pull(['web']).status).toBe(0)
    expect(images()).toEqual([`${registry.host}/argweb`])
    // a service that can be built: its pull's failure is a warning, as docker compose's mustBuild
    const made = pull(['made'])
    expect([made.status, made.stderr]).toEqual([0, expect.stringContaining('WARNING: Some service image(s) must be built from source by running:\n    mini-run compose build made\n')])
    const deps = pull(['--include-deps', '--ignore-buildable', 'web', 'made'])
    expect([deps.status, deps.stderr.includes('madeonly')]).toEqual([0, false])
    // a build without image: has nothing to pull, whatever the policy; nor a pull_policy: never
    writeFileSync(join(dir, 'compose.yaml'), `${yaml}  local:\n    build: ./argapp\n  pinned:\n    image: ${registry.host}/nowhere:1\n    pull_policy: never\n`)
    expect(pull(['--policy', 'always', 'local'])).toMatchObject({ status: 0, stderr: '' })
    expect(pull(['local', 'pinned'])).toMatchObject({ status: 0, stderr: '' })
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    expect(images()).toEqual([`${registry.host}/arglib`, `${registry.host}/argweb`])
    // missing: what the store has is Skipped, not pulled again
    const missing = pull(['--policy', 'missing', 'web', 'lib'])
    expect(missing.stderr).toBe(` Image ${registry.host}/arglib:1  Skipped\n Image ${registry.host}/argweb:1  Skipped\n`)
    expect(pull(['--policy', 'always', '--no-parallel', 'web']).stderr).toContain(` Image ${registry.host}/argweb:1  Pulled\n`)
    // the file's own pull_policy: missing skips what the store has, where a service without one is pulled
    writeFileSync(join(dir, 'compose.yaml'), yaml.replace(`    image: ${registry.host}/argweb:1\n`, `    image: ${registry.host}/argweb:1\n    pull_policy: missing\n`))
    expect(pull(['web', 'lib']).stderr).toBe(` Image ${registry.host}/arglib:1  Pulling\n Image ${registry.host}/arglib:1  Pulled\n Image ${registry.host}/argweb:1  Skipped\n`)
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    // if_not_present is missing; never and build pull nothing, as docker compose sets them as every service's pull_policy
    expect(pull(['--policy', 'if_not_present', 'web']).stderr).toBe(` Image ${registry.host}/argweb:1  Skipped\n`)
    expect(pull(['--policy', 'never', 'web', 'lib'])).toMatchObject({ status: 0, stderr: '' })
    expect(pull(['--policy', 'build', 'web'])).toMatchObject({ status: 0, stderr: '' })
    expect(pull(['--policy', 'sometimes']).stderr).toBe('mini-run: invalid --policy "sometimes": missing, always, never or build\n')
  })

  it('pull_policy daily, weekly and every_<duration> pull again once the last pull is that old; compose pull pulls now', () => {
    const root = join(dir, 'refresh')
    const withPolicy = (policy: string) => `services:\n  web:\n    image: ${registry.host}/argweb:1\n    network_mode: none\n    pull_policy: ${policy}\n`
    const run = (policy: string, args: string[]) => {
      writeFileSync(join(dir, 'compose.yaml'), withPolicy(policy))
      return miniRun(['--root', root, '--state', env.stateRoot, 'compose', '-p', 'refresh', ...args], { cwd: dir, timeout: 120_000 })
    }
    // the name's last pull, moved back in time as a day passing would
    const age = (hours: number) => {
      const file = join(root, 'refs', refFileName(`${registry.host}/argweb:1`))
      const ref = JSON.parse(readFileSync(file, 'utf8'))
      writeFileSync(file, JSON.stringify({ ...ref, updated: new Date(Date.now() - hours * 3_600_000).toISOString() }))
    }
    const pulled = (r: { stderr: string }) => r.stderr.includes(` Image ${registry.host}/argweb:1  Pulled\n`)
    try {
      // missing from the store: pulled
      const first = run('daily', ['create', '--no-recreate'])
      expect([first.status, pulled(first)], first.stderr).toEqual([0, true])
      // pulled a moment ago: not again
      const fresh = run('daily', ['create', '--force-recreate'])
      expect([fresh.status, pulled(fresh)], fresh.stderr).toEqual([0, false])
      age(25)
      const stale = run('daily', ['create', '--force-recreate'])
      expect([stale.status, pulled(stale)], stale.stderr).toEqual([0, true])
      // every_1w2d: 25 hours is not old enough; 10 days is
      age(25)
      expect(pulled(run('every_1w2d', ['create', '--force-recreate']))).toBe(false)
      age(240)
      expect(pulled(run('every_1w2d', ['create', '--force-recreate']))).toBe(true)
      // Go's durations too, as compose-go's str2duration reads them
      age(2)
      expect(pulled(run('every_1h0.5m', ['create', '--force-recreate']))).toBe(true)
      age(25)
      expect(pulled(run('weekly', ['create', '--force-recreate']))).toBe(false)
      // an explicit pull is due now, whatever the window
      expect(pulled(run('weekly', ['pull']))).toBe(true)
      expect(run('every_12h', ['config']).stdout).toContain('    pull_policy: every_12h\n')
      // refresh is written back as it is and pulls as missing does; if_not_present is written as missing (compose-go's normalization)
      expect(run('refresh', ['config']).stdout).toContain('    pull_policy: refresh\n')
      expect(run('refresh', ['pull']).stderr).toBe(` Image ${registry.host}/argweb:1  Skipped\n`)
      expect(run('if_not_present', ['config']).stdout).toContain('    pull_policy: missing\n')
      // the schema's pattern first, then the whole value
      expect(run('every_soon', ['config']).stderr).toBe('mini-run: compose.yaml: services.web.pull_policy: does not match always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+\n')
      const bad = run('weekly-ish', ['config'])
      expect([bad.status, bad.stderr]).toEqual([1, 'mini-run: compose.yaml: services.web.pull_policy: "weekly-ish": always, never, missing, build, daily, weekly or every_<duration> (every_12h, every_1w2d)\n'])
    } finally {
      run('daily', ['down'])
    }
  })

  it('a built service with an image: name and pull_policy always is pulled first, and not built; a failed pull is a warning, then it is built', () => {
    // the store where argweb:1 is this file's build of X unset (" default"), and busybox is
    const root = env.storeRoot
    const up = (image: string, args: string[]) => {
      writeFileSync(join(dir, 'compose.yaml'), `services:\n  web:\n    image: ${image}\n    build: {context: ./argapp, args: {X: here}}\n    network_mode: none\n    pull_policy: always\n`)
      return miniRun(['--root', root, '--state', env.stateRoot, 'compose', '-p', 'first', ...args], { cwd: dir, timeout: 120_000 })
    }
    const argsOf = (ref: string) => miniRun(['--root', root, '--state', env.stateRoot, 'run', '--rm', '--network', 'none', ref, 'cat', '/args']).stdout
    try {
      expect(argsOf(`${registry.host}/argweb:1`)).toBe(' default\n')
      // the registry's argweb:1 (pushed with X=cli, Y=from-env above), not a build of X=here
      const pulled = up(`${registry.host}/argweb:1`, ['create'])
      expect(pulled.status, pulled.stderr).toBe(0)
      expect(pulled.stderr).toContain(` Image ${registry.host}/argweb:1  Pulled\n`)
      expect(argsOf(`${registry.host}/argweb:1`)).toBe('cli from-env\n')
      // a name the registry lacks: the pull's failure is a warning, and the build follows
      const built = up(`${registry.host}/unpushed:1`, ['create'])
      expect(built.status, built.stderr).toBe(0)
      // the image's event says why, as docker compose's pullServiceImage does
      expect(built.stderr).toMatch(new RegExp(`^ Image ${registry.host}/unpushed:1  pulling ${registry.host}/unpushed:1: manifest .*\\n Image ${registry.host}/unpushed:1  Building\\n`, 'm'))
      // --build: built, never pulled first (docker compose makes its policy build)
      const rebuilt = up(`${registry.host}/argweb:1`, ['create', '--build'])
      expect([rebuilt.status, rebuilt.stderr.includes('Pulling')], rebuilt.stderr).toEqual([0, false])
      expect(argsOf(`${registry.host}/argweb:1`)).toBe('here default\n')
      expect(argsOf(`${registry.host}/unpushed:1`)).toBe('here default\n')
      // --pull build replaces the file's always: built, not pulled; if_not_present is missing
      const byFlag = up(`${registry.host}/argweb:1`, ['create', '--pull', 'build'])
      expect([byFlag.status, byFlag.stderr.includes('Pulling'), byFlag.stderr.includes('Building')], byFlag.stderr).toEqual([0, false, true])
      expect(up(`${registry.host}/argweb:1`, ['create', '--pull', 'if_not_present']).status).toBe(0)
      // an image one service names and another builds: the first one's failed pull is a warning, the other's build makes it
      writeFileSync(join(dir, 'compose.yaml'), [
        'services:',
        `  a-user:\n    image: ${registry.host}/shared-made:1\n    pull_policy: always\n    network_mode: none`,
        `  b-maker:\n    image: ${registry.host}/shared-made:1\n    build: ./argapp\n    network_mode: none`,
        '',
      ].join('\n'))
      const shared = miniRun(['--root', root, '--state', env.stateRoot, 'compose', '-p', 'shared', 'create'], { cwd: dir, timeout: 120_000 })
      expect(shared.status, shared.stderr).toBe(0)
      expect(shared.stderr).toMatch(new RegExp(`^ Image ${registry.host}/shared-made:1  pulling .*\\n Image ${registry.host}/shared-made:1  Building\\n`, 'm'))
      miniRun(['--root', root, '--state', env.stateRoot, 'compose', '-p', 'shared', 'down'], { cwd: dir })
      // --no-build keeps a service from its build, not another from its pull
      writeFileSync(join(dir, 'compose.yaml'), `services:\n  lib:\n    image: ${registry.host}/arglib:1\n    network_mode: none\n`)
      const noBuild = miniRun(['--root', join(dir, 'no-build'), '--state', env.stateRoot, 'compose', '-p', 'nobuild', 'create', '--no-build'], { cwd: dir, timeout: 120_000 })
      expect([noBuild.status, noBuild.stderr.includes(` Image ${registry.host}/arglib:1  Pulled\n`)], noBuild.stderr).toEqual([0, true])
      miniRun(['--root', join(dir, 'no-build'), '--state', env.stateRoot, 'compose', '-p', 'nobuild', 'down'], { cwd: dir })
    } finally {
      up(`${registry.host}/unpushed:1`, ['down'])
    }
  })

  it('build.tags are kept once each, and must be names, refused by build at their path', () => {
    const shown = compose(['services:', '  a:', '    build: {context: ./app, tags: ["x/a:2", "x/a:2", "x/a:3"]}', ''].join('\n'), ['config'])
    expect(shown.status, shown.stderr).toBe(0)
    expect(shown.stdout).toMatch(/tags:\n\s+- x\/a:2\n\s+- x\/a:3\n/)
    // any verb but build loads it: a tag is a name only when the image is made
    const bad = ['services:', '  a:', '    build: {context: ./app, tags: ["x/a:2", "Not A Ref"]}', ''].join('\n')
    expect(compose(bad, ['config']).status).toBe(0)
    const refused = compose(bad, ['build'])
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toMatch(/^mini-run: compose\.yaml: services\.a\.build\.tags\[1\]: /m)
    const digest = compose(['services:', '  a:', `    build: {context: ./app, tags: ["x/a@sha256:${'0'.repeat(64)}"]}`, ''].join('\n'), ['build'])
    expect(digest.stderr).toMatch(/services\.a\.build\.tags\[0\]: .*cannot be a digest/)
  })
})
