/**
 * RUN --mount (src/build/run-mounts.ts): a secret is readable by its one
 * RUN and in no layer, no config and no history; a cache directory
 * survives from one build to the next and is in no layer either; a bind
 * shows another stage's files read-only.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { release } from 'node:os'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { layerTars, writeContext } from './helpers/build.js'
import { miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/until.js'
import { BUSYBOX, isRoot, makeTestEnv, settledStoreTmp, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('RUN --mount (needs root: RUN steps are containers)', () => {
  let env: TestEnv
  const build = (args: string[]) => env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args])

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
    expect(settledStoreTmp(env.storeRoot)).toEqual([])
  })
  afterAll(() => env?.cleanup())

  test('a secret is there for its RUN only, and in no layer, config or history', async () => {
    const secret = 's3cr3t-' + Math.random().toString(36).slice(2)
    const secretFile = join(env.dir, 'token.txt')
    writeFileSync(secretFile, secret)
    const ctx = writeContext(join(env.dir, 'secret-ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX}`,
        'RUN --mount=type=secret,id=token cat /run/secrets/token | wc -c > /token-length && stat -c "%a %u" /run/secrets/token',
        'RUN --mount=type=secret,id=token,target=/etc/app/key,mode=0440,uid=1000 stat -c "%a %u %s" /etc/app/key',
        'RUN test ! -e /run/secrets/token && test ! -e /etc/app/key && echo "gone-$((1+1))"',
        // BuildKit's env=: in the environment only, or there and at a target given too
        'RUN --mount=type=secret,id=token,env=API_TOKEN echo "env-${#API_TOKEN}" && test ! -e /run/secrets/token && echo env-only',
        'RUN --mount=type=secret,id=token,env=API_TOKEN,target=/key test "$API_TOKEN" = "$(cat /key)" && echo env-and-file',
        'RUN echo "after-[${API_TOKEN:-unset}]"',
      ].join('\n'),
    })
    const r = build(['-t', 'localhost/test/secret:1', '--secret', `id=token,src=${secretFile}`, ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^400 0$/m)
    expect(r.stdout).toMatch(new RegExp(`^440 1000 ${secret.length}$`, 'm'))
    expect(r.stdout).toMatch(/^gone-2$/m)
    expect(r.stdout).toMatch(new RegExp(`^env-${secret.length}$`, 'm'))
    expect(r.stdout).toMatch(/^env-only$/m)
    expect(r.stdout).toMatch(/^env-and-file$/m)
    expect(r.stdout).toMatch(/^after-\[unset\]$/m)
    expect(env.run(env.runArgs(['localhost/test/secret:1', 'cat', '/token-length'])).stdout.trim()).toBe(String(secret.length))

    // every layer of the image as a tar (and gzipped, as pushed), its config and history, every blob of the store
    const needle = Buffer.from(secret)
    const tars = await layerTars(env.storeRoot, 'localhost/test/secret:1')
    expect(tars.length).toBeGreaterThan(1)
    for (const tar of tars) {
      expect(tar.includes(needle)).toBe(false)
      expect(gzipSync(tar).includes(needle)).toBe(false)
      // nor are the mount points left behind
      expect(tar.includes(Buffer.from('run/secrets'))).toBe(false)
      expect(tar.includes(Buffer.from('etc/app'))).toBe(false)
    }
    const image = await new ImageStore({ root: env.storeRoot }).resolve('localhost/test/secret:1')
    expect(JSON.stringify(image.config)).not.toContain(secret)
    for (const name of readdirSync(join(env.storeRoot, 'blobs', 'sha256'))) {
      expect(readFileSync(join(env.storeRoot, 'blobs', 'sha256', name)).includes(needle)).toBe(false)
    }

    // the same scan finds a secret that a RUN does copy into its layer
    const leak = writeContext(join(env.dir, 'secret-leak'), { Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=token cp /run/secrets/token /copied` })
    expect(build(['-t', 'localhost/test/leak:1', '--secret', `id=token,src=${secretFile}`, leak]).status).toBe(0)
    expect((await layerTars(env.storeRoot, 'localhost/test/leak:1')).some((t) => t.includes(needle))).toBe(true)

    const missing = build([writeContext(join(env.dir, 'secret-missing'), { Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=nope,required cat /run/secrets/nope` })])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/Dockerfile:2: RUN: secret nope is required: give it with --secret id=nope,src=FILE/)
    const badEnv = build([writeContext(join(env.dir, 'secret-bad-env'), { Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=token,env=1X true` })])
    expect([badEnv.status, badEnv.stderr]).toEqual([1, expect.stringMatching(/^mini-run: Dockerfile:2: .*env=1X is not a variable name\n$/)])
  })

  test('a secret at a quoted target with a blank in it: one value, as BuildKit reads the flag', () => {
    const secretFile = join(env.dir, 'quoted-token.txt')
    writeFileSync(secretFile, 'quoted-value')
    const ctx = writeContext(join(env.dir, 'secret-quoted-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'RUN --mount=type=secret,id=token,target="/run/my secret" echo "read-[$(cat "/run/my secret")]" && stat -c "%a %F" "/run/my secret"'].join('\n'),
    })
    const r = build(['--secret', `id=token,src=${secretFile}`, ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^read-\[quoted-value\]\n400 regular file$/m)
  })

  test('a secret given as env= is in no file of the state or the store, nor in inspect or ps, while its RUN runs', async () => {
    const secret = 'env-s3cr3t-' + Math.random().toString(36).slice(2)
    const secretFile = join(env.dir, 'env-token.txt')
    writeFileSync(secretFile, secret)
    // the RUN says it sees the value, then waits in a sleep the test ends once it has looked
    const ctx = writeContext(join(env.dir, 'secret-env-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'RUN --mount=type=secret,id=token,env=API_TOKEN echo "seen-${#API_TOKEN}" && echo held-here && sleep 600; echo released'].join('\n'),
    })
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const b = miniRunAsync([...globals, 'build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, '-t', 'localhost/test/secret-env:1', '--secret', `id=token,src=${secretFile}`, ctx])
    try {
      // the line the RUN prints, not the step line that quotes it
      await until('the RUN to be running', () => /^held-here$/m.test(b.output()))
      expect(b.output()).toMatch(new RegExp(`seen-${secret.length}\\b`))
      const needle = Buffer.from(secret)
      const holding = filesUnder(env.stateRoot).concat(filesUnder(env.storeRoot)).filter((f) => holds(f, needle))
      expect(holding).toEqual([])
      const ps = env.run(['ps', '-a', '--no-trunc'])
      expect(ps.stdout).not.toContain(secret)
      const ids = env.run(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean)
      expect(ids).toHaveLength(1)
      const inspect = env.run(['inspect', ids[0]!])
      expect(inspect.status).toBe(0)
      expect(inspect.stdout).toContain('API_TOKEN')
      expect(inspect.stdout).not.toContain(secret)
      // the process itself has it, as the RUN said
      const pid = Number(env.run(['inspect', '-f', '{{.State.Pid}}', ids[0]!]).stdout)
      const sleeping = () => childrenOf(pid).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep')
      await until('the RUN\'s sleep to start', () => sleeping() !== undefined)
      const sleeper = sleeping()
      expect(readFileSync(`/proc/${sleeper}/environ`).includes(Buffer.from(`API_TOKEN=${secret}`))).toBe(true)
      process.kill(sleeper!, 'SIGTERM')
    } catch (err) {
      // the build ends as a user's ^C ends it, its RUN's container with it
      b.child.kill('SIGINT')
      await b.done
      throw err
    }
    const r = await b.done
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    // the RUN's own line, not the step line that quotes it
    expect(r.stdout).toMatch(/^released$/m)
    const image = await new ImageStore({ root: env.storeRoot }).resolve('localhost/test/secret-env:1')
    expect(JSON.stringify(image.config)).not.toContain(secret)
    expect(JSON.stringify(image.config)).toContain('API_TOKEN')
  })

  test('a file secret is on a tmpfs of its own while its RUN runs, on no disk, and gone after it: interrupted, failed or killed', async () => {
    const secret = 'file-s3cr3t-' + Math.random().toString(36).slice(2)
    const secretFile = join(env.dir, 'file-token.txt')
    writeFileSync(secretFile, secret)
    const needle = Buffer.from(secret)
    const holding = () => filesUnder(env.stateRoot).concat(filesUnder(env.storeRoot)).filter((f) => holds(f, needle))
    const ctx = writeContext(join(env.dir, 'secret-tmpfs-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'RUN --mount=type=secret,id=token test -s /run/secrets/token && echo held-here && sleep 600; echo released'].join('\n'),
    })
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const b = miniRunAsync([...globals, 'build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, '--secret', `id=token,src=${secretFile}`, ctx])
    try {
      // the line the RUN prints, not the step line that quotes it
      await until('the RUN to be running', () => /^held-here$/m.test(b.output()))
      const ids = env.run(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean)
      expect(ids).toHaveLength(1)
      const pid = Number(env.run(['inspect', '-f', '{{.State.Pid}}', ids[0]!]).stdout)
      const sleeping = () => childrenOf(pid).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sleep')
      await until('the RUN\'s sleep to start', () => sleeping() !== undefined)
      // in the RUN: /run/secrets/token is a bind of a file of a tmpfs (mountinfo's file system type)
      const inRun = mountsAt(`/proc/${sleeping()}/mountinfo`, (point) => point === '/run/secrets/token')
      expect(inRun.map((m) => m.fsType)).toEqual(['tmpfs'])
      // kept out of swap too, on a kernel with tmpfs's noswap (6.4 on)
      const [major, minor] = release().split('.').map(Number)
      expect(inRun[0]!.superOptions.split(',').includes('noswap')).toBe(major! > 6 || (major === 6 && minor! >= 4))
      // on the host: the one file that holds it is on a tmpfs mounted under the store, none on its disk
      const files = holding()
      expect(files).toHaveLength(1)
      expect(statfsSync(files[0]!).type).toBe(TMPFS_MAGIC)
      expect(mountsAt('/proc/self/mountinfo', (point) => point.startsWith(`${env.storeRoot}/`)).map((m) => m.fsType)).toEqual(['tmpfs'])
    } finally {
      // the build ends as a user's ^C ends it, its RUN's container with it
      b.child.kill('SIGINT')
      await b.done
    }
    const r = await b.done
    expect(r.status).toBe(130)
    expect(r.stdout).not.toMatch(/^released$/m)
    expect(holding()).toEqual([])
    expect(mountsAt('/proc/self/mountinfo', (point) => point.startsWith(`${env.dir}/`))).toEqual([])

    // a secret whose mode lets it run runs from its tmpfs (noexec only for the others, as BuildKit's)
    const script = join(env.dir, 'script-secret.sh')
    writeFileSync(script, '#!/bin/sh\necho "ran-$((1+1))"\n')
    const runs = writeContext(join(env.dir, 'secret-tmpfs-exec'), {
      Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=script,mode=0755 /run/secrets/script`,
    })
    const ran = build(['--secret', `id=script,src=${script}`, runs])
    expect(ran.stderr).not.toMatch(/mini-run: /)
    expect(ran.status).toBe(0)
    expect(ran.stdout).toMatch(/^ran-2$/m)

    // a RUN that fails leaves nothing either
    const failing = writeContext(join(env.dir, 'secret-tmpfs-fail'), { Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=token test -s /run/secrets/token && exit 3` })
    expect(build(['--secret', `id=token,src=${secretFile}`, failing]).status).toBe(3)
    expect(holding()).toEqual([])
    expect(mountsAt('/proc/self/mountinfo', (point) => point.startsWith(`${env.dir}/`))).toEqual([])

    // a killed build's tmpfs, still mounted on its tmp/ entry (pid 1 with another start time: its owner is gone),
    // is unmounted by the store's next clean-up of tmp/ (any write, a tag here), and the entry removed
    const stale = join(env.storeRoot, 'tmp', 'secret-1.1-0a0b0c')
    mkdirSync(stale, { mode: 0o700 })
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', stale])
    writeFileSync(join(stale, 'secret'), secret)
    expect(env.run(['tag', BUSYBOX, 'localhost/test/after-kill:1']).status).toBe(0)
    expect(mountsAt('/proc/self/mountinfo', (point) => point === stale)).toEqual([])
    expect(existsSync(stale)).toBe(false)
  })

  test('a cache mount survives between builds and is in no layer', async () => {
    const ctx = writeContext(join(env.dir, 'cache-ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX}`,
        'ARG RUN_ID',
        'RUN --mount=type=cache,target=/root/.cache/pkgs echo "$RUN_ID" >> /root/.cache/pkgs/runs && echo "runs=$(wc -l < /root/.cache/pkgs/runs)"',
      ].join('\n'),
    })
    const first = build(['-t', 'localhost/test/cache-mount:1', '--build-arg', 'RUN_ID=first-run', ctx])
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(/^runs=1$/m)
    const second = build(['-t', 'localhost/test/cache-mount:1', '--build-arg', 'RUN_ID=second-run', ctx])
    expect(second.stdout).toMatch(/^runs=2$/m)
    for (const tar of await layerTars(env.storeRoot, 'localhost/test/cache-mount:1')) {
      expect(tar.includes(Buffer.from('first-run'))).toBe(false)
      expect(tar.includes(Buffer.from('root/.cache'))).toBe(false)
    }
    expect(env.run(env.runArgs(['localhost/test/cache-mount:1', 'sh', '-c', 'test -e /root/.cache || echo absent'])).stdout).toBe('absent\n')
  })

  test('a RUN that turns a mount point\'s parent into a symbolic link cannot make the builder remove a host directory', () => {
    // the host's own directory, empty, as a mount point's stub would be
    const bait = join(env.dir, 'bait')
    mkdirSync(join(bait, 'probe'), { recursive: true })
    const ctx = writeContext(join(env.dir, 'trap-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, `RUN --mount=type=cache,target=/x/probe mv /x /x2 && ln -s ${bait} /x`].join('\n'),
    })
    const r = build(['-t', 'localhost/test/trap:1', ctx])
    expect(r.status, r.stderr).toBe(0)
    expect(existsSync(join(bait, 'probe'))).toBe(true)
    // the layer keeps what the command made: the link, as it is
    expect(env.run(env.runArgs(['localhost/test/trap:1', 'readlink', '/x'])).stdout).toBe(`${bait}\n`)
  })

  test('a bind mount from another stage is read-only and leaves nothing', () => {
    const ctx = writeContext(join(env.dir, 'bind-ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX} AS assets`,
        'RUN mkdir /assets && echo data > /assets/file',
        `FROM ${BUSYBOX}`,
        'RUN --mount=type=bind,from=assets,source=/assets,target=/mnt/assets cat /mnt/assets/file && (touch /mnt/assets/x 2>/dev/null || echo "read-only-$((1+1))")',
        'RUN test ! -e /mnt/assets && echo "unmounted-$((1+1))"',
      ].join('\n'),
    })
    const r = build([ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.stdout).toMatch(/^data\nread-only-2$/m)
    expect(r.stdout).toMatch(/^unmounted-2$/m)
  })

  test("a bind mount from an image, by name or through a named context; from=0 is no stage's number, as in BuildKit", () => {
    const marker = writeContext(join(env.dir, 'marker-ctx'), { Dockerfile: `FROM ${BUSYBOX}\nRUN echo "marked-$((1+1))" > /marker` })
    expect(build(['-t', 'localhost/test/marker:1', marker]).status).toBe(0)
    const ctx = writeContext(join(env.dir, 'image-bind-ctx'), {
      Dockerfile: [
        `FROM ${BUSYBOX}`,
        'RUN --mount=type=bind,from=localhost/test/marker:1,source=/marker,target=/m/marker cat /m/marker',
        'RUN --mount=type=bind,from=named,target=/n sed s/marked/named/ /n/marker',
      ].join('\n'),
    })
    const r = build(['--build-context', 'named=docker-image://localhost/test/marker:1', ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^marked-2$/m)
    expect(r.stdout).toMatch(/^named-2$/m)
    // the tag moved to other content: the steps that mount it run again (the key is the image's layers)
    const remarked = writeContext(join(env.dir, 'remarker-ctx'), { Dockerfile: `FROM ${BUSYBOX}\nRUN echo "remarked-$((1+1))" > /marker` })
    expect(build(['-t', 'localhost/test/marker:1', remarked]).status).toBe(0)
    const again = build(['--build-context', 'named=docker-image://localhost/test/marker:1', ctx])
    expect(again.status).toBe(0)
    expect(again.stdout).toMatch(/^remarked-2$/m)
    expect(again.stdout).toMatch(/^renamed-2$/m)
    const numbered = writeContext(join(env.dir, 'numbered-ctx'), {
      Dockerfile: [`FROM ${BUSYBOX}`, 'RUN echo data > /file', `FROM ${BUSYBOX}`, 'RUN --mount=type=bind,from=0,target=/m cat /m/file'].join('\n'),
    })
    const refused = build([numbered])
    expect([refused.status, refused.stderr.trim().split('\n').at(-1)]).toEqual([1, "mini-run: Dockerfile:4: RUN: --mount from=0: a mount's from= names a stage (FROM ... AS NAME) or an image, never a stage's number, as in BuildKit"])
  })
})

describe('a secret spelled in the command line itself', () => {
  test('is <secret> in the history, and only for the secrets the RUN mounts', async () => {
    const { withoutSecrets } = await import('../src/build/run-command-step.js')
    const { parseRunMount } = await import('../src/build/run-mounts.js')
    const secrets = new Map([['tok', Buffer.from('s3cr3t-value\n')], ['other', Buffer.from('never-mounted')]])
    const mounts = [parseRunMount('type=secret,id=tok', '/')]
    expect(withoutSecrets('RUN sh -c test "$(cat /run/secrets/tok)" = s3cr3t-value never-mounted', mounts, secrets))
      .toBe('RUN sh -c test "$(cat /run/secrets/tok)" = <secret> never-mounted')
  })
})

/** Every regular file under dir (mount points of a running container are empty directories here). */
/** The regular files below dir; what goes while it is read (a lock, a state's temporary file) is passed over. */
function filesUnder(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir, { encoding: 'utf8' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return []
    throw err
  }
  return names.flatMap((name) => {
    const path = join(dir, name)
    const st = lstatSync(path, { throwIfNoEntry: false })
    return st?.isDirectory() ? filesUnder(path) : st?.isFile() ? [path] : []
  })
}

/** Whether a file holds these bytes; one gone since it was listed holds none. */
function holds(path: string, needle: Buffer): boolean {
  try {
    return readFileSync(path).includes(needle)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/** statfs(2)'s f_type of a tmpfs (linux/magic.h TMPFS_MAGIC). */
const TMPFS_MAGIC = 0x01021994

/** The mounts of a mountinfo file whose mount point matches, with their file system type (after " - "). */
function mountsAt(mountinfo: string, match: (point: string) => boolean): { point: string; fsType: string; superOptions: string }[] {
  return readFileSync(mountinfo, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [before, after] = line.split(' - ')
    const [fsType, , superOptions] = after!.split(' ')
    return { point: before!.split(' ')[4]!, fsType: fsType!, superOptions: superOptions ?? '' }
  }).filter((m) => match(m.point))
}

/** The pids whose parent is pid. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((p) => {
    try {
      // the ppid is the second field after the command's closing parenthesis
      return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === pid
    } catch {
      return false
    }
  })
}
