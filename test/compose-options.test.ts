// compose's options that docker compose has and a user reaches for: run -d
// (with --name, -e, --rm, --no-deps), up --no-start and -V, ps --filter,
// logs --since/--until, and what inspect shows of a service's settings. As
// root, in a network namespace of the test's own (helpers/netns.ts).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
const PTY_RUN = fileURLToPath(new URL('./helpers/pty-run.py', import.meta.url))

describe.skipIf(!isRoot || !netavark)('compose: run -d, up --no-start and -V, ps --filter, logs --since, inspect (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let n = 0
  /** A project of its own in a new directory: `c(args)` runs compose on it. */
  const project = (yaml: string) => {
    const dir = join(env.dir, `o${++n}`)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), yaml.replaceAll('${CG}', env.cgroupParent))
    const name = `o${n}`
    const args = (more: string[]) => ['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', name, '-f', join(dir, 'compose.yaml'), ...more]
    return Object.assign((more: string[]) => ns.miniRun(args(more), { cwd: dir, timeout: 120_000 }), { projectName: name, dir })
  }
  const sleeper = (service: string, extra = '') => `  ${service}:\n    image: ${BUSYBOX}\n    command: [sleep, "1000"]\n    init: true\n    cgroup_parent: \${CG}\n${extra}`
  const mini = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  const inspect = (name: string) => JSON.parse(mini(['inspect', name]).stdout)[0] as Record<string, any> | undefined
  const states = (c: ReturnType<typeof project>) => c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
  })
  afterAll(() => {
    for (let i = 1; i <= n; i++) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `o${i}`, 'down', '-v'], { cwd: join(env.dir, `o${i}`) })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('run -d starts a one-off container in the background and prints its name; --name, -e, --rm, --no-deps', async () => {
    const c = project(`services:\n${sleeper('web', '    depends_on: [db]\n    environment: {A: from-file}\n')}${sleeper('db')}`)
    const p = c.projectName
    // --no-deps: db is left alone
    const alone = c(['run', '-d', '--no-deps', 'web'])
    expect([alone.status, alone.stderr]).toEqual([0, ` Network ${p}_default  Creating\n Network ${p}_default  Created\n`])
    expect(alone.stdout).toMatch(new RegExp(`^${p}-web-run-[0-9a-f]{12}\\n$`))
    const first = inspect(alone.stdout.trim())!
    expect([first.State.Running, first.Config.Labels['com.docker.compose.oneoff']]).toEqual([true, 'True'])
    expect(c(['ps', '-a', '-q', 'db']).stdout).toBe('')

    // the dependency started first, as up starts it; the name and the environment given; --quiet-pull hides no container's line
    const named = c(['run', '-d', '--quiet-pull', '--name', `${p}-one`, '-e', 'A=given', '-e', 'B=2', 'web', 'sh', '-c', 'echo "$A $B"; exec sleep 1000'])
    expect([named.status, named.stdout]).toEqual([0, `${p}-one\n`])
    expect(named.stderr).toContain(` Container ${p}-db-1  Started\n`)
    expect(c(['ps', '--format', '{{.Service}} {{.State}}', 'db']).stdout).toBe('db running\n')
    await until('the one-off\'s line', () => mini(['logs', `${p}-one`]).stdout === 'given 2\n', 20_000)
    expect(inspect(`${p}-one`)!.State.Running).toBe(true)

    // --rm: its monitor removes it once it exits
    const gone = c(['run', '-d', '--rm', '--no-deps', 'web', 'true'])
    expect(gone.status).toBe(0)
    await until('the --rm one-off removed', () => mini(['inspect', gone.stdout.trim()]).status === 1, 20_000)
    // a wrong flag is an error, as run's others are
    expect(c(['run', '-d', '--nope', 'web']).status).toBe(1)
    expect(c(['down']).status).toBe(0)
    expect(mini(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('up --no-start creates the containers as compose create does and starts none; up -V gives a recreated container new anonymous volumes', () => {
    const c = project(`services:\n${sleeper('a', '    depends_on: [b]\n    volumes: ["/cache"]\n')}${sleeper('b')}`)
    const p = c.projectName
    const created = c(['up', '--no-start'])
    expect([created.status, created.stdout]).toEqual([0, ''])
    expect(created.stderr.split('\n')).toEqual(expect.arrayContaining([` Container ${p}-a-1  Created`, ` Container ${p}-b-1  Created`]))
    expect(created.stderr).not.toMatch(/Start/)
    expect(states(c)).toBe('a created\nb created\n')
    expect(c(['up', '-d']).status).toBe(0)
    expect(states(c)).toBe('a running\nb running\n')

    const exec = (cmd: string) => c(['exec', '-T', 'a', 'sh', '-c', cmd]).stdout
    exec('touch /cache/kept')
    // recreated without -V: the predecessor's volume, its file still there
    expect(c(['up', '-d', '--force-recreate', 'a']).status).toBe(0)
    expect(exec('ls /cache')).toBe('kept\n')
    const before = inspect(`${p}-a-1`)!.Mounts.map((m: { Name: string }) => m.Name)
    // -V: a new one
    expect(c(['up', '-d', '--force-recreate', '-V', 'a']).status).toBe(0)
    expect(exec('ls /cache')).toBe('')
    const after = inspect(`${p}-a-1`)!.Mounts.map((m: { Name: string }) => m.Name)
    expect(after).toHaveLength(1)
    expect(after).not.toEqual(before)
    expect(c(['down', '-v']).status).toBe(0)
    // the volume -V left behind, as Docker leaves it
    expect(mini(['volume', 'rm', before[0]]).status).toBe(0)
  })

  it('ps --filter status=X is --status; ps lists orphans unless --orphans=false', () => {
    const c = project(`services:\n${sleeper('a')}${sleeper('b')}${sleeper('dev', '    profiles: [extra]\n')}`)
    const p = c.projectName
    const list = (more: string[]) => {
      const r = c(['ps', '--format', '{{.Service}} {{.State}}', ...more])
      expect([r.status, r.stderr]).toEqual([0, ''])
      return r.stdout
    }
    expect(c(['up', '-d']).status).toBe(0)
    expect(c(['--profile', 'extra', 'up', '-d', 'dev']).status).toBe(0)
    expect(c(['stop', 'b']).status).toBe(0)
    expect(list(['--filter', 'status=running'])).toBe('a running\ndev running\n')
    expect(list(['--filter', 'status=exited'])).toBe('b exited\n')
    expect(list(['--status', 'exited'])).toBe(list(['--filter', 'status=exited']))
    expect([c(['ps', '--filter', 'health=healthy']).stderr, c(['ps', '--filter', 'health=healthy']).status]).toEqual(['mini-run: unsupported filter health\n', 1])
    expect(c(['ps', '--filter', 'status']).stderr).toBe('mini-run: arguments to --filter should be in form KEY=VAL\n')
    expect(c(['ps', '--filter', 'status=sleeping']).stderr).toMatch(/^mini-run: invalid value for --status: "sleeping"/)

    // b is gone from the file: its container is an orphan, listed unless --orphans=false
    writeFileSync(join(c.dir, 'compose.yaml'), `services:\n${sleeper('a')}${sleeper('dev', '    profiles: [extra]\n')}`.replaceAll('${CG}', env.cgroupParent))
    expect(list(['-a'])).toBe('a running\nb exited\ndev running\n')
    expect(list(['-a', '--orphans'])).toBe('a running\nb exited\ndev running\n')
    // false: the services the file enables (dev's profile is not active)
    expect(list(['-a', '--orphans=false'])).toBe('a running\n')
    expect(list(['-a', '--orphans=false', 'dev'])).toBe('dev running\n')
    expect(c(['ps', '--orphans=maybe']).stderr).toBe('mini-run: invalid argument "maybe" for "--orphans" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n')
    expect(c(['ps', '-q', 'b']).status).toBe(1)
    expect(c(['down', '--remove-orphans']).status).toBe(0)
    expect(mini(['ps', '-a', '--filter', `name=${p}`, '-q']).stdout).toBe('')
  })

  it('logs --since and --until keep the lines logged from, and up to, a time, in the forms mini-run logs takes', async () => {
    const c = project(`services:\n  web:\n    image: ${BUSYBOX}\n    command: [sh, -c, 'echo one; until [ -f /tmp/go ]; do sleep 0.1; done; echo two; exec sleep 1000']\n    init: true\n    cgroup_parent: \${CG}\n`)
    expect(c(['up', '-d']).status).toBe(0)
    await until('the first line', () => c(['logs', 'web']).stdout.includes('one'), 20_000)
    expect(c(['exec', '-T', 'web', 'touch', '/tmp/go']).status).toBe(0)
    await until('the second line', () => c(['logs', 'web']).stdout.includes('two'), 20_000)
    const stamped = c(['logs', '-t', '--no-log-prefix', 'web']).stdout.trim().split('\n').map((l) => l.split(' '))
    expect(stamped.map(([, text]) => text)).toEqual(['one', 'two'])
    const [[first], [second]] = stamped as [[string], [string]]
    const logs = (more: string[]) => {
      const r = c(['logs', '--no-log-prefix', ...more, 'web'])
      expect([r.status, r.stderr]).toEqual([0, ''])
      return r.stdout
    }
    expect(logs(['--since', second])).toBe('two\n')
    expect(logs(['--until', first])).toBe('one\n')
    expect(logs(['--since', first, '--until', second])).toBe('one\ntwo\n')
    expect(logs(['--since', '1h'])).toBe('one\ntwo\n')
    expect(logs(['--until', '2000-01-01T00:00:00Z'])).toBe('')
    expect(logs(['--until', '0'])).toBe('one\ntwo\n')
    const bad = c(['logs', '--since', 'yesterday', 'web'])
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/^mini-run: .*--since.*yesterday/)])
    expect(c(['down']).status).toBe(0)
  })

  it('inspect of a service\'s container shows its dns_search, dns_opt, security_opt, group_add, stdin_open and annotations', () => {
    const c = project(`services:\n${sleeper('web', '    dns_search: [example.com]\n    dns_opt: [ndots:2]\n    security_opt: [no-new-privileges]\n    group_add: ["100"]\n    stdin_open: true\n    annotations: [org.example.team=web]\n')}${sleeper('plain')}`)
    expect(c(['up', '-d']).status).toBe(0)
    const web = inspect(`${c.projectName}-web-1`)!
    expect(web.HostConfig).toMatchObject({ DnsSearch: ['example.com'], DnsOptions: ['ndots:2'], SecurityOpt: ['no-new-privileges'], GroupAdd: ['100'], Annotations: { 'org.example.team': 'web' } })
    expect(web.Config.OpenStdin).toBe(true)
    const plain = inspect(`${c.projectName}-plain-1`)!
    expect(plain.HostConfig).toMatchObject({ DnsSearch: [], DnsOptions: [], SecurityOpt: null, GroupAdd: null })
    expect(plain.HostConfig.Annotations).toBeUndefined()
    expect(plain.Config.OpenStdin).toBe(false)
    expect(c(['down']).status).toBe(0)
  })

  it('run and exec as docker compose 2.29 has them: -i/-t, --entrypoint alone, -e VAR, -v, --use-aliases; ps leaves one-offs to -a; a disabled service is no orphan', () => {
    const c = project(`services:\n${sleeper('web')}${sleeper('dev', '    profiles: [extra]\n')}`)
    const p = c.projectName
    mkdirSync(join(c.dir, 'data'))
    writeFileSync(join(c.dir, 'data', 'f'), 'bound\n')
    writeFileSync(join(c.dir, '.env'), 'FROM_DOTENV=dotenv\n')
    expect(c(['--profile', 'extra', 'up', '-d', 'dev']).status).toBe(0)
    // dev's profile is not active now: its container is not an orphan, and --remove-orphans keeps it
    expect(c(['up', '-d']).stderr).not.toContain('orphan')
    const up = c(['up', '-d', '--remove-orphans'])
    expect([up.status, up.stderr.includes('orphan')]).toEqual([0, false])
    expect(inspect(`${p}-dev-1`)?.State.Running).toBe(true)

    // -i and -t are taken (no terminal here: none is made)
    expect(c(['exec', '-it', 'web', 'sh', '-c', 'echo in-exec; [ -t 1 ] || echo no-tty'])).toMatchObject({ status: 0, stdout: 'in-exec\nno-tty\n' })
    expect(c(['run', '-it', '--rm', '--no-deps', 'web', 'echo', 'in-run'])).toMatchObject({ status: 0, stdout: 'in-run\n' })
    // on a terminal (a pty of the test's): the command has one too
    const onPty = (more: string[]) => JSON.parse(ns.exec(['python3', PTY_RUN, 'mini-run', '--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', p, '-f', join(c.dir, 'compose.yaml'), ...more], { cwd: c.dir, timeout: 60_000 }).stdout) as { output: string; status: number }
    for (const more of [['exec', '-it', 'web'], ['run', '-it', '--rm', '--no-deps', 'web']]) {
      expect(onPty([...more, 'sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo has-tty'])).toMatchObject({ status: 0, output: expect.stringContaining('has-tty') })
    }
    // --entrypoint without a command: the service's command (sleep 1000) is dropped
    expect(c(['run', '--rm', '--entrypoint', 'echo', 'web'])).toMatchObject({ status: 0, stdout: '\n' })
    // -e VAR: the shell's, else .env's, else left out
    const args = ['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', p, '-f', join(c.dir, 'compose.yaml'), 'run', '--rm', '-e', 'FROM_DOTENV', '-e', 'FROM_SHELL', '-e', 'NOPE', 'web', 'sh', '-c', 'echo "$FROM_DOTENV $FROM_SHELL ${NOPE-unset}"']
    expect(ns.miniRun(args, { cwd: c.dir, timeout: 120_000, env: { ...process.env, FROM_SHELL: 'shell' } })).toMatchObject({ status: 0, stdout: 'dotenv shell unset\n' })
    // -v: a bind in the short syntax, relative to the project directory
    expect(c(['run', '--rm', '-v', './data:/data:ro', 'web', 'cat', '/data/f'])).toMatchObject({ status: 0, stdout: 'bound\n' })
    // the service's alias only with --use-aliases
    const plain = c(['run', '-d', 'web']).stdout.trim()
    const aliased = c(['run', '-d', '--use-aliases', 'web']).stdout.trim()
    const aliases = (name: string) => inspect(name)!.NetworkSettings.Networks[`${p}_default`].Aliases as string[]
    expect([aliases(plain).includes('web'), aliases(aliased).includes('web')]).toEqual([false, true])
    // ps: one-off containers only with -a
    expect(c(['ps', '--format', '{{.Name}}']).stdout).toBe(`${p}-dev-1\n${p}-web-1\n`)
    expect(c(['ps', '-a', '--format', '{{.Name}}']).stdout.split('\n').filter(Boolean).sort()).toEqual([`${p}-dev-1`, `${p}-web-1`, plain, aliased].sort())
    expect(c(['down']).status).toBe(0)
  })

  it('run --cap-add/--cap-drop, -l, --env-from-file, --build, --pull; exec --privileged: as docker compose run and exec take them', () => {
    const c = project(`services:\n  app:\n    build: ./app\n    command: [sleep, "1000"]\n    init: true\n    cgroup_parent: \${CG}\n    labels: {kept: file, over: file}\n    cap_add: [SYS_NICE]\n`)
    mkdirSync(join(c.dir, 'app'))
    writeFileSync(join(c.dir, 'app', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo one > /version\n`)
    writeFileSync(join(c.dir, 'vars.env'), 'A=from-file\nB=from-file\nC=${B}-and-${A}\n')
    writeFileSync(join(c.dir, 'more.env'), 'A=second-file\nD=second-file\n')
    // the effective capability set, as the kernel reports it: NET_RAW (bit 13) dropped, SYS_TIME (bit 25) added
    const capEff = (more: string[]) => {
      const r = c(['run', '--rm', '--no-deps', ...more, 'app', 'sh', '-c', 'grep CapEff /proc/self/status'])
      expect(r.status, r.stderr).toBe(0)
      return BigInt(`0x${r.stdout.trim().split(/\s+/)[1]}`)
    }
    const plain = capEff([])
    // SYS_NICE (bit 23), the service's cap_add, dropped by --cap-drop as docker compose run drops it
    const changed = capEff(['--cap-add', 'SYS_TIME', '--cap-drop', 'NET_RAW', '--cap-drop', 'sys_nice'])
    expect([(plain >> 13n) & 1n, (plain >> 25n) & 1n, (plain >> 23n) & 1n]).toEqual([1n, 0n, 1n])
    expect([(changed >> 13n) & 1n, (changed >> 25n) & 1n, (changed >> 23n) & 1n]).toEqual([0n, 1n, 0n])
    expect(c(['run', '--rm', '-l', 'nokey', 'app', 'true']).stderr).toBe('mini-run: label must be set as KEY=VALUE\n')
    // -l over the service's labels; --env-from-file under -e, the first file over the second, ${} from -e and the earlier lines
    const name = c(['run', '-d', '-l', 'over=cli', '-l', 'added=yes', '--env-from-file', 'vars.env', '--env-from-file', 'more.env', '-e', 'B=from-e', 'app']).stdout.trim()
    const info = inspect(name)!
    expect(info.Config.Labels).toMatchObject({ kept: 'file', over: 'cli', added: 'yes' })
    expect(info.Config.Env).toEqual(expect.arrayContaining(['A=from-file', 'B=from-e', 'C=from-e-and-from-file', 'D=second-file']))
    expect(c(['run', '--rm', '--env-from-file', 'missing.env', 'app', 'true']).stderr).toBe('mini-run: --env-from-file missing.env: ENOENT\n')
    // --build builds again, what changed; --pull takes a policy
    writeFileSync(join(c.dir, 'app', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo two > /version\n`)
    expect(c(['run', '--rm', 'app', 'cat', '/version'])).toMatchObject({ status: 0, stdout: 'one\n' })
    expect(c(['run', '--rm', '--build', '-q', 'app', 'cat', '/version'])).toMatchObject({ status: 0, stdout: 'two\n', stderr: '' })
    expect(c(['run', '--rm', '--pull', 'sometimes', 'app', 'true']).stderr).toBe('mini-run: invalid --pull "sometimes": always, missing, never or build\n')
    // exec --privileged: every capability, SYS_ADMIN (bit 21) among them
    const execCaps = (more: string[]) => BigInt(`0x${c(['exec', '-T', ...more, 'app', 'sh', '-c', 'grep CapEff /proc/self/status']).stdout.trim().split(/\s+/)[1]}`)
    expect(c(['up', '-d']).status).toBe(0)
    expect([(execCaps([]) >> 21n) & 1n, (execCaps(['--privileged']) >> 21n) & 1n]).toEqual([0n, 1n])
    expect(c(['down', '--rmi', 'local']).status).toBe(0)
  })

  it('up --attach/--no-attach with --no-log-prefix and --no-color; down SERVICE leaves the others and the network', () => {
    const echo = (service: string) => `  ${service}:\n    image: ${BUSYBOX}\n    command: echo ${service}-out\n    cgroup_parent: \${CG}\n`
    const c = project(`services:\n${echo('a')}${echo('b')}${sleeper('web')}${sleeper('db')}`)
    const p = c.projectName
    const noB = c(['up', '--no-attach', 'b', '--no-log-prefix', '--no-color', 'a', 'b'])
    expect([noB.status, noB.stdout]).toEqual([0, 'Attaching to a-1\na-out\na-1 exited with code 0\n'])
    const onlyB = c(['up', '--attach', 'b', 'a', 'b'])
    // b ran again: its first run's line, kept in its log, is not shown again (docker compose attaches without the logs); a's lines are not shown
    expect([onlyB.status, onlyB.stdout]).toEqual([0, 'Attaching to b-1\nb-1  | b-out\nb-1 exited with code 0\n'])
    expect(c(['up', '-d', 'web', 'db']).status).toBe(0)
    expect(c(['down', 'web', 'a', 'b']).status).toBe(0)
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('db running\n')
    expect(mini(['network', 'ls', '--format', '{{.Name}}']).stdout).toContain(`${p}_default`)
    expect(c(['down']).status).toBe(0)
    expect(mini(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toContain(`${p}_default`)
  })

  it('--progress json|quiet and --ansi, docker compose\'s global flags: events as JSON lines, warnings as logrus\'s, the error as {"error":true}; build output hidden', () => {
    const c = project(`version: "3"\nservices:\n${sleeper('web')}  talk:\n    build: {context: ., dockerfile_inline: "FROM ${BUSYBOX}\\nRUN echo from-the-build"}\n    command: sh -c 'echo hello; exec sleep 1000'\n    init: true\n    cgroup_parent: \${CG}\n`)
    const p = c.projectName
    const up = c(['--progress', 'json', 'up', '-d'])
    expect(up.status, up.stderr).toBe(0)
    const lines = up.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string>)
    expect(lines).toContainEqual({ level: 'warning', msg: expect.stringMatching(/the attribute `version` is obsolete/), time: expect.any(String) })
    expect(lines).toContainEqual({ id: `Network ${p}_default`, status: 'Working', text: 'Creating' })
    expect(lines).toContainEqual({ id: `Container ${p}-web-1`, status: 'Done', text: 'Started' })
    expect(lines).toContainEqual({ id: `Image ${p}-talk`, status: 'Working', text: 'Building', details: 'STEP 2/2: RUN echo from-the-build' })
    // the RUN's own output would break the stream: hidden, as with --quiet-build
    expect(up.stderr).not.toContain('from-the-build\n')
    const failed = c(['--progress', 'json', 'up', '-d', 'nope'])
    expect([failed.status, failed.stderr]).toEqual([1, expect.stringMatching(/^\{"level":"warning",[^\n]*\n\{"error":true,"message":"no such service: nope"\}\n$/)])
    // quiet: the warning alone; COMPOSE_PROGRESS as the flag
    expect(c(['--progress', 'quiet', 'stop', 'web']).stderr).toMatch(/^WARNING: .*`version` is obsolete.*\n$/)
    const byEnv = ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', p, 'start', 'web'], { cwd: c.dir, env: { ...process.env, COMPOSE_PROGRESS: 'quiet' } })
    // (-p without -f reads no file: no warning; plain would say Starting and Started)
    expect([byEnv.status, byEnv.stderr]).toEqual([0, ''])
    // colours in the log prefixes: none to a pipe, unless --ansi always; never with NO_COLOR
    const logs = (more: string[], extra: Record<string, string> = {}) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', p, ...more, 'logs', 'talk'], { cwd: c.dir, env: { ...process.env, NO_COLOR: '', ...extra } }).stdout
    expect(logs([])).toBe(`talk-1  | hello\n`)
    expect(logs(['--ansi', 'always'])).toMatch(/^\x1b\[[0-9;]+mtalk-1  \| \x1b\[0mhello\n$/)
    expect(logs(['--ansi', 'always'], { NO_COLOR: '1' })).toBe(`talk-1  | hello\n`)
    expect(logs(['--ansi', 'never'], { COMPOSE_ANSI: 'always' })).toBe(`talk-1  | hello\n`)
    // docker compose's refusals, before anything is done
    expect(c(['--progress', 'tty', '--ansi', 'never', 'ps']).stderr).toBe("mini-run: can't use --progress tty while ANSI support is disabled\n")
    expect(c(['--progress', 'plain', '--ansi', 'always', 'ps']).stderr).toBe("mini-run: can't use --progress plain while ANSI support is forced\n")
    expect(c(['--progress', 'fancy', 'ps']).stderr).toBe('mini-run: unsupported --progress value "fancy" (auto, tty, plain, json or quiet)\n')
    // any other --ansi is auto, as docker compose takes it
    expect(logs(['--ansi', 'sometimes'])).toBe(`talk-1  | hello\n`)
    expect(c(['--parallel', 'x', 'ps']).stderr).toBe('mini-run: invalid --parallel "x": a number, -1 for no limit\n')
    expect(c(['--parallel', '2', '--progress', 'plain', 'ps', '-q', 'web'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^[0-9a-f]{64}\n$/) })
  })

  it('leaves nothing behind once each project is down', () => {
    for (let i = 1; i <= n; i++) expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `o${i}`, 'down', '-v'], { cwd: join(env.dir, `o${i}`) }).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  })
})
