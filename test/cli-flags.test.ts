// The flags of issue 15 beyond the verbs: logs --since/--until/--tail -1,
// exec -d, exec -e =x, exec in a paused container, --shm-size,
// --log-driver none, --cidfile, --label-file, readable default names,
// rmi's conflict without -f, container prune's question and bytes, and
// --platform refusing an image of another architecture.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { logBound, parseGoDuration, parseLogTime } from '../src/cli/log-time.js'
import { detailsPrefix } from '../src/runtime/container/log-details.js'
import { BUSYBOX, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { until as waitFor } from './helpers/until.js'

describe('log times (unit)', () => {
  it('reads Go durations, Unix timestamps and RFC 3339 as Docker does', () => {
    expect(parseGoDuration('10m')).toBe(600_000)
    expect(parseGoDuration('1h30m')).toBe(5_400_000)
    expect(parseGoDuration('1.5s')).toBe(1500)
    expect(parseGoDuration('10')).toBeUndefined()
    const now = Date.parse('2024-05-06T07:08:09Z')
    expect(parseLogTime('10m', '--since', now)).toBe(now - 600_000)
    expect(parseLogTime('1700000000', '--since')).toBe(1_700_000_000_000)
    expect(parseLogTime('1700000000.5', '--since')).toBe(1_700_000_000_500)
    // GetTimestamp's one exception: "0" is the Unix time 0, though Go parses it as a duration
    expect(parseGoDuration('0')).toBe(0)
    expect(parseLogTime('0', '--since', now)).toBe(0)
    expect(parseLogTime('0s', '--since', now)).toBe(now)
    expect(parseLogTime('2024-05-06T07:08:09Z', '--until')).toBe(now)
    expect(parseLogTime('2024-05-06T09:08:09+02:00', '--until')).toBe(now)
    // moby's timestamp.Parse: the hour alone (local, or with a zone), and a date with a zone
    expect(parseLogTime('2024-05-06T07Z', '--until')).toBe(Date.parse('2024-05-06T07:00:00Z'))
    expect(parseLogTime('2024-05-06T09+02:00', '--until')).toBe(Date.parse('2024-05-06T07:00:00Z'))
    expect(parseLogTime('2024-05-06T07', '--until')).toBe(new Date(2024, 4, 6, 7).getTime())
    expect(parseLogTime('2024-05-06Z', '--until')).toBe(Date.parse('2024-05-06T00:00:00Z'))
    expect(parseLogTime('2024-05-06-03:00', '--until')).toBe(Date.parse('2024-05-06T03:00:00Z'))
    expect(parseLogTime('2024-05-06', '--until')).toBe(new Date(2024, 4, 6).getTime())
    expect(() => parseLogTime('2024-05-06T7', '--until')).toThrow('invalid value for "--until"')
    expect(() => parseLogTime('yesterday', '--since')).toThrow('invalid value for "--since": "yesterday" is neither a time (RFC 3339, Unix timestamp) nor a duration (10m, 1h30m)')
  })

  it('a bound keeps the nanoseconds given, as the log\'s times have them: a line\'s own -t time as --until keeps the line', () => {
    expect(logBound('2024-05-06T07:08:09.123456789Z', '--until')).toBe('2024-05-06T07:08:09.123456789Z')
    expect(logBound('2024-05-06T09:08:09.0000001+02:00', '--until')).toBe('2024-05-06T07:08:09.000000100Z')
    expect(logBound('1714979289.000000001', '--since')).toBe('2024-05-06T07:08:09.000000001Z')
    expect(logBound('2024-05-06T07:08:09Z', '--since')).toBe('2024-05-06T07:08:09.000000000Z')
    expect(logBound('10m', '--since', Date.parse('2024-05-06T07:18:09.5Z'))).toBe('2024-05-06T07:08:09.500000000Z')
  })
})

describe('logs --details (unit)', () => {
  it('writes the attributes as Docker\'s daemon does: sorted by key, query-escaped, comma-joined, then a space; none is a lone space', () => {
    expect(detailsPrefix(undefined)).toBe(' ')
    expect(detailsPrefix({})).toBe(' ')
    expect(detailsPrefix({ b: 'x y', a: '1/2', 'c!': "(it's)" })).toBe('a=1%2F2,b=x+y,c%21=%28it%27s%29 ')
  })
})

describe.skipIf(!isRoot)('issue 15\'s flags (needs root)', () => {
  let env: TestEnv
  const ok = (args: string[], input?: string) => {
    const r = env.run(args, input === undefined ? {} : { input })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const detached = (args: string[]) => ok(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args]).trim()
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('logs --since and --until select by time; --tail with a negative number is every line', async () => {
    detached(['--name', 'lg', BUSYBOX, 'sh', '-c', 'echo early; sleep 1.2; echo late; sleep 60'])
    const until = async (p: () => boolean) => {
      for (let i = 0; i < 100 && !p(); i++) await sleep(50)
    }
    await until(() => ok(['logs', 'lg']) === 'early\nlate\n')
    const lines = ok(['logs', '-t', 'lg']).trim().split('\n').map((l) => l.split(' ')[0]!)
    const between = new Date((Date.parse(lines[0]!) + Date.parse(lines[1]!)) / 2).toISOString()
    expect(ok(['logs', '--since', between, 'lg'])).toBe('late\n')
    expect(ok(['logs', '--until', between, 'lg'])).toBe('early\n')
    expect(ok(['logs', '--since', '1h', 'lg'])).toBe('early\nlate\n')
    expect(ok(['logs', '--since', String(Date.parse(between) / 1000), 'lg'])).toBe('late\n')
    // Docker: --since 0 is the Unix time 0, --until 0 no bound (daemon/logs.go): both the whole log
    expect(ok(['logs', '--since', '0', 'lg'])).toBe('early\nlate\n')
    expect(ok(['logs', '--until', '0', 'lg'])).toBe('early\nlate\n')
    expect(ok(['logs', '--since', '0', '--until', '0', 'lg'])).toBe('early\nlate\n')
    expect(ok(['logs', '--tail', '-1', 'lg'])).toBe('early\nlate\n')
    expect(ok(['logs', '--tail', '1', 'lg'])).toBe('late\n')
    // --details: mini-run records no attributes, so each line gets Docker's lone leading space, after the timestamp
    expect(ok(['logs', '--details', 'lg'])).toBe(' early\n late\n')
    expect(ok(['logs', '-t', '--details', '--tail', '1', 'lg'])).toMatch(/^\d{4}-\d\d-\d\dT\S+Z  late\n$/)
  })

  it('exec -d leaves the command running; exec -e =x is refused as run refuses it; exec in a paused container is refused', async () => {
    detached(['--name', 'ex', BUSYBOX, 'sleep', '60'])
    // exec -d returns before its command is done: the mark is not there until the test lets it go on
    // (not a sleep of its own, which a busy machine could outlast), then it is
    expect(ok(['exec', '-d', 'ex', 'sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.1; done; echo done > /tmp/mark'])).toBe('')
    expect(env.run(['exec', 'ex', 'cat', '/tmp/mark']).stdout).toBe('')
    ok(['exec', 'ex', 'touch', '/tmp/go'])
    await waitFor('the exec -d command\'s mark', () => env.run(['exec', 'ex', 'cat', '/tmp/mark']).stdout === 'done\n')
    const bad = env.run(['exec', '-e', '=x', 'ex', 'true'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe('mini-run: invalid environment variable: =x\n')
    expect(env.run(['run', '--rm', BUSYBOX, 'true', '-e', '=x']).status).toBe(0) // after the image: the command's
    expect(env.run(['run', '--rm', '-e', '=x', BUSYBOX, 'true']).stderr).toBe('mini-run: invalid environment variable: =x\n')
    if (cgroup2) {
      ok(['pause', 'ex'])
      const paused = env.run(['exec', 'ex', 'true'])
      expect(paused.status).toBe(1)
      expect(paused.stderr).toMatch(/^mini-run: Container [0-9a-f]{12} is paused, unpause the container before exec\n$/)
      ok(['unpause', 'ex'])
    }
  })

  it('--shm-size sizes /dev/shm; --log-driver none keeps no log', () => {
    expect(ok(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--shm-size', '8m', BUSYBOX, 'sh', '-c', 'grep " /dev/shm " /proc/mounts'])).toMatch(/size=8192k/)
    const id = detached(['--log-driver', 'none', '--name', 'nolog', BUSYBOX, 'sh', '-c', 'echo hidden; sleep 60'])
    expect(existsSync(join(env.stateRoot, id, 'container.log'))).toBe(false)
    // Docker: "configured logging driver does not support reading", exit 1 (the daemon's refusal)
    const logs = env.run(['logs', 'nolog'])
    expect(logs.stderr).toBe('mini-run: container nolog has --log-driver none: its output is not kept (configured logging driver does not support reading)\n')
    expect(logs.status).toBe(1)
    expect(ok(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'nolog'])).toBe('none\n')
  })

  it('logs of a container run in the foreground says its output was not kept; once started under a monitor, its log', async () => {
    expect(ok(['run', '--name', 'fg', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'echo', 'hi'])).toBe('hi\n')
    const logs = env.run(['logs', 'fg'])
    expect(logs.stderr).toBe('mini-run: container fg ran in the foreground: its output went to the caller and was not kept (configured logging driver does not support reading)\n')
    expect(logs.status).toBe(1)
    expect(ok(['start', 'fg'])).toBe('fg\n')
    for (let i = 0; i < 100 && ok(['logs', 'fg']) === ''; i++) await sleep(50)
    expect(ok(['logs', 'fg'])).toBe('hi\n')
  })

  it('--cidfile writes the id (and refuses a file that exists); --label-file adds labels', () => {
    const cid = join(env.dir, 'cid')
    writeFileSync(join(env.dir, 'labels'), '# a comment\nteam=core\nflag\n')
    const id = detached(['--cidfile', cid, '--label-file', join(env.dir, 'labels'), '--label', 'team=edge', BUSYBOX, 'sleep', '60'])
    expect(readFileSync(cid, 'utf8')).toBe(id)
    expect(ok(['inspect', '-f', '{{json .Config.Labels}}', id])).toBe('{"flag":"","team":"edge"}\n')
    const again = env.run(['run', '-d', '--cidfile', cid, BUSYBOX, 'true'])
    expect(again.status).toBe(125)
    expect(again.stderr).toBe(`mini-run: Container ID file found, make sure the other container isn't running or delete ${cid}\n`)
  })

  it('a container without --name gets a readable adjective_surname name', () => {
    detached([BUSYBOX, 'sleep', '60'])
    detached([BUSYBOX, 'sleep', '60'])
    const names = ok(['ps', '--format', '{{.Names}}']).trim().split('\n')
    expect(names).toHaveLength(2)
    for (const n of names) expect(n).toMatch(/^[a-z]+_[a-z]+\d?$/)
  })

  it('--name /web is the name web, as Docker takes it (run -d, create, a foreground run, rename)', () => {
    // Docker's API spells names with a slash ("/web", as inspect shows it): its daemon drops one
    const id = detached(['--name', '/web', BUSYBOX, 'sleep', '60'])
    expect(ok(['inspect', '-f', '{{.Id}} {{.Name}}', 'web'])).toBe(`${id} /web\n`)
    const taken = env.run(['run', '-d', '--name', 'web', BUSYBOX, 'true'])
    expect(taken.status).toBe(125)
    expect(taken.stderr).toMatch(/^mini-run: Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/)
    expect(ok(['create', '--name', '/made', BUSYBOX, 'true'])).toMatch(/^[0-9a-f]{64}\n$/)
    expect(ok(['inspect', '-f', '{{.Name}}', 'made'])).toBe('/made\n')
    // the launcher's own parser takes this line (no -d, no -it)
    expect(ok(['run', '--name', '/fg', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true'])).toBe('')
    expect(ok(['inspect', '-f', '{{.Name}}', 'fg'])).toBe('/fg\n')
    expect(ok(['rename', 'made', '/renamed'])).toBe('')
    expect(ok(['inspect', '-f', '{{.Name}}', 'renamed'])).toBe('/renamed\n')
    // one slash only, and a name still follows Docker's pattern
    const bad = env.run(['run', '--rm', '--name', '//x', BUSYBOX, 'true'])
    expect(bad.status).toBe(125)
    expect(bad.stderr).toBe('mini-run: Invalid container name (/x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n')
    // two characters at least, as Docker's pattern says: for run, create and rename alike
    for (const [args, status] of [[['run', '--rm', '--name', 'a', BUSYBOX, 'true'], 125], [['create', '--name', 'a', BUSYBOX, 'true'], 125], [['rename', 'renamed', 'a'], 1]] as const) {
      const short = env.run([...args])
      expect(short.status).toBe(status)
      expect(short.stderr).toBe('mini-run: Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n')
    }
    expect(ok(['inspect', '-f', '{{.Name}}', 'renamed'])).toBe('/renamed\n')
  })

  it('rmi refuses an image a container was made from unless -f; container prune asks first and reports bytes', () => {
    const { configDigest } = JSON.parse(ok(['image', 'inspect', BUSYBOX]).replace(/^\[/, '').replace(/\]\s*$/, '').replace(/"Id"/, '"configDigest"'))
    const id = ok(['create', '--name', 'user', BUSYBOX, 'sh', '-c', 'echo data > /file']).trim()
    const r = env.run(['rmi', BUSYBOX])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`mini-run: conflict: unable to remove repository reference "${BUSYBOX}" (must force) - container ${id.slice(0, 12)} is using its referenced image ${configDigest.slice(7, 19)}\n`)
    ok(['start', '-a', 'user'])
    // no answer: nothing removed
    const asked = env.run(['container', 'prune'], { input: '' })
    expect(asked.stdout).toBe('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] \n')
    expect(ok(['ps', '-a', '-q'])).not.toBe('')
    const yes = env.run(['container', 'prune'], { input: 'y\n' })
    expect(yes.stdout).toBe(`WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n${id}\n\nTotal reclaimed space: 5B\n`)
  })

  it('--platform: an image of another architecture is refused with a clear line, never run', async () => {
    const { ImageStore } = await import('../src/image/store.js')
    const { addImage } = await import('./helpers/image-store.js')
    const store = new ImageStore({ root: env.storeRoot })
    const img = await addImage(store, [[{ path: 'hello', type: 'file', content: 'x' }]], { architecture: 'riscv64', config: { Cmd: ['/hello'] } })
    await store.setRef('localhost/test/other-arch:1', img.manifestDigest)
    const r = env.run(['run', '--rm', 'localhost/test/other-arch:1'])
    expect(r.status).toBe(125)
    expect(r.stderr).toBe('mini-run: image localhost/test/other-arch:1 is for linux/riscv64, not linux/amd64 (this host): run it with --platform linux/riscv64 on a host that can, or pull the image for this platform\n')
    const never = env.run(['run', '--rm', '--pull', 'never', '--platform', 'linux/arm64', BUSYBOX, 'true'])
    expect(never.status).toBe(125)
    expect(never.stderr).toBe(`mini-run: image ${BUSYBOX} is for linux/amd64, not linux/arm64: pull it for this platform\n`)
    expect(ok(['run', '--rm', '--cgroup-parent', env.cgroupParent, '--platform', 'linux/amd64', BUSYBOX, 'true'])).toBe('')
  })
})
