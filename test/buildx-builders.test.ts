/**
 * `buildx create/use/inspect/ls/rm/stop/version` and `buildx build
 * --builder`, as scripts written for docker buildx (setup-buildx-action,
 * Makefiles) type them: instances are names for mini-run's one builder,
 * `default` is always there, and the texts are buildx's (commands/ls.go,
 * inspect.go, rm.go; builder/builder.go's errors). Literal expected text.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hostPlatformText } from '../src/build/builder-settings.js'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
/** What a running node reports as its BuildKit version: mini-run's own. */
const VERSION = `mini-run ${pkg.version}`
const HOST = hostPlatformText()

/** docker/cli's table: cells padded to the column's widest + 3 (at least 10), the last cell as it is. */
function table(rows: string[][]): string {
  const widths = rows[0]!.slice(0, -1).map((_, col) => Math.max(10, ...rows.map((r) => r[col]!.length + 3)))
  return rows.map((r) => r.map((cell, col) => (col < widths.length ? cell.padEnd(widths[col]!) : cell)).join('')).join('\n') + '\n'
}

const HEADER = ['NAME/NODE', 'DRIVER/ENDPOINT', 'STATUS', 'BUILDKIT', 'PLATFORMS']
const DEFAULT_ROWS = (current: boolean) => [
  [current ? 'default*' : 'default', 'docker', '', '', ''],
  [' \\_ default', ' \\_ default', 'running', VERSION, HOST],
]

