// The `volume` verbs' flags as Docker's CLI has them: `volume ls --filter`
// (dangling, name, driver, label: moby volume/service/convert.go) with -q
// and --format (docker/cli cli/command/formatter/volume.go),
// `volume inspect -f`, and `volume prune`: its question, its --filter, and
// its report in bytes (docker/cli cli/command/volume/prune.go).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const HEX64 = /^[0-9a-f]{64}$/

describe.skipIf(!isRoot)('volume ls, inspect and prune flags (needs root: containers that use volumes)', () => {
  let env: TestEnv
  const cli = (args: string[], input?: string) =>
    env.run(args[0] === 'run' ? ['run', '--cgroup-parent', env.cgroupParent, ...args.slice(1)] : args, input === undefined ? {} : { input })
  const ok = (args: string[], input?: string) => {
    const r = cli(args, input)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const names = (args: string[] = []) => ok(['volume', 'ls', '-q', ...args]).split('\n').filter(Boolean)

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  // every test removes its containers and volumes; whatever is left is removed here, and fails the test
  afterEach(() => {
    const left = [...env.leftovers(), ...names().map((v) => `volume: ${v}`)]
    for (const id of env.run(['ps', '-aq']).stdout.split('\n').filter(Boolean)) env.run(['rm', '-f', '-v', id])
    env.run(['volume', 'prune', '-a', '-f'])
    expect(left).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('volume ls --filter: dangling, name (a regular expression), driver, label; -q and --format', () => {
    ok(['volume', 'create', '--label', 'tier=db', '--label', 'backup', 'db-data'])
    ok(['volume', 'create', '--label', 'tier=web', 'web-data'])
    ok(['run', '--name', 'user', '-v', 'used:/u', '-v', '/anon', BUSYBOX, 'true'])
    const anon = names().find((n) => HEX64.test(n))!
    expect(names().sort()).toEqual([anon, 'db-data', 'used', 'web-data'].sort())

    // a stopped container still uses its volumes, as in Docker
    expect(names(['--filter', 'dangling=true'])).toEqual(['db-data', 'web-data'])
    expect(names(['-f', 'dangling=0']).sort()).toEqual([anon, 'used'].sort())
    expect(names(['--filter', 'name=-data$'])).toEqual(['db-data', 'web-data'])
    expect(names(['--filter', 'name=^db-', '--filter', 'name=used'])).toEqual(['db-data', 'used'])
    expect(names(['--filter', 'driver=local'])).toHaveLength(4)
    expect(names(['--filter', 'driver=nfs'])).toEqual([])
    expect(names(['--filter', 'label=tier'])).toEqual(['db-data', 'web-data'])
    expect(names(['--filter', 'label=tier=web'])).toEqual(['web-data'])
    // label values must all match; other keys narrow further
    expect(names(['--filter', 'label=tier', '--filter', 'label=backup'])).toEqual(['db-data'])
    expect(names(['--filter', 'label=com.docker.volume.anonymous'])).toEqual([anon])
    expect(names(['--filter', 'dangling=true', '--filter', 'label=tier=db'])).toEqual(['db-data'])

    expect(ok(['volume', 'ls', '--filter', 'label=tier'])).toBe('DRIVER    VOLUME NAME\nlocal     db-data\nlocal     web-data\n')
    expect(ok(['volume', 'ls', '--filter', 'label=tier', '--format', '{{.Name}}: {{.Label "tier"}} [{{.Labels}}] {{.Scope}}'])).toBe(
      'db-data: db [backup=,tier=db] local\nweb-data: web [tier=web] local\n',
    )
    expect(ok(['volume', 'ls', '-f', 'name=web', '--format', 'table {{.Name}}\t{{.Driver}}'])).toBe('VOLUME NAME   DRIVER\nweb-data      local\n')
    const [row] = ok(['volume', 'ls', '-f', 'name=web', '--format', 'json']).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(row).toEqual({
      Availability: 'N/A', Driver: 'local', Group: 'N/A', Labels: 'tier=web', Links: 'N/A',
      Mountpoint: `${env.storeRoot}/volumes/web-data/_data`, Name: 'web-data', Scope: 'local', Size: 'N/A', Status: 'N/A',
    })
    // -q with a format of its own: the format, as docker/cli's NewVolumeFormat
    expect(ok(['volume', 'ls', '-q', '-f', 'name=web', '--format', '{{.Driver}}'])).toBe('local\n')

    for (const [filter, message] of [
      ['colour=red', "invalid filter 'colour'"],
      ['dangling=maybe', "invalid filter 'dangling=maybe'"],
      ['nameweb', 'bad format of filter (expected name=value)'],
    ]) {
      const r = cli(['volume', 'ls', '--filter', filter!])
      expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `mini-run: ${message}\n`])
    }
    const both = cli(['volume', 'ls', '-f', 'dangling=true', '-f', 'dangling=false'])
    expect([both.status, both.stderr]).toEqual([1, "mini-run: invalid filter 'dangling=true,false'\n"])

    ok(['rm', '-v', 'user'])
    ok(['volume', 'rm', 'used', 'db-data', 'web-data'])
  })

  it('volume inspect -f: a Go template once per volume; a missing one is its own line and exit 1', () => {
    ok(['volume', 'create', '--label', 'tier=db', 'fmt-vol'])
    expect(ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{index .Labels "tier"}}', 'fmt-vol'])).toBe('fmt-vol local local db\n')
    expect(ok(['volume', 'inspect', '--format', '{{json .Labels}}', 'fmt-vol'])).toBe('{"tier":"db"}\n')
    expect(ok(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'fmt-vol'])).toBe(`${env.storeRoot}/volumes/fmt-vol/_data\n`)
    const some = cli(['volume', 'inspect', '-f', '{{.Name}}', 'nosuch', 'fmt-vol'])
    expect([some.status, some.stdout, some.stderr]).toEqual([1, 'fmt-vol\n', 'mini-run: no such volume: nosuch\n'])
    const bad = cli(['volume', 'inspect', '-f', '{{.Name', 'fmt-vol'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^mini-run: template parsing error: .*\n$/)
    ok(['volume', 'rm', 'fmt-vol'])
  })

  it('volume prune asks first, removes unused anonymous volumes (named ones with -a) and reports the bytes they held', () => {
    const fill = (volume: string, bytes: number) => ok(['run', '--rm', '-v', volume, BUSYBOX, 'sh', '-c', `head -c ${bytes} /dev/zero > /d/f`])
    ok(['run', '--name', 'gone', '-v', '/d', BUSYBOX, 'sh', '-c', 'head -c 3000 /dev/zero > /d/f'])
    const anon = names().find((n) => HEX64.test(n))!
    ok(['rm', 'gone']) // without -v: its anonymous volume stays, unused
    fill('named:/d', 5000)
    ok(['run', '--name', 'user', '-v', 'used:/d', '-v', '/busy', BUSYBOX, 'true'])
    const busy = names().find((n) => HEX64.test(n) && n !== anon)!

    // no answer, or not yes: nothing goes
    const asked = cli(['volume', 'prune'], 'n\n')
    expect([asked.status, asked.stdout]).toEqual([0, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] '])
    expect(names()).toHaveLength(4)

    expect(ok(['volume', 'prune', '-f'])).toBe(`Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 3kB\n`)
    expect(ok(['volume', 'prune', '--force'])).toBe('Total reclaimed space: 0B\n')
    expect(ok(['volume', 'prune', '-a'], 'y\n')).toBe(
      'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ' +
        'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 5kB\n',
    )
    expect(names().sort()).toEqual([busy, 'used'].sort())
    ok(['rm', '-v', 'user'])
    ok(['volume', 'rm', 'used'])
  })

  it('rm -f of a running --rm container removes its anonymous volume with it, and keeps its named one', () => {
    const id = ok(['run', '-d', '--rm', '-v', '/scratch', '-v', 'kept:/k', BUSYBOX, 'sleep', '60']).trim()
    const anon = names().find((n) => HEX64.test(n))!
    expect(anon).toBeDefined()
    ok(['rm', '-f', id])
    expect(names()).toEqual(['kept'])
    ok(['volume', 'rm', 'kept'])
  })

  it('volume prune --filter: label=, label!= and all=, as the daemon reads them', () => {
    ok(['volume', 'create', '--label', 'keep=yes', 'lab-a'])
    ok(['volume', 'create', '--label', 'keep=no', 'lab-b'])
    ok(['volume', 'create', 'lab-c'])
    // named volumes go only with all
    expect(ok(['volume', 'prune', '-f', '--filter', 'label=keep'])).toBe('Total reclaimed space: 0B\n')
    expect(ok(['volume', 'prune', '-f', '--filter', 'all=true', '--filter', 'label=keep=no'])).toBe('Deleted Volumes:\nlab-b\n\nTotal reclaimed space: 0B\n')
    expect(ok(['volume', 'prune', '-f', '-a', '--filter', 'label!=keep'])).toBe('Deleted Volumes:\nlab-c\n\nTotal reclaimed space: 0B\n')
    expect(names()).toEqual(['lab-a'])
    for (const [args, message] of [
      [['-a', '--filter', 'all=1'], 'conflicting options: cannot specify both --all and --filter all=1'],
      [['--filter', 'until=24h'], "invalid filter 'until'"],
      [['--filter', 'all=maybe'], "invalid filter 'all=maybe'"],
    ] as const) {
      const r = cli(['volume', 'prune', '-f', ...args])
      expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `mini-run: ${message}\n`])
    }
    expect(names()).toEqual(['lab-a'])
    ok(['volume', 'rm', 'lab-a'])
  })
})
