/**
 * A service's build section beyond context and args (src/compose/build-config.ts):
 * dockerfile_inline, secrets, extra_hosts, shm_size, ulimits and platforms,
 * built by `compose build` and seen from inside the RUN steps; `compose
 * config` writes them back; what mini-run cannot do is refused by its path.
 * And `mini-run build`'s own --add-host, --shm-size and --ulimit, which the
 * compose keys go through.
 */
import { chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, settledStoreTmp, type TestEnv } from './helpers/test-env.js'

const PLATFORM = `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`

describe.skipIf(!isRoot)('compose build keys and build\'s RUN options (needs root: RUN steps are containers)', () => {
  let env: TestEnv
  let n = 0
  /** A project in a directory of its own; `c(args)` runs compose on it. */
  const project = (yaml: string, files: Record<string, string> = {}) => {
    const dir = join(env.dir, `p${++n}`)
    writeContext(dir, { 'compose.yaml': yaml, ...files })
    return (args: string[], extraEnv: Record<string, string> = {}) =>
      env.run(['compose', '-p', `p${n}`, ...args], { cwd: dir, timeout: 120_000, env: { ...process.env, ...extraEnv } })
  }
  /** A file of the image, read by running it. */
  const cat = (image: string, path: string) => env.run(env.runArgs(['--network', 'none', image, 'cat', path]))

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
    expect(settledStoreTmp(env.storeRoot)).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('builds from dockerfile_inline with secrets, extra_hosts, shm_size, ulimits and this platform, as the RUN steps see them', () => {
    const c = project(
      [
        'secrets:',
        '  token: {file: ./token.txt}',
        '  apikey: {environment: API_KEY}',
        'services:',
        '  app:',
        '    image: localhost/test/keys:1',
        '    build:',
        '      context: .',
        '      dockerfile_inline: |',
        `        FROM ${BUSYBOX}`,
        '        RUN --mount=type=secret,id=token cat /run/secrets/token > /token-copy',
        '        RUN --mount=type=secret,id=key wc -c < /run/secrets/key > /key-length',
        '        RUN grep -E "^(10.1.2.3|fd00::7)[[:space:]]" /etc/hosts > /hosts',
        '        RUN df -k /dev/shm | tail -1 | awk \'{print $2}\' > /shm',
        '        RUN ulimit -n > /nofile && ulimit -Hn >> /nofile',
        '      secrets: [token, {source: apikey, target: key}]',
        '      extra_hosts: ["db.internal=10.1.2.3", "v6.internal=fd00::7"]',
        '      shm_size: 8m',
        '      ulimits: {nofile: {soft: 512, hard: 600}}',
        `      platforms: [${PLATFORM}]`,
        '',
      ].join('\n'),
      { 'token.txt': 'tok-123' },
    )
    const built = c(['build'], { API_KEY: 'twelve-chars' })
    expect(built.stderr).not.toMatch(/mini-run: /)
    expect(built.status).toBe(0)
    expect(cat('localhost/test/keys:1', '/token-copy').stdout).toBe('tok-123')
    expect(cat('localhost/test/keys:1', '/key-length').stdout.trim()).toBe('12')
    expect(cat('localhost/test/keys:1', '/hosts').stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['10.1.2.3 db.internal', 'fd00::7 v6.internal', ''])
    expect(cat('localhost/test/keys:1', '/shm').stdout.trim()).toBe('8192')
    expect(cat('localhost/test/keys:1', '/nofile').stdout).toBe('512\n600\n')

    // an unset variable is an empty secret, as Docker Compose hands the builder VAR=
    const again = c(['build', '--no-cache'], {})
    expect(again.status, again.stderr).toBe(0)
    expect(cat('localhost/test/keys:1', '/key-length').stdout.trim()).toBe('0')

    // compose config writes the keys back, and that loads again as the same build
    const config = c(['config'])
    expect(config.status, config.stderr).toBe(0)
    for (const line of [
      '      dockerfile_inline: |',
      '        - source: token',
      '        - source: apikey',
      '          target: key',
      '        - db.internal:10.1.2.3',
      '      shm_size: "8388608"',
      '          soft: 512',
      '          hard: 600',
      `        - ${PLATFORM}`,
    ]) expect(config.stdout.split('\n')).toContain(line)
    expect(config.stdout).not.toMatch(/^ {6}dockerfile: /m)
    // the secrets' values are in no output, config or history
    const history = env.run(['history', '--no-trunc', 'localhost/test/keys:1'])
    for (const text of [built.stdout, built.stderr, again.stdout, again.stderr, config.stdout, history.stdout]) {
      expect(text).not.toContain('tok-123')
      expect(text).not.toContain('twelve-chars')
    }
  })

  it('builds in dependency order, as Docker Compose does: a service\'s image is another\'s FROM', () => {
    const yaml = [
      'services:',
      // first in the file, built second
      '  app:',
      '    image: localhost/test/order-app:1',
      '    build: {context: ./app}',
      '    depends_on: [base]',
      '    network_mode: none',
      `    cgroup_parent: ${env.cgroupParent}`,
      '  base:',
      '    image: localhost/test/order-base:1',
      '    build: {context: ./base}',
      '    network_mode: none',
      `    cgroup_parent: ${env.cgroupParent}`,
      '',
    ].join('\n')
    const c = project(yaml, {
      'base/Dockerfile': `FROM ${BUSYBOX}\nRUN echo base > /layer\n`,
      'app/Dockerfile': 'FROM localhost/test/order-base:1\nRUN echo app >> /layer\n',
    })
    // create builds what is missing (ensureImages), then build rebuilds both
    const created = c(['create'])
    expect(created.status, created.stderr).toBe(0)
    expect(cat('localhost/test/order-app:1', '/layer').stdout).toBe('base\napp\n')
    const built = c(['build', '--no-cache'])
    expect(built.status, built.stderr).toBe(0)
    const [baseBuilt, appBuilding] = [built.stderr.indexOf(' Image localhost/test/order-base:1  Built\n'), built.stderr.indexOf(' Image localhost/test/order-app:1  Building\n')]
    expect(baseBuilt, built.stderr).toBeGreaterThanOrEqual(0)
    expect(appBuilding, built.stderr).toBeGreaterThan(baseBuilt)
    expect(c(['down']).status).toBe(0)
  })

  it('additional_contexts: a directory, another service\'s image (built first, even when not named) and docker-image://, for FROM and COPY --from', () => {
    const yaml = [
      'services:',
      '  app:',
      '    image: localhost/test/ctx-app:1',
      '    build:',
      '      context: ./app',
      // never pulls base's image, just built: a service's context is the store's (a pull of localhost/... would fail)
      '      pull: true',
      '      additional_contexts:',
      '        shared: ./shared',
      '        base: service:base',
      `        tools: docker-image://${BUSYBOX}`,
      '  base:',
      '    image: localhost/test/ctx-base:1',
      '    build: ./base',
      '',
    ].join('\n')
    const c = project(yaml, {
      'base/Dockerfile': `FROM ${BUSYBOX}\nRUN echo from-base > /base.txt\n`,
      // "base" is a stage of this Dockerfile too: the named context overrides it, as BuildKit's does
      // its steps would fail: the overridden stage is not built
      'app/Dockerfile': [`FROM ${BUSYBOX} AS base`, 'RUN exit 1', 'FROM base', 'COPY --from=shared lib.txt /lib.txt', 'COPY --from=tools /bin/busybox /tools-busybox', ''].join('\n'),
      'shared/lib.txt': 'shared-lib\n',
      'shared/ignored.txt': 'no\n',
      'shared/.dockerignore': 'ignored.txt\n',
    })
    // a local directory's files are root's in the image, whoever owns them here, as BuildKit's
    const shared = join(env.dir, `p${n}`, 'shared')
    chownSync(join(shared, 'lib.txt'), 1234, 1234)
    // app alone: base is built first, as Docker Compose's addBuildDependencies adds it
    const built = c(['build', 'app'])
    expect(built.status, built.stderr).toBe(0)
    expect(cat('localhost/test/ctx-app:1', '/base.txt').stdout).toBe('from-base\n')
    expect(cat('localhost/test/ctx-app:1', '/lib.txt').stdout).toBe('shared-lib\n')
    expect(env.run(env.runArgs(['--network', 'none', 'localhost/test/ctx-app:1', 'stat', '-c', '%u:%g', '/lib.txt'])).stdout).toBe('0:0\n')
    // the directory's content is what COPY --from copies: changed, the step runs again
    writeFileSync(join(shared, 'lib.txt'), 'shared-lib-2\n')
    expect(c(['build', 'app']).status).toBe(0)
    expect(cat('localhost/test/ctx-app:1', '/lib.txt').stdout).toBe('shared-lib-2\n')
    expect(env.run(env.runArgs(['--network', 'none', 'localhost/test/ctx-app:1', 'cmp', '/bin/busybox', '/tools-busybox'])).status).toBe(0)
    expect(c(['config']).stdout).toContain(`        shared: ${join(env.dir, `p${n}`, 'shared')}\n        base: service:base\n`)
    // the named directory keeps its own .dockerignore
    writeFileSync(join(env.dir, `p${n}`, 'app', 'Dockerfile'), 'FROM base\nCOPY --from=shared ignored.txt /\n')
    const ignored = c(['build', 'app'])
    expect(ignored.status).not.toBe(0)
    expect(ignored.stderr).toMatch(/ignored\.txt: not found in the build context "shared" \(or excluded by \.dockerignore\)/)
    // a remote context and a service that is not there: one line each
    const bad = (contexts: string[], dockerfile = 'FROM shared\n') => {
      const p = project(['services:', '  x:', '    build:', '      context: .', '      additional_contexts:', ...contexts.map((l) => `        ${l}`), ''].join('\n'), { Dockerfile: dockerfile, 'd/f': 'f' })(['build'])
      expect(p.status).not.toBe(0)
      // the build's progress, then one line of error
      const errors = p.stderr.split('\n').filter((l) => l.startsWith('mini-run: '))
      expect(errors.length, p.stderr).toBe(1)
      return errors[0]!
    }
    expect(bad(['r: https://example.invalid/ctx.git'])).toMatch(/services\.x\.build\.additional_contexts\.r: "https:\/\/example\.invalid\/ctx\.git": only a directory, docker-image:\/\/REF or service:NAME is supported/)
    expect(bad(['self: service:x'])).toMatch(/services\.x\.build\.additional_contexts\.self: "service:x": a service's build cannot read its own image/)
    expect(bad(['s: service:nope'])).toMatch(/services\.x\.build\.additional_contexts\.s: "service:nope": no such service/)
  })

  it('refuses, by its path, what it cannot build: both Dockerfiles, two platforms, an undefined secret, ssh; cache_from is said unused', () => {
    const service = (build: string[]) => ['secrets:', '  s: {file: ./s.txt}', 'services:', '  app:', '    build:', '      context: .', ...build.map((l) => `      ${l}`), ''].join('\n')
    const refused = (build: string[]) => {
      const r = project(service(build), { 's.txt': 'x' })(['build'])
      expect(r.status).not.toBe(0)
      expect(r.stderr.split('\n').length, r.stderr).toBe(2)
      return r.stderr
    }
    expect(refused(['dockerfile: Dockerfile', 'dockerfile_inline: FROM scratch'])).toMatch(/compose\.yaml: services\.app\.build: dockerfile and dockerfile_inline cannot be set at the same time\n$/)
    expect(refused([`platforms: [${PLATFORM}, linux/s390x]`])).toMatch(/services\.app\.build\.platforms: the classic builder doesn't support multi-arch build/)
    expect(refused(['secrets: [nope]'])).toMatch(/services\.app\.build\.secrets\[0\]: service "app" refers to undefined build secret nope\n$/)
    // an empty dockerfile_inline is none: the dockerfile beside it is used
    writeFileSync(join(env.dir, 'inline-empty.Dockerfile'), `FROM ${BUSYBOX}\n`)
    const empty = project(service([`dockerfile: ${join(env.dir, 'inline-empty.Dockerfile')}`, 'dockerfile_inline: ""']), { 's.txt': 'x' })(['build'])
    expect(empty.status, empty.stderr).toBe(0)
    expect(refused(['shm_size: 0'])).toMatch(/services\.app\.build\.shm_size: must be greater than 0\n$/)
    expect(refused(['ssh: [default]'])).toMatch(/services\.app\.build\.ssh: not supported by mini-run\n$/)
    // an external cache is taken and said unused, as BuildKit builds without a cache it cannot read
    const cached = project(service(['cache_from: [x/y:1, "type=registry,ref=x/y:cache"]', 'cache_to: ["type=inline"]', `dockerfile_inline: "FROM ${BUSYBOX}"`]), { 's.txt': 'x' })(['build'])
    expect(cached.status, cached.stderr).toBe(0)
    expect(cached.stderr).toContain('WARNING: service "app": build.cache_from (x/y:1, type=registry,ref=x/y:cache) is not used: mini-run\'s builder caches in its store alone\n')
    expect(cached.stderr).toContain('WARNING: service "app": build.cache_to (type=inline) is not used: mini-run\'s builder caches in its store alone\n')
    // one platform, not this machine's: the builder's own refusal
    const other = project(service(['platforms: [linux/s390x]', `dockerfile_inline: "FROM ${BUSYBOX}"`]), { 's.txt': 'x' })(['build'])
    expect(other.status).not.toBe(0)
    expect(other.stderr).toMatch(/linux\/s390x/)
  })

  it('mini-run build --add-host, --shm-size and --ulimit reach every RUN, are part of its cache key, and a bad value is one line, exit 1 as docker build\'s', () => {
    const ctx = join(env.dir, 'flags-ctx')
    mkdirSync(ctx, { recursive: true })
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN (grep -w cache.host /etc/hosts | cut -f1; df -k /dev/shm | tail -1 | awk '{print $2}'; ulimit -n) > /seen\n`)
    const build = (args: string[]) => env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args, ctx], { timeout: 120_000 })
    const first = build(['-t', 'localhost/test/flags:1', '--add-host', 'cache.host:10.9.8.7', '--shm-size', '4m', '--ulimit', 'nofile=256:300'])
    expect(first.status, first.stderr).toBe(0)
    expect(cat('localhost/test/flags:1', '/seen').stdout).toBe('10.9.8.7\n4096\n256\n')
    // other values: the RUN again, not the cached one
    const second = build(['-t', 'localhost/test/flags:2', '--add-host', 'cache.host:10.9.8.6', '--shm-size', '4m', '--ulimit', 'nofile=256:300'])
    expect(second.status, second.stderr).toBe(0)
    expect(second.stdout).not.toMatch(/CACHED|Using cache/)
    expect(cat('localhost/test/flags:2', '/seen').stdout).toBe('10.9.8.6\n4096\n256\n')
    // the same values: cached
    const third = build(['-t', 'localhost/test/flags:3', '--add-host', 'cache.host:10.9.8.6', '--shm-size', '4m', '--ulimit', 'nofile=256:300'])
    expect(third.status, third.stderr).toBe(0)
    expect(third.stdout).toMatch(/Using cache|CACHED/)

    // --build-context: a directory and an image by name
    writeFileSync(join(env.dir, 'named.txt'), 'named\n')
    const named = env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, '-t', 'localhost/test/named:1', '--build-context', `extra=${env.dir}`, '--build-context', `img=docker-image://localhost/test/flags:1`, '-f', '-', ctx], {
      timeout: 120_000,
      input: 'FROM img\nCOPY --from=extra named.txt /named.txt\n',
    })
    expect(named.status, named.stderr).toBe(0)
    expect(cat('localhost/test/named:1', '/named.txt').stdout).toBe('named\n')
    expect(cat('localhost/test/named:1', '/seen').stdout).toBe('10.9.8.7\n4096\n256\n')
    // --target naming a stage a context overrides: the context is the result, the stage's steps never run
    const overridden = (context: string, tag: string) =>
      env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, '-t', tag, '--target', 'dep', '--build-context', context, '-f', '-', ctx], {
        timeout: 120_000,
        input: `FROM ${BUSYBOX} AS dep\nRUN exit 3\nFROM dep\nRUN touch /final\n`,
      })
    const asImage = overridden('dep=docker-image://localhost/test/flags:1', 'localhost/test/over-img:1')
    expect(asImage.status, asImage.stderr).toBe(0)
    expect(cat('localhost/test/over-img:1', '/seen').stdout).toBe('10.9.8.7\n4096\n256\n')
    expect(env.run(env.runArgs(['--network', 'none', 'localhost/test/over-img:1', 'ls', '/final'])).status).not.toBe(0)
    mkdirSync(join(env.dir, 'dep-dir', 'etc'), { recursive: true })
    writeFileSync(join(env.dir, 'dep-dir', 'etc', 'dep.txt'), 'from-dir\n')
    const asDir = overridden(`dep=${join(env.dir, 'dep-dir')}`, 'localhost/test/over-dir:1')
    expect(asDir.status, asDir.stderr).toBe(0)
    const dirImage = JSON.parse(env.run(['image', 'inspect', 'localhost/test/over-dir:1']).stdout)[0]
    expect(dirImage.RootFS.Layers).toHaveLength(1)
    // a later FROM of the overridden stage, and FROM of a directory context by its own name: its files, root's
    const fromDir = env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, '-t', 'localhost/test/from-dir:1', '--build-context', `dep=${join(env.dir, 'dep-dir')}`, '--build-context', `more=${join(env.dir, 'dep-dir', 'etc')}`, '-f', '-', ctx], {
      timeout: 120_000,
      // COPY --from=0 names the overridden stage by its number: the context too, as BuildKit's dispatch
      input: `FROM ${BUSYBOX} AS dep\nRUN exit 3\nFROM more AS other\nFROM dep\nCOPY --from=other dep.txt /other.txt\nCOPY --from=0 etc/dep.txt /zero.txt\nLABEL from=dir\n`,
    })
    expect(fromDir.status, fromDir.stderr).toBe(0)
    const fromDirImage = JSON.parse(env.run(['image', 'inspect', 'localhost/test/from-dir:1']).stdout)[0]
    expect([fromDirImage.RootFS.Layers.length, fromDirImage.Config.Labels]).toEqual([3, { from: 'dir' }])
    env.run(['build', '--cgroup-parent', env.cgroupParent, '-o', join(env.dir, 'from-dir-out'), '--build-context', `dep=${join(env.dir, 'dep-dir')}`, '--build-context', `more=${join(env.dir, 'dep-dir', 'etc')}`, '-f', '-', ctx], {
      timeout: 120_000,
      input: `FROM ${BUSYBOX} AS dep\nRUN exit 3\nFROM more AS other\nFROM dep\nCOPY --from=other dep.txt /other.txt\nCOPY --from=0 etc/dep.txt /zero.txt\n`,
    })
    expect(readdirSync(join(env.dir, 'from-dir-out')).sort()).toEqual(['etc', 'other.txt', 'zero.txt'])
    expect(readFileSync(join(env.dir, 'from-dir-out', 'other.txt'), 'utf8')).toBe('from-dir\n')
    expect(readFileSync(join(env.dir, 'from-dir-out', 'zero.txt'), 'utf8')).toBe('from-dir\n')
    const exported = env.run(['build', '--cgroup-parent', env.cgroupParent, '--target', 'dep', '--build-context', `dep=${join(env.dir, 'dep-dir')}`, '-o', join(env.dir, 'dep-out'), '-f', '-', ctx], {
      timeout: 120_000,
      input: `FROM ${BUSYBOX} AS dep\nRUN exit 3\n`,
    })
    expect(exported.status, exported.stderr).toBe(0)
    expect(readFileSync(join(env.dir, 'dep-out', 'etc', 'dep.txt'), 'utf8')).toBe('from-dir\n')
    expect(readdirSync(join(env.dir, 'dep-out'))).toEqual(['etc'])
    expect(build(['--build-context', 'x=git@example.invalid:r.git']).stderr).toBe('mini-run: --build-context x=git@example.invalid:r.git: only a directory or docker-image://REF is supported\n')
    const cacheFlags = build(['-t', 'localhost/test/flags:4', '--cache-from', 'x/y:1', '--cache-to', 'type=inline', '--add-host', 'cache.host:10.9.8.6', '--shm-size', '4m', '--ulimit', 'nofile=256:300'])
    expect(cacheFlags.status, cacheFlags.stderr).toBe(0)
    expect(cacheFlags.stderr).toMatch(/^WARNING: --cache-from x\/y:1 is not used: mini-run's builder caches in its store alone\nWARNING: --cache-to type=inline is not used: mini-run's builder caches in its store alone\n/)
    expect(build(['--build-context', 'x']).stderr).toBe('mini-run: invalid --build-context "x": expected NAME=DIRECTORY or NAME=docker-image://REF\n')

    for (const [flag, value, message] of [
      ['--add-host', 'nohost', 'mini-run: invalid --add-host "nohost": use NAME:IP (IPv4 or IPv6) or NAME:host-gateway\n'],
      ['--ulimit', 'bogus=1', expect.stringMatching(/^mini-run: invalid --ulimit bogus=1: expected NAME=SOFT\[:HARD\], NAME one of .*\n$/)],
      ['--shm-size', '-3', expect.stringMatching(/^mini-run: invalid --shm-size "-3"/)],
    ] as const) {
      const r = build([flag, value])
      expect([r.status, r.stderr]).toEqual([1, message])
    }
  })
})