describe.skipIf(!isRoot)('buildx builder instances (needs root)', () => {
  let env: TestEnv
  let ctx: string
  /** A buildx line, without the BUILDX_BUILDER a CI runner may have set, unless given. */
  const bx = (args: string[], builderEnv?: string) =>
    env.run(['buildx', ...args], { env: { ...process.env, BUILDX_BUILDER: builderEnv } })
  const ok = (args: string[]) => {
    const r = bx(args)
    expect({ args, stderr: r.stderr, status: r.status }).toEqual({ args, stderr: '', status: 0 })
    return r.stdout
  }
  /** [status, stderr] of a line that must fail, with nothing on stdout. */
  const fails = (args: string[], builderEnv?: string) => {
    const r = bx(args, builderEnv)
    expect(r.stdout).toBe('')
    return [r.status, r.stderr]
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ctx = writeContext(mkdtempSync(join(env.dir, 'ctx-')), {
      Dockerfile: `FROM ${BUSYBOX}\nCOPY hello.txt /hello.txt\n`,
      'hello.txt': 'built by an instance\n',
    })
  })
  afterAll(() => env?.cleanup())

  it('version, and bare `buildx`: its help on stdout, exit 0, as buildx\'s root prints it; an unknown verb is cobra\'s error', () => {
    expect(ok(['version'])).toBe(`mini-run buildx v${pkg.version}\n`)
    expect(ok([])).toMatch(/^Usage: mini-run buildx \[options\] \[command\]\n[\s\S]*\n {2}create \[options\]/)
    expect(fails(['nosuch'])).toEqual([1, "unknown command: nosuch\nSee 'mini-run buildx --help'.\n"])
    expect(fails(['version', 'x'])).toEqual([1, '"mini-run buildx version" requires no arguments.\nSee \'mini-run buildx version --help\'.\n'])
  })

  it('a fresh store has the default builder: docker driver, running, current; ls\'s table and json, inspect\'s text', () => {
    expect(ok(['ls'])).toBe(table([HEADER, ...DEFAULT_ROWS(true)]))
    expect(ok(['ls', '--format', 'json'])).toBe(
      `{"Current":true,"Driver":"docker","Dynamic":false,"LastActivity":"0001-01-01T00:00:00Z","Name":"default","Nodes":[{"Endpoint":"default","Name":"default","Platforms":["${HOST}"],"Status":"running","Version":"${VERSION}"}]}\n`,
    )
    expect(ok(['inspect'])).toBe(
      ['Name:   default', 'Driver: docker', '', 'Nodes:', 'Name:             default', 'Endpoint:         default', 'Status:           running', `BuildKit version: ${VERSION}`, `Platforms:        ${HOST}`, ''].join('\n'),
    )
  })

  it('create --name x --driver docker-container --use; ls marks it *; build --builder x stores the image; stop; rm x makes default current again', () => {
    expect(ok(['create', '--name', 'x', '--driver', 'docker-container', '--use'])).toBe('x\n')
    // created, not booted: a docker-container builder is inactive until used
    expect(ok(['ls'])).toBe(table([HEADER, ['x*', 'docker-container', '', '', ''], [' \\_ x0', ' \\_ default', 'inactive', '', ''], ...DEFAULT_ROWS(false)]))
    const inspected = ok(['inspect', 'x'])
    const activity = /^Last Activity: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \+0000 UTC$/m.exec(inspected)?.[1]
    expect(inspected).toBe(['Name:          x', 'Driver:        docker-container', `Last Activity: ${activity} +0000 UTC`, '', 'Nodes:', 'Name:     x0', 'Endpoint: default', 'Status:   inactive', ''].join('\n'))
    expect(ok(['ls', '--format', '{{.Name}}: {{.DriverEndpoint}} {{.Status}}'])).toBe('x: docker-container \nx0: default inactive\ndefault: docker \ndefault: default running\n')

    const built = bx(['build', '--builder', 'x', '-t', 'localhost/test/buildx-x:1', ctx])
    expect(built.status).toBe(0)
    const id = env.run(['image', 'inspect', '-f', '{{.Id}}', 'localhost/test/buildx-x:1']).stdout.trim()
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(built.stdout.trimEnd().split('\n').at(-1)).toBe(id.slice(7))
    expect(env.run(['images', '--format', '{{.Repository}}:{{.Tag}}', 'localhost/test/buildx-x']).stdout).toBe('localhost/test/buildx-x:1\n')
    // the build booted it, as buildx boots a docker-container builder
    const running = JSON.parse(ok(['ls', '--format', 'json']).split('\n')[0]!) as Record<string, unknown>
    expect(running).toEqual({
      Current: true,
      Driver: 'docker-container',
      Dynamic: false,
      LastActivity: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      Name: 'x',
      Nodes: [{ Endpoint: 'default', Name: 'x0', Platforms: [HOST], Status: 'running', Version: VERSION }],
    })

    expect(ok(['stop'])).toBe('')
    expect(ok(['ls', '--format', '{{.Name}} {{.Status}}'])).toBe('x \nx0 stopped\ndefault \ndefault running\n')
    const removed = bx(['rm', 'x'])
    expect([removed.status, removed.stdout, removed.stderr]).toEqual([0, '', 'x removed\n'])
    expect(ok(['ls'])).toBe(table([HEADER, ...DEFAULT_ROWS(true)]))
    expect(ok(['inspect'])).toMatch(/^Name: {3}default\n/)
  })

  it('an unknown builder: build, BUILDX_BUILDER, inspect and use fail with buildx\'s words, exit 1', () => {
    expect(fails(['build', '--builder', 'nosuch', ctx])).toEqual([1, 'mini-run: no builder "nosuch" found\n'])
    expect(fails(['build', ctx], 'nosuch')).toEqual([1, 'mini-run: no builder "nosuch" found\n'])
    expect(fails(['--builder', 'nosuch', 'inspect'])).toEqual([1, 'mini-run: no builder "nosuch" found\n'])
    expect(fails(['inspect', 'nosuch'])).toEqual([1, 'mini-run: no builder "nosuch" found\n'])
    expect(fails(['use', 'nosuch'])).toEqual([1, 'mini-run: failed to find instance "nosuch"\n'])
    expect(fails(['rm', 'nosuch'])).toEqual([1, 'failed to remove nosuch: no builder "nosuch" found\nmini-run: failed to remove one or more builders\n'])
  })

  it('drivers mini-run cannot mean, the docker driver, names buildx refuses, a foreign platform: one line, exit 1, nothing created', () => {
    expect(fails(['create', '--name', 'y', '--driver', 'docker'])).toEqual([1, 'mini-run: additional instances of driver "docker" cannot be created\n'])
    for (const driver of ['kubernetes', 'remote', 'cloud']) {
      expect(fails(['create', '--name', 'y', '--driver', driver])).toEqual([
        1,
        `mini-run: driver "${driver}" is not supported: mini-run's builder runs in the mini-run process, not in a BuildKit it could reach; use docker-container (the default)\n`,
      ])
    }
    expect(fails(['create', '--name', 'y', '--driver', 'nosuch'])).toEqual([1, 'mini-run: failed to find driver "nosuch"\n'])
    expect(fails(['create', '--name', 'default'])).toEqual([1, 'mini-run: default is a reserved name and cannot be used to identify builder instance\n'])
    expect(fails(['create', '--name', '1y'])).toEqual([1, 'mini-run: invalid name 1y, name needs to start with a letter and may not contain symbols, except ._-\n'])
    const other = HOST === 'linux/arm64' ? 'linux/amd64' : 'linux/arm64'
    expect(fails(['create', '--name', 'y', '--platform', `${HOST},${other}`])).toEqual([
      1,
      `mini-run: --platform ${other}: RUN executes natively on this ${HOST} machine (no emulation); mini-run's builders build for ${HOST} alone\n`,
    ])
    expect(ok(['ls', '--format', '{{.Name}}'])).toBe('default\ndefault\n')
  })

  it('default cannot be removed, nor be created; rm without a name removes the current one', () => {
    expect(fails(['rm', 'default'])).toEqual([1, "failed to remove default: context builder cannot be removed: default is mini-run's own builder\nmini-run: failed to remove one or more builders\n"])
    expect(fails(['rm'])).toEqual([1, "failed to remove default: context builder cannot be removed: default is mini-run's own builder\nmini-run: failed to remove one or more builders\n"])
    expect(ok(['create', '--name', 'y', '--use'])).toBe('y\n')
    const removed = bx(['rm'])
    expect([removed.status, removed.stderr]).toEqual([0, 'y removed\n'])
    expect(ok(['ls', '--format', 'table {{.Name}}'])).toBe('NAME/NODE\ndefault*\n \\_ default\n')
  })

  it('a random name as buildx gives one; --bootstrap, --platform, --driver-opt and --buildkitd-flags as inspect shows them; use switches back and forth', () => {
    const made = bx(['create', '--bootstrap', '--platform', 'local', '--driver-opt', 'image=moby/buildkit:latest,network=host', '--buildkitd-flags', "--debug --allow-insecure-entitlement 'network.host'"])
    expect(made.status).toBe(0)
    expect(made.stderr).toBe("WARNING: --driver-opt, --buildkitd-flags: recorded for inspect, not used: mini-run's builder has no BuildKit daemon to pass them to\n")
    const name = made.stdout.trim()
    expect(name).toMatch(/^[a-z]+_[a-z]+$/)
    const inspected = ok(['inspect', name]).split('\n')
    expect(inspected.slice(4)).toEqual([
      'Nodes:',
      `Name:                  ${name}0`,
      'Endpoint:              default',
      'Driver Options:        image="moby/buildkit:latest" network="host"',
      'Status:                running',
      'BuildKit daemon flags: --debug --allow-insecure-entitlement network.host',
      `BuildKit version:      ${VERSION}`,
      `Platforms:             ${HOST}*`,
      '',
    ])
    expect(ok(['use', name])).toBe('')
    expect(ok(['ls', '--format', 'json']).split('\n').map((l) => (l ? (JSON.parse(l) as { Name: string; Current: boolean }) : l)).map((b) => (b ? `${b.Name} ${b.Current}` : b))).toEqual([`${name} true`, 'default false', ''])
    expect(ok(['use', 'default'])).toBe('')
    expect(ok(['ls', '--format', 'table {{.Name}}']).split('\n')[1]).toBe(name)
    // it is running: --all-inactive leaves it
    expect(bx(['rm', '--all-inactive', '--force']).stderr).toBe('')
    expect(bx(['rm', name]).stderr).toBe(`${name} removed\n`)
  })

  it('rm --all-inactive removes the inactive and stopped instances, not a running one; a file edited by hand into nonsense is passed over, not fatal; Default is default\'s name in any case', () => {
    for (const n of ['idle', 'halted', 'busy']) ok(['create', '--name', n])
    ok(['inspect', '--bootstrap', 'halted'])
    expect(ok(['stop', 'halted'])).toBe('')
    ok(['inspect', '--bootstrap', 'busy'])
    // one instance's file with a wrong type in it, one named against the rules: ls, json included, and rm go on
    writeFileSync(join(env.storeRoot, 'buildx', 'instances', 'broken.json'), JSON.stringify({ name: 'broken', driver: 'docker-container', status: 'inactive', nodes: [{ name: 'broken0', endpoint: 'default', platforms: [], flags: [], driverOpts: {}, files: { 'buildkitd.toml': null } }] }))
    writeFileSync(join(env.storeRoot, 'buildx', 'instances', 'a b.json'), JSON.stringify({ name: 'a b', driver: 'docker-container', status: 'inactive', nodes: [{ name: 'x', endpoint: 'default', platforms: [], flags: [], driverOpts: {}, files: {} }] }))
    expect(ok(['ls', '--format', 'json']).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Name: string }).Name).sort()).toEqual(['busy', 'default', 'halted', 'idle'])
    const removed = bx(['rm', '--all-inactive', '--force'])
    expect([removed.status, removed.stderr]).toEqual([0, 'halted removed\nidle removed\n'])
    expect(ok(['ls', '--format', 'json']).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { Name: string }).Name).sort()).toEqual(['busy', 'default'])
    expect(fails(['create', '--name', 'Default'])).toEqual([1, 'mini-run: default is a reserved name and cannot be used to identify builder instance\n'])
    expect(bx(['rm', 'busy']).stderr).toBe('busy removed\n')
  })
})
