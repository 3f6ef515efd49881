// `events` (Docker's `docker events`): what a user's commands did to their
// containers, read back from the events log with --since/--until, filters
// and --format, and followed as it happens.
import { afterEach, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const ID = /^[0-9a-f]{64}$/
// Docker's default line: RFC3339NanoFixed in the local zone, type, action, actor, (attributes)
const LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}(?:Z|[+-]\d{2}:\d{2}) (\w+) (.+?) ([0-9a-f]{64}|[^ ]+)(?: \((.*)\))?$/

type Event = { type: string; action: string; id: string; attrs: string }

/** The lines of `events`. */
function parse(out: string): Event[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = LINE.exec(l)
      if (!m) throw new Error(`not an event line: ${l}`)
      return { type: m[1]!, action: m[2]!, id: m[3]!, attrs: m[4] ?? '' }
    })
}

const nowSeconds = () => (Date.now() / 1000).toFixed(3)

describe.skipIf(!isRoot)('events (needs root: runs containers)', () => {
  const cli = useCliEnv()
  const { ok } = cli
  const globals = () => ['--root', cli.env.storeRoot, '--state', cli.env.stateRoot]
  const detached = (args: string[]) => ok([...globals().slice(4), 'run', '-d', '--cgroup-parent', cli.env.cgroupParent, ...args]).trim()
  const events = (args: string[]) => parse(ok(['events', ...args]))
  const children: ReturnType<typeof miniRunAsync>[] = []
  afterEach(() => {
    // a follower a failed test left: ended by its pid
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) process.kill(c.child.pid!, 'SIGKILL')
  })

  it('a foreground run --rm: create, start, die with its exit code, destroy, as Docker prints them; its networks and volumes around them', () => {
    const since = nowSeconds()
    const r = cli.env.run(cli.env.runArgs(['--name', 'ev1', '--label', 'team=a', '-v', '/anon', '-v', 'evro:/ro:ro', BUSYBOX, 'sh', '-c', 'exit 3']))
    expect(r.status).toBe(3)
    const seen = events(['--since', since, '--until', '0s'])
    ok(['volume', 'rm', 'evro'])
    const containers = seen.filter((e) => e.type === 'container')
    expect(containers.map((e) => e.action)).toEqual(['create', 'start', 'die', 'destroy'])
    const id = containers[0]!.id
    expect(id).toMatch(ID)
    expect(containers.every((e) => e.id === id)).toBe(true)
    expect(containers[0]!.attrs).toBe(`image=${BUSYBOX}, name=ev1, team=a`)
    expect(containers[2]!.attrs).toBe(`exitCode=3, image=${BUSYBOX}, name=ev1, team=a`)
    // Docker's order (daemon/start.go, monitor.go): connect and mount before the start; disconnect and unmount before the die
    const anon = seen.find((e) => e.type === 'volume')!.id
    expect(anon).toMatch(ID)
    const bridge = ok(['network', 'inspect', '--format', '{{.Id}}', 'bridge']).trim()
    expect(seen.map((e) => `${e.type} ${e.action} ${e.id === id ? 'ID' : e.id === anon ? 'ANON' : e.id === bridge ? 'BRIDGE' : e.id}`)).toEqual([
      'container create ID',
      'volume create ANON',
      'volume create evro',
      'network connect BRIDGE',
      'volume mount ANON',
      'volume mount evro',
      'container start ID',
      'network disconnect BRIDGE',
      'volume unmount ANON',
      'volume unmount evro',
      'container die ID',
      // --rm: its anonymous volume goes with it, the named one stays
      'volume destroy ANON',
      'container destroy ID',
    ])
    const attrs = (type: string, action: string, actor: string) => seen.find((e) => e.type === type && e.action === action && e.id === actor)!.attrs
    expect(attrs('network', 'connect', bridge)).toBe(`container=${id}, name=bridge, type=bridge`)
    expect(attrs('network', 'disconnect', bridge)).toBe(`container=${id}, name=bridge, type=bridge`)
    expect(attrs('volume', 'create', 'evro')).toBe('driver=local')
    expect(attrs('volume', 'mount', anon)).toBe(`container=${id}, destination=/anon, driver=local, propagation=, read/write=true`)
    expect(attrs('volume', 'mount', 'evro')).toBe(`container=${id}, destination=/ro, driver=local, propagation=, read/write=false`)
    expect(attrs('volume', 'unmount', 'evro')).toBe(`container=${id}, driver=local`)
  })

  it('a detached container: pause, unpause, rename, exec, kill (with its signal), the die its monitor saw, destroy', () => {
    const since = nowSeconds()
    const id = detached(['--name', 'evd', BUSYBOX, 'sleep', '100'])
    ok(['pause', 'evd'])
    ok(['unpause', 'evd'])
    ok(['rename', 'evd', 'evd2'])
    ok(['exec', 'evd2', 'true'])
    ok(['kill', 'evd2'])
    ok(['rm', 'evd2'])
    const all = events(['--since', since, '--until', '0s'])
    // its monitor's cleanup says it left the bridge before its die, as Docker's daemon does
    expect(all.map((e) => `${e.type === 'network' ? `${e.action} ${e.attrs}` : e.action.replace(/:.*/, '')}`)).toEqual([
      'create', `connect container=${id}, name=bridge, type=bridge`, 'start', 'pause', 'unpause', 'rename', 'exec_create', 'exec_start', 'exec_die', 'kill',
      `disconnect container=${id}, name=bridge, type=bridge`, 'die', 'destroy',
    ])
    const seen = all.filter((e) => e.type === 'container')
    expect(seen.every((e) => e.id === id)).toBe(true)
    const by = (action: string) => seen.find((e) => e.action === action)!.attrs
    expect(by('rename')).toBe(`image=${BUSYBOX}, name=evd2, oldName=/evd`)
    expect(by('kill')).toBe(`image=${BUSYBOX}, name=evd2, signal=9`)
    expect(by('die')).toBe(`exitCode=137, image=${BUSYBOX}, name=evd2`)
    expect(seen.find((e) => e.action.startsWith('exec_start'))!.action).toBe('exec_start: true')
  })

  it('health_status: the status a check result changes it to, matched by event=health_status', async () => {
    const since = nowSeconds()
    detached(['--name', 'evh', '--health-cmd', 'true', '--health-interval', '200ms', BUSYBOX, 'sleep', '100'])
    const health = () => events(['--since', since, '--until', '0s', '-f', 'event=health_status'])
    await until('a health_status event', () => health().length > 0)
    expect(health()[0]!.action).toBe('health_status: healthy')
    expect(health()[0]!.attrs).toBe(`image=${BUSYBOX}, name=evh`)
    ok(['rm', '-f', 'evh'])
  })

  it('restart: the stop events, then start and restart; its volume and network left and joined again', () => {
    detached(['--name', 'evr', '-v', '/anon', BUSYBOX, 'sleep', '100'])
    const since = nowSeconds()
    // -t 0: SIGTERM, then SIGKILL at once, as Docker's stop does
    ok(['restart', '-t', '0', 'evr'])
    expect(events(['--since', since, '--until', '0s']).map((e) => `${e.type === 'container' ? '' : `${e.type} `}${e.action}`)).toEqual([
      'kill', 'kill', 'network disconnect', 'volume unmount', 'die', 'stop', 'network connect', 'volume mount', 'start', 'restart',
    ])
  })

  it('stop: kill with the stop signal, die, then stop', () => {
    const since = nowSeconds()
    detached(['--name', 'evs', BUSYBOX, 'sleep', '100'])
    ok(['stop', '-t', '1', 'evs'])
    const seen = events(['--since', since, '--until', '0s', '--filter', 'container=evs'])
    // busybox sleep as PID 1 has no handler for SIGTERM: it comes to SIGKILL
    expect(seen.map((e) => `${e.action}${/signal=(\d+)/.exec(e.attrs)?.[1] ?? ''}`)).toEqual(['create', 'start', 'kill15', 'kill9', 'die', 'stop'])
  })

  it('filters: one key ORs its values, different keys AND; container by name or id prefix, label, type', () => {
    const since = nowSeconds()
    ok(cli.env.runArgs(['--name', 'fa', '--label', 'app=web', BUSYBOX, 'true']))
    ok(cli.env.runArgs(['--name', 'fb', BUSYBOX, 'true']))
    const until = nowSeconds()
    const names = (args: string[]) => events(['--since', since, '--until', until, ...args]).map((e) => `${/name=(\w+)/.exec(e.attrs)![1]} ${e.action}`)
    expect(names(['--filter', 'container=fa'])).toEqual(['fa create', 'fa start', 'fa die', 'fa destroy'])
    expect(names(['-f', 'event=start', '-f', 'event=die'])).toEqual(['fa start', 'fa die', 'fb start', 'fb die'])
    expect(names(['-f', 'event=start', '-f', 'container=fb'])).toEqual(['fb start'])
    expect(names(['-f', 'label=app=web', '-f', 'event=destroy'])).toEqual(['fa destroy'])
    expect(names(['-f', 'label=app', '-f', 'event=create'])).toEqual(['fa create'])
    expect(names(['-f', `image=${BUSYBOX}`, '-f', 'event=create'])).toEqual(['fa create', 'fb create'])
    expect(names(['-f', 'type=image'])).toEqual([])
    const id = events(['--since', since, '--until', until, '-f', 'container=fb'])[0]!.id
    expect(names(['-f', `container=${id.slice(0, 12)}`, '-f', 'event=die'])).toEqual(['fb die'])
    const bad = cli.env.run(['events', '--until', '0s', '-f', 'colour=red'])
    expect(bad.stderr).toBe("mini-run: invalid filter 'colour'\n")
    expect(bad.status).not.toBe(0)
  })

  it('--format json gives the API message, timeNano to the digit; a Go template reads its fields', () => {
    const since = nowSeconds()
    ok(cli.env.runArgs(['--name', 'fj', BUSYBOX, 'true']))
    const lines = ok(['events', '--since', since, '--until', '0s', '--format', 'json']).trim().split('\n')
    expect(lines).toHaveLength(6)
    const first = JSON.parse(lines[0]!)
    expect(first).toMatchObject({ status: 'create', from: BUSYBOX, Type: 'container', Action: 'create', Actor: { Attributes: { image: BUSYBOX, name: 'fj' } }, scope: 'local' })
    // a network's event has none of the fields older clients read of containers' and images'
    const connect = JSON.parse(lines[1]!)
    expect(Object.keys(connect)).toEqual(['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano'])
    expect(connect).toMatchObject({ Type: 'network', Action: 'connect', Actor: { Attributes: { container: first.id, name: 'bridge', type: 'bridge' } } })
    const nano = /"timeNano":(\d+)\}$/.exec(lines[0]!)![1]!
    expect(nano).toHaveLength(19)
    expect(String(first.time)).toBe(nano.slice(0, 10))
    const text = ok(['events', '--since', since, '--until', '0s', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.TimeNano}}'])
    expect(text.split('\n')[0]).toBe(`container create fj ${nano}`)
  })

  it('--since after the events shows none; --until in the past prints and exits', () => {
    ok(cli.env.runArgs(['--name', 'fp', BUSYBOX, 'true']))
    expect(ok(['events', '--since', '1s', '--until', '0s', '-f', 'container=zz'])).toBe('')
    expect(ok(['events', '--since', String(Math.floor(Date.now() / 1000) + 60), '--until', '0s'])).toBe('')
    expect(events(['--until', '0s', '-f', 'container=fp']).map((e) => e.action)).toEqual(['create', 'start', 'die', 'destroy'])
  })

  it('follows the log until it is killed: the lines of a container started while it runs', async () => {
    const since = nowSeconds()
    const follower = miniRunAsync([...globals(), 'events', '--since', since, '--filter', 'event=start'])
    children.push(follower)
    ok(cli.env.runArgs(['--name', 'fo1', BUSYBOX, 'true']))
    await until('the follower to print fo1 start', () => follower.output().includes('name=fo1'))
    // it reads on: a container run now is seen as it happens
    ok(cli.env.runArgs(['--name', 'fo2', BUSYBOX, 'true']))
    await until('the follower to print fo2 start', () => follower.output().includes('name=fo2'))
    expect(parse(follower.output()).map((e) => e.action)).toEqual(['start', 'start'])
    process.kill(follower.child.pid!, 'SIGTERM')
    const done = await follower.done
    expect(done.signal).toBe('SIGTERM')
  })

  it('without --since or --until it shows only what happens from now on', async () => {
    ok(cli.env.runArgs(['--name', 'old', BUSYBOX, 'true']))
    const follower = miniRunAsync([...globals(), 'events'])
    children.push(follower)
    // until the follower is reading: runs until one of them shows
    await until('the follower to see a container run after it started', () => {
      ok(cli.env.runArgs(['--name', 'new', BUSYBOX, 'true']))
      return follower.output().includes('name=new')
    })
    process.kill(follower.child.pid!, 'SIGTERM')
    expect((await follower.done).stdout).not.toContain('name=old')
  })

  it('system events with an --until ahead follows until then, and exits by itself', async () => {
    const since = nowSeconds()
    // 10 s ahead to the millisecond (a whole second + n left as little as n - 1): the run's destroy comes before it on a busy machine too
    const follower = miniRunAsync([...globals(), 'system', 'events', '--since', since, '--until', (Date.now() / 1000 + 10).toFixed(3), '-f', 'event=destroy'])
    children.push(follower)
    ok(cli.env.runArgs(['--name', 'su', BUSYBOX, 'true']))
    const done = await follower.done
    expect(done.status).toBe(0)
    expect(parse(done.stdout).map((e) => e.action)).toEqual(['destroy'])
  })
})
