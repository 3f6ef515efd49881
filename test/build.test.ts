/**
 * `mini-run build` as a user runs it (root: RUN steps are real containers
 * of the busybox fixture): multi-stage builds, the image config, the cache
 * pattern (which steps ran is read from their output, never from timing),
 * COPY --from/--chown and .dockerignore, whiteouts, and a failing or
 * interrupted RUN leaving nothing behind.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { ImageConfig } from '../src/image/oci.js'
import { hostPlatform } from '../src/image/platform.js'
import { layerTar } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/until.js'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, settledStoreTmp, type TestEnv } from './helpers/test-env.js'
import { buildImage, pushImage } from './helpers/registry-images.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'

describe('a Dockerfile that is not there: one line naming the path, as BuildKit says it', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
  })
  afterAll(() => env?.cleanup())

  test('the context\'s own, a -f file, a directory; build --check and lint too; a missing context is named as one', () => {
    const ctx = writeContext(join(env.dir, 'no-dockerfile'), { 'main.txt': 'x\n', 'sub/keep': '' })
    const fails = (args: string[], line: string) => {
      const r = env.run(args, { cwd: ctx })
      expect([r.stderr, r.stdout, r.status]).toEqual([`mini-run: ${line}\n`, '', 1])
    }
    const missing = (path: string) => `failed to read dockerfile: open ${path}: no such file or directory`
    fails(['build', '-q', '.'], missing(join(ctx, 'Dockerfile')))
    fails(['build', '-q', ctx], missing(join(ctx, 'Dockerfile')))
    fails(['build', '-q', '-f', 'missing.Dockerfile', '.'], missing(join(ctx, 'missing.Dockerfile')))
    fails(['build', '-q', '-f', 'sub', '.'], `failed to read dockerfile: read ${join(ctx, 'sub')}: is a directory`)
    fails(['build', '--check', '.'], missing(join(ctx, 'Dockerfile')))
    fails(['lint'], missing(join(ctx, 'Dockerfile')))
    fails(['build', '-q', join(env.dir, 'no-context')], `build context ${join(env.dir, 'no-context')}: no such directory`)
    // a URL is a remote context for docker/cli, not a path under the working directory
    const remote = (url: string) => `unable to prepare context: ${url}: a remote build context (git or http) is not supported: clone or download it, then build the directory`
    fails(['build', '-q', 'https://github.com/docker/welcome.git'], remote('https://github.com/docker/welcome.git'))
    fails(['build', '-q', 'git@github.com:docker/welcome.git'], remote('git@github.com:docker/welcome.git'))
  })
})

describe.skipIf(registryUnavailable() !== undefined)('an image a line names that cannot be pulled: one line naming the Dockerfile line, as a failed RUN', () => {
  let env: TestEnv
  let registry: RegistryServer
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    registry = await startRegistry()
  })
  afterAll(async () => {
    await registry?.stop()
    env?.cleanup()
  })

  test('FROM (with --pull too) and COPY --from of an image the registry on 127.0.0.1 has not: its 404, with the line', () => {
    const fails = (args: string[], dockerfile: string[], message: string) => {
      const r = env.run(['build', '-q', ...args, writeContext(join(env.dir, `ctx-${randomBytes(4).toString('hex')}`), { Dockerfile: dockerfile.join('\n'), f: 'f\n' })])
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('mini-run:'))
      expect([r.status, errors]).toEqual([1, [expect.stringMatching(new RegExp(`^mini-run: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))]])
      // the registry's own words follow
      expect(errors[0]).toMatch(/ not found/)
    }
    const nope = `${registry.host}/test/nope:v1`
    fails([], ['# the base', `FROM ${nope}`, 'COPY f /f'], `Dockerfile:2: FROM: manifest for ${nope} not found`)
    fails(['--pull'], [`FROM ${nope}`], `Dockerfile:1: FROM: manifest for ${nope} not found`)
    // a later stage's base, after a stage that built
    fails([], ['FROM scratch AS first', 'COPY f /f', `FROM ${nope}`], `Dockerfile:3: FROM: manifest for ${nope} not found`)
    fails([], ['FROM scratch', `COPY --from=${nope} /f /f`], `Dockerfile:2: COPY: manifest for ${nope} not found`)
  })

  test('-q pulls a FROM and a COPY --from image the store lacks without a word: only the image id, as docker build -q', async () => {
    const base = `${registry.host}/test/quiet-base:v1`
    const other = `${registry.host}/test/quiet-other:v1`
    // this host's platform: a build runs its base natively
    const platform = hostPlatform()
    await pushImage(registry.url, 'test/quiet-base', 'v1', await buildImage({ layers: [{ 'base.txt': 'base\n' }], ...platform }))
    await pushImage(registry.url, 'test/quiet-other', 'v1', await buildImage({ layers: [{ 'other.txt': 'other\n' }], ...platform }))
    const ctx = writeContext(join(env.dir, 'quiet-pull'), { Dockerfile: [`FROM ${base}`, `COPY --from=${other} /other.txt /`, 'COPY f /f'].join('\n'), f: 'f\n' })
    const first = env.run(['build', '-q', '-t', 'localhost/test/quiet:1', ctx])
    expect([first.stderr, first.status]).toEqual(['', 0])
    expect(first.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/)
    // they were pulled: the store has them now
    const store = new ImageStore({ root: env.storeRoot })
    for (const ref of [base, other]) expect((await store.resolve(ref)).manifest).toBeDefined()
    // --pull pulls again, just as quietly, and gives the same image
    const again = env.run(['build', '-q', '--pull', ctx])
    expect([again.stderr, again.stdout, again.status]).toEqual(['', first.stdout, 0])
    // without -q the pull is shown, as docker build shows it
    const shown = env.run(['build', '--progress', 'plain', '--pull', ctx])
    expect(shown.status).toBe(0)
    expect(shown.stderr).toMatch(/^Status: .*quiet-base:v1$/m)
  })
})

describe.skipIf(!isRoot)('build (needs root: RUN steps are containers)', () => {
  let env: TestEnv
  let n = 0
  const newContext = (files: Record<string, string>) => writeContext(join(env.dir, `ctx${++n}`), files)
  // TMPDIR of the file's own: what a build from stdin keeps there is checked, and other files build from stdin too
  const tmp = () => join(env.dir, 'tmp')
  const build = (args: string[], options?: Parameters<TestEnv['run']>[1]) =>
    env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args], { ...options, env: { ...process.env, ...options?.env, TMPDIR: tmp() } })
  const config = async (ref: string) => (await new ImageStore({ root: env.storeRoot }).resolve(ref)).config as ImageConfig & { config: Record<string, unknown> }

  beforeAll(async () => {
    env = await makeTestEnv()
    mkdirSync(tmp())
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
    expect(settledStoreTmp(env.storeRoot)).toEqual([])
  })
  afterAll(() => env?.cleanup())

  test('a multi-stage build: COPY --from with --chown, .dockerignore, the config, and the image runs', async () => {
    const ctx = newContext({
      'Dockerfile': [
        `ARG BASE=${BUSYBOX}`,
        'FROM ${BASE} AS build',
        'ARG FLAVOUR=plain',
        'WORKDIR /src',
        'COPY . .',
        'RUN mkdir -p /out && cat main.txt > /out/app && echo "$FLAVOUR" > /out/flavour && ls -a /src > /out/listing',
        '',
        `FROM ${BUSYBOX}`,
        'COPY --from=build --chown=1000:1000 /out/ /app/',
        'ENV GREETING="hello world" MODE=prod',
        'LABEL org.example.team=build',
        'EXPOSE 8080 53/udp',
        'VOLUME /data',
        'USER 1000',
        'WORKDIR /app',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=5s CMD test -f /app/app',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat /app/app; echo $GREETING; id -u"]',
      ].join('\n'),
      'main.txt': 'the app\n',
      'secret.env': 'TOKEN=x\n',
      'logs/debug.log': 'noise\n',
      '.dockerignore': '*.env\nlogs\n',
    })
    const r = build(['-t', 'localhost/test/multi:1', '--build-arg', 'FLAVOUR=spicy', '--label', 'extra=yes', ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^\[1\/2\] STEP 1\/5: FROM \$\{BASE\} AS build$/m)
    expect(r.stdout).toMatch(/^\[2\/2\] STEP 12\/12: CMD \["cat \/app\/app; echo \$GREETING; id -u"\]$/m)
    expect(r.stdout).toMatch(/^COMMIT localhost\/test\/multi:1$/m)
    expect(r.stdout).toMatch(/^Successfully tagged localhost\/test\/multi:1\n[0-9a-f]{64}\n$/m)

    const run = env.run(env.runArgs(['localhost/test/multi:1']))
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('the app\nhello world\n1000\n')
    const files = env.run(env.runArgs(['localhost/test/multi:1', 'ls -ln /app | tail -n +2 | awk \'{print $1, $3, $4, $9}\'; cat /app/flavour /app/listing']))
    expect(files.stdout).toBe(
      ['-rw-r--r-- 1000 1000 app', '-rw-r--r-- 1000 1000 flavour', '-rw-r--r-- 1000 1000 listing', 'spicy', '.', '..', '.dockerignore', 'Dockerfile', 'main.txt', ''].join('\n'),
    )

    const c = await config('localhost/test/multi:1')
    expect(c.config).toMatchObject({
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello world', 'MODE=prod'],
      Labels: { 'org.example.team': 'build', extra: 'yes' },
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Volumes: { '/data': {} },
      User: '1000',
      WorkingDir: '/app',
      StopSignal: 'SIGQUIT',
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /app/app'], Interval: 5e9 },
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['cat /app/app; echo $GREETING; id -u'],
    })
    // the maps in Go's key order, as Docker's builder writes them and its inspect prints them
    expect([c.config.Labels, c.config.ExposedPorts].map((m) => Object.keys(m as object))).toEqual([['extra', 'org.example.team'], ['53/udp', '8080/tcp']])
    const inspected = env.run(['image', 'inspect', '-f', '{{json .Config.Labels}} {{range $k, $v := .Config.ExposedPorts}}{{$k}} {{end}}', 'localhost/test/multi:1'])
    expect(inspected.stdout).toBe('{"extra":"yes","org.example.team":"build"} 53/udp 8080/tcp \n')
    // a history entry per step of the final stage (on the base's), empty_layer where no layer was made
    const history = c.history!.slice(-11)
    expect(history.map((h) => [h.created_by?.split(' ')[0], h.empty_layer === true])).toEqual([
      ['COPY', false],
      ['ENV', true],
      ['LABEL', true],
      ['EXPOSE', true],
      ['VOLUME', true],
      ['USER', true],
      ['WORKDIR', true], // /app exists already: no layer
      ['STOPSIGNAL', true],
      ['HEALTHCHECK', true],
      ['ENTRYPOINT', true],
      ['CMD', true],
    ])
    expect(c.rootfs.diff_ids).toHaveLength(c.history!.filter((h) => !h.empty_layer).length)
  })

  test('the cache: a code change reruns the last steps only, a requirements change reruns from there; touch and --build-arg', () => {
    const ctx = newContext({
      'Dockerfile': [
        `FROM ${BUSYBOX}`,
        'ARG VERSION=1',
        'WORKDIR /app',
        'COPY requirements.txt .',
        // $((1+1)): the output differs from the command echoed in the STEP line
        'RUN echo "INSTALL-$((1+1)) with $(cat requirements.txt)" > /installed && cat /installed',
        'COPY . .',
        'RUN echo "BUILD-$((1+1)) for v$VERSION"',
      ].join('\n'),
      'requirements.txt': 'flask==3.0\n',
      'app.py': 'print(1)\n',
    })
    const ran = (out: string) => [/^INSTALL-2/m.test(out) && 'install', /^BUILD-2/m.test(out) && 'build'].filter(Boolean)
    const id = (out: string) => out.trimEnd().split('\n').at(-1)
    const first = build(['-t', 'localhost/test/cache:1', ctx])
    expect(first.status).toBe(0)
    expect(ran(first.stdout)).toEqual(['install', 'build'])
    expect(first.stdout).toMatch(/^INSTALL-2 with flask==3\.0$/m)

    const again = build(['-t', 'localhost/test/cache:1', ctx])
    expect(ran(again.stdout)).toEqual([])
    expect(again.stdout.match(/^--> Using cache [0-9a-f]{64}$/gm)).toHaveLength(5)
    expect(id(again.stdout)).toBe(id(first.stdout)) // the same image, history times included

    // an mtime is not content
    utimesSync(join(ctx, 'requirements.txt'), new Date(2010, 0, 1), new Date(2010, 0, 1))
    utimesSync(join(ctx, 'app.py'), new Date(2010, 0, 1), new Date(2010, 0, 1))
    expect(ran(build([ctx]).stdout)).toEqual([])

    writeFileSync(join(ctx, 'app.py'), 'print(2)\n')
    const code = build([ctx])
    expect(ran(code.stdout)).toEqual(['build'])
    expect(code.stdout).toMatch(/STEP 5\/7: RUN echo "INSTALL[^\n]*\n--> Using cache/)

    writeFileSync(join(ctx, 'requirements.txt'), 'flask==3.1\n')
    const reqs = build([ctx])
    expect(ran(reqs.stdout)).toEqual(['install', 'build'])
    expect(reqs.stdout).toMatch(/^INSTALL-2 with flask==3\.1$/m)

    // a build arg a RUN sees is part of its key; --no-cache reruns everything
    expect(ran(build(['--build-arg', 'VERSION=2', ctx]).stdout)).toEqual(['install', 'build'])
    expect(ran(build(['--build-arg', 'VERSION=2', ctx]).stdout)).toEqual([])
    expect(ran(build(['--no-cache', ctx]).stdout)).toEqual(['install', 'build'])
    const unused = build(['--build-arg', 'NOBODY=1', ctx])
    expect(unused.stderr).toMatch(/WARNING: one or more build-args \[NOBODY\] were not consumed/)
    // -q: the image id alone
    const quiet = build(['-q', ctx])
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/)
  })

  test('RUN rm of a lower file and of a whole directory: whiteouts hide them in the final image', async () => {
    const ctx = newContext({
      Dockerfile: [
        `FROM ${BUSYBOX}`,
        'RUN mkdir -p /data/sub && echo keep > /data/keep && echo x > /data/sub/x && echo gone > /gone',
        'RUN rm /gone /bin/ping && rm -rf /data/sub /root',
        'RUN rm -rf /data && mkdir /data && echo new > /data/new',
      ].join('\n'),
    })
    expect(build(['-t', 'localhost/test/rm:1', ctx]).status).toBe(0)
    const r = env.run(env.runArgs(['localhost/test/rm:1', 'sh', '-c', 'for p in /gone /bin/ping /data/sub /root /data/keep; do test -e $p && echo "$p still there"; done; ls /data; ls /bin/ls']))
    expect(r.stdout).toBe('new\n/bin/ls\n')
    // in the store's layers: 0:0 devices where things went, an opaque /data made again
    const store = new ImageStore({ root: env.storeRoot })
    const image = await store.resolve('localhost/test/rm:1')
    const [removing, remade] = image.layerDirs.slice(-2) as [string, string]
    expect(readdirSync(join(removing, 'bin'))).toEqual(['ping'])
    expect(readdirSync(join(remade, 'data'))).toEqual(['new'])
    const { isOpaqueDir } = await import('../src/image/overlay-marks.js')
    expect(isOpaqueDir(join(remade, 'data'))).toBe(true)
  })

  test('a failing RUN stops the build with its exit code and its line, and leaves nothing', () => {
    const store = join(env.storeRoot, 'layers')
    const before = readdirSync(store).length
    const ctx = newContext({ Dockerfile: [`FROM ${BUSYBOX}`, 'RUN echo half > /half-written', 'RUN echo about to fail && touch /partial && exit 7', 'RUN echo never'].join('\n') })
    const r = build(['-t', 'localhost/test/fail:1', ctx])
    expect(r.status).toBe(7)
    expect(r.stdout).toMatch(/^about to fail$/m)
    expect(r.stdout).not.toMatch(/never/)
    expect(r.stderr).toMatch(/^mini-run: Dockerfile:3: RUN \/bin\/sh -c echo about to fail && touch \/partial && exit 7: the command exited with code 7$/m)
    // only the successful step's layer was added
    expect(readdirSync(store).length).toBe(before + 1)
    expect(env.run(['images', '-q', 'localhost/test/fail']).stdout).toBe('')
    const missing = build([newContext({ Dockerfile: `FROM ${BUSYBOX}\nRUN ["/no/such/program"]` })])
    expect(missing.status).toBe(127)
    expect(missing.stderr).toMatch(/Dockerfile:2: RUN \/no\/such\/program: the command could not start: exec "\/no\/such\/program": no such file or directory/)
  })

  test('a COPY that cannot be planned, a RUN that cannot start: one line naming the Dockerfile line, exit 1', () => {
    const fails = (lines: string[], message: RegExp) => {
      const r = build([newContext({ 'Dockerfile': [`FROM ${BUSYBOX}`, ...lines].join('\n'), 'f': 'f\n', 'g': 'g\n' })])
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.split('\n').filter((l) => l.startsWith('mini-run:'))).toHaveLength(1)
    }
    fails(['RUN true', 'COPY missing.txt /x'], /^mini-run: Dockerfile:3: COPY: missing\.txt: not found in the build context/m)
    fails(['ADD nope.tar.gz /x/'], /^mini-run: Dockerfile:2: ADD: nope\.tar\.gz: not found in the build context/m)
    fails(['COPY f g /nodir'], /^mini-run: Dockerfile:2: COPY: when copying more than one source the destination must be a directory ending in "\/": \/nodir$/m)
    fails(['COPY f /etc/passwd/x'], /^mini-run: Dockerfile:2: COPY: cannot copy into \/etc\/passwd: it is not a directory in the image$/m)
    fails(['COPY d[1 /x/'], /^mini-run: Dockerfile:2: COPY: bad pattern "d\[1": unterminated \[$/m)
    // a RUN whose USER the image does not have fails before it runs: its line still named
    fails(['USER nosuch', 'RUN id'], /^mini-run: Dockerfile:3: RUN \/bin\/sh -c id: unable to find user nosuch: no matching entries in passwd file$/m)
  })

  test('an instruction whose input is wrong (an expansion, a signal, a base name) is named by its line', () => {
    const fails = (dockerfile: string[], message: RegExp) => {
      const r = build(['-q', newContext({ Dockerfile: dockerfile.join('\n') })])
      expect([r.status, r.stderr.split('\n').filter((l) => l.startsWith('mini-run:'))]).toEqual([1, [expect.stringMatching(message)]])
    }
    fails([`FROM ${BUSYBOX}`, 'STOPSIGNAL SIGFOO'], /^mini-run: Dockerfile:2: STOPSIGNAL: invalid signal: SIGFOO$/)
    fails([`FROM ${BUSYBOX}`, 'WORKDIR ${A'], /^mini-run: Dockerfile:2: WORKDIR: failed to process "\$\{A": syntax error: missing '\}'$/)
    fails([`FROM ${BUSYBOX}`, 'ARG X=${Y:?needed}'], /^mini-run: Dockerfile:2: ARG: failed to process "\$\{Y:\?needed\}": Y: needed$/)
    fails(['ARG X=${Y:?needed}', `FROM ${BUSYBOX}`], /^mini-run: Dockerfile:1: ARG: failed to process/)
    fails(['FROM ${A'], /^mini-run: Dockerfile:1: FROM: failed to process "\$\{A"/)
    fails([`FROM ${BUSYBOX}`, 'RUN true', 'FROM Bad:x'], /^mini-run: Dockerfile:3: FROM: invalid reference format "Bad:x"/)
    fails([`FROM ${BUSYBOX}`, 'COPY --from=${A f /x'], /^mini-run: Dockerfile:2: COPY: failed to process "\$\{A"/)
    // one that names its line already is not named twice
    fails([`FROM ${BUSYBOX}`, 'VOLUME ["", "/x"]'], /^mini-run: Dockerfile:2: VOLUME specified can not be an empty string$/)
  })

  test('Ctrl-C during a RUN kills and removes its container; the build exits 130', async () => {
    const ctx = newContext({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo started; sleep 60; echo "finished-$((1+1))"` })
    const { child, done, output } = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ctx])
    try {
      // the RUN's own line, not the step line that quotes it
      await until('the RUN to print started', () => /^started$/m.test(output()))
    } finally {
      child.kill('SIGINT')
    }
    const r = await done
    expect(r.status).toBe(130)
    expect(r.stderr).toMatch(/mini-run: build interrupted/)
    expect(r.stdout).not.toMatch(/finished-2/)
  })

  test('Ctrl-C during the last step (a long COPY) stops the build: exit 130, no image, no name', async () => {
    const ctx = newContext({ Dockerfile: `FROM ${BUSYBOX}\nCOPY big /big\n` })
    writeFileSync(join(ctx, 'big'), randomBytes(96 << 20))
    const { child, done, output } = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'build', '--progress', 'plain', '-t', 'localhost/test/interrupted:1', ctx])
    try {
      await until('the COPY step to begin', () => /^STEP 2\/2: COPY big/m.test(output()), 20_000, 5)
    } finally {
      child.kill('SIGINT')
    }
    const r = await done
    expect([r.status, r.stderr]).toEqual([130, 'mini-run: build interrupted\n'])
    expect(r.stdout).not.toMatch(/Successfully tagged/)
    expect(env.run(['images', '-q', 'localhost/test/interrupted']).stdout).toBe('')
  })

  test('FROM scratch: COPY a static binary, then RUN it', () => {
    const ctx = newContext({ Dockerfile: [`FROM ${BUSYBOX} AS tools`, 'FROM scratch', 'COPY --from=tools /bin/busybox /bin/sh', 'RUN ["/bin/sh", "-c", "echo from scratch > /hello"]', 'CMD ["/bin/sh", "-c", "read x < /hello; echo $x"]'].join('\n') })
    const r = build(['-t', 'localhost/test/scratch:1', ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect(env.run(env.runArgs(['localhost/test/scratch:1'])).stdout).toBe('from scratch\n')
  })

  test('stdin, as Docker\'s: -f - with a context, - alone (a Dockerfile, no context), - with a tar of the context (plain, gzip, xz, bzip2); both at once refused', () => {
    const ctx = newContext({ 'hello.txt': 'from the context\n' })
    const dockerfile = `FROM ${BUSYBOX}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`
    const viaFile = build(['-t', 'localhost/test/stdin:1', '-f', '-', ctx], { input: dockerfile })
    expect(viaFile.stderr).not.toMatch(/mini-run: /)
    expect(viaFile.status).toBe(0)
    // its warnings name it as the user did, never the temporary copy's path
    expect(viaFile.stderr).toMatch(/^WARNING: -:1: .*\[root-user\]$/m)
    expect(viaFile.stderr).not.toMatch(/mini-run-build-stdin/)
    expect(env.run(env.runArgs(['localhost/test/stdin:1'])).stdout).toBe('from the context\n')
    const alone = build(['-t', 'localhost/test/stdin:2', '-'], { input: `FROM ${BUSYBOX}\nCMD ["echo", "no context"]\n` })
    expect(alone.status).toBe(0)
    expect(alone.stderr).toMatch(/^WARNING: Dockerfile:1: .*\[root-user\]$/m)
    expect(alone.stderr).not.toMatch(/mini-run-build-stdin/)
    expect(env.run(env.runArgs(['localhost/test/stdin:2'])).stdout).toBe('no context\n')
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile)
    const tarred = spawnSync('tar', ['-C', ctx, '-czf', '-', '.'], { maxBuffer: 1 << 24 }).stdout
    expect(tarred.length).toBeGreaterThan(0)
    const fromTar = build(['-t', 'localhost/test/stdin:3', '-'], { input: tarred })
    expect(fromTar.stderr).not.toMatch(/mini-run: /)
    expect(fromTar.status).toBe(0)
    expect(env.run(env.runArgs(['localhost/test/stdin:3'])).stdout).toBe('from the context\n')
    // xz and bzip2 too, as Docker's (tar cJf - . | mini-run build -)
    for (const [flag, tag] of [['-cJf', 'xz'], ['-cjf', 'bz2']] as const) {
      const packed = spawnSync('tar', ['-C', ctx, flag, '-', '.'], { maxBuffer: 1 << 24 }).stdout
      const r = build(['-t', `localhost/test/stdin:${tag}`, '-'], { input: packed })
      expect(r.stderr).not.toMatch(/mini-run: /)
      expect(r.status).toBe(0)
      expect(env.run(env.runArgs([`localhost/test/stdin:${tag}`])).stdout).toBe('from the context\n')
    }
    const both = build(['-f', '-', '-'], { input: dockerfile })
    expect([both.status, both.stderr]).toEqual([1, "mini-run: invalid argument: can't use stdin for both build context and dockerfile\n"])
    // nothing of stdin is left behind
    expect(readdirSync(tmp())).toEqual([])
  })

  test('--iidfile writes the image id; --rm and --force-rm are accepted (Docker\'s, no-ops here)', () => {
    const ctx = newContext({ Dockerfile: `FROM ${BUSYBOX}\nENV IID=1\n` })
    const iid = join(env.dir, 'iid')
    const r = build(['-q', '--rm', '--force-rm', '--iidfile', iid, ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect([readFileSync(iid, 'utf8'), r.stdout]).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/), `${readFileSync(iid, 'utf8')}\n`])
    const bad = build(['-q', '--iidfile', join(env.dir, 'no-such-dir', 'iid'), ctx])
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/^mini-run: --iidfile .*no-such-dir\/iid: ENOENT/)])
    // a failed build leaves no id behind, not the last build's (docker/cli removes the file first)
    const failing = build(['-q', '--iidfile', iid, newContext({ Dockerfile: `FROM ${BUSYBOX}\nRUN exit 3\n` })])
    expect(failing.status).not.toBe(0)
    expect(existsSync(iid)).toBe(false)
  })

  test('ADD: a local tar archive is extracted with its owners; a plain file belongs to root; a URL is refused', async () => {
    const ctx = newContext({ 'Dockerfile': [`FROM ${BUSYBOX}`, 'ADD bundle.tar.gz plain.txt /opt/'].join('\n'), 'plain.txt': 'plain\n', 'src/pkg/lib.txt': 'lib\n' })
    chownSync(join(ctx, 'plain.txt'), 1000, 1000)
    chownSync(join(ctx, 'src/pkg/lib.txt'), 4242, 4343)
    execFileSync('tar', ['-C', join(ctx, 'src'), '-czf', join(ctx, 'bundle.tar.gz'), 'pkg'])
    expect(build(['-t', 'localhost/test/add:1', ctx]).status).toBe(0)
    const r = env.run(env.runArgs(['localhost/test/add:1', 'sh', '-c', 'cd /opt && ls -ln plain.txt pkg/lib.txt | awk \'{print $3, $4, $9}\'; cat pkg/lib.txt; test -e bundle.tar.gz || echo extracted']))
    expect(r.stdout).toBe('4242 4343 pkg/lib.txt\n0 0 plain.txt\nlib\nextracted\n')
    // xz and bzip2 as Docker's; a compressed file that holds no tar is copied as it is
    const packed = newContext({ 'Dockerfile': [`FROM ${BUSYBOX}`, 'ADD a.tar.xz /xz/', 'ADD b.tar.bz2 /bz/', 'ADD note.xz /plain/'].join('\n'), 'src/pkg/lib.txt': 'lib\n' })
    execFileSync('tar', ['-C', join(packed, 'src'), '-cJf', join(packed, 'a.tar.xz'), 'pkg'])
    execFileSync('tar', ['-C', join(packed, 'src'), '-cjf', join(packed, 'b.tar.bz2'), 'pkg'])
    writeFileSync(join(packed, 'note.xz'), execFileSync('xz', ['-c'], { input: 'just text\n' }))
    expect(build(['-t', 'localhost/test/add:2', packed]).status).toBe(0)
    const unpacked = env.run(env.runArgs(['localhost/test/add:2', 'sh', '-c', 'cat /xz/pkg/lib.txt /bz/pkg/lib.txt; xz -dc /plain/note.xz']))
    expect(unpacked.stdout).toBe('lib\nlib\njust text\n')
    // a broken one: the step, the file and the tool's words, exit 1
    const broken = newContext({ 'Dockerfile': `FROM ${BUSYBOX}\nADD c.tar.xz /c/`, 'src/pkg/lib.txt': 'lib\n' })
    const whole = execFileSync('tar', ['-C', join(broken, 'src'), '-cJf', '-', 'pkg'])
    writeFileSync(join(broken, 'c.tar.xz'), whole.subarray(0, whole.length - 40))
    const cut = build([broken])
    expect(cut.status).toBe(1)
    expect(cut.stderr).toMatch(/Dockerfile:2: ADD: c\.tar\.xz: xz -d: .*(Unexpected end of input|corrupt)/)
    // an unpacker that refuses the archive midway ends the tool, which would block on a full pipe: the step fails at once
    const hostile = newContext({ 'Dockerfile': `FROM ${BUSYBOX}\nADD h.tar.xz /h/` })
    const tar = await layerTar([{ path: '../escape.txt', type: 'file', content: 'x' }, { path: 'big', type: 'file', content: randomBytes(8 << 20) }])
    writeFileSync(join(hostile, 'h.tar.xz'), execFileSync('xz', ['-0', '-c'], { input: tar, maxBuffer: 64 << 20 }))
    const refused = build([hostile], { timeout: 60_000 })
    expect(refused.signal).toBeNull()
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/\.\.\/escape\.txt/)
    const url = build([newContext({ Dockerfile: `FROM ${BUSYBOX}\nADD https://example.com/x.tar.gz /x/` })])
    expect(url.status).toBe(1)
    expect(url.stderr).toMatch(/Dockerfile:2: ADD: https:\/\/example\.com\/x\.tar\.gz: remote sources are not supported; download them in a RUN step/)
  })

  test('build --check prints each warning with its line and fails; a build prints them after', () => {
    const ctx = newContext({ Dockerfile: `FROM ${BUSYBOX}\nENV API_TOKEN=abc\nRUN true\n` })
    const check = build(['--check', ctx])
    expect(check.status).toBe(1)
    const rel = join(ctx, 'Dockerfile') // as the build was told
    expect(check.stdout).toBe(
      [
        `${rel}:1: FROM localhost/test/busybox:latest: :latest changes when the image is updated; pin a version (or a digest) [latest-base]`,
        `${rel}:1: the final stage sets no USER: the container runs as root; add a USER [root-user]`,
        `${rel}:2: ENV API_TOKEN looks like a secret: it stays in the image config for anyone with the image; use RUN --mount=type=secret [secret-env]`,
        '',
      ].join('\n'),
    )
    const built = build([ctx])
    expect(built.status).toBe(0)
    expect(built.stderr).toMatch(/^WARNING: .*:2: ENV API_TOKEN looks like a secret/m)
  })
})
