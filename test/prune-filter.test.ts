/**
 * --filter of container prune, image prune and system prune, as Docker's
 * daemon reads it (moby daemon/prune.go): until spares what was created
 * after it, label and label! select by labels; image prune's dangling, which
 * -a sets; system prune's question listing the filters, and Docker's refusal
 * of until with --volumes; and `images --filter` of the same labels and
 * times. The units first, then the verbs on real containers and images
 * (root).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parsePruneFilter, pruneAllImages, withConfigPruneFilters } from '../src/cli/prune-filter-flags.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { pruneSelects } from '../src/prune-filter.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('parsePruneFilter and pruneSelects', () => {
  const now = Date.parse('2026-12-05T12:00:00Z')
  it('until: a duration before now, a time, a Unix time; created at or before it is taken, after it or unknown spared', () => {
    const f = parsePruneFilter(['until=2h'], undefined, now)!
    expect(f.until).toBe(now - 2 * 3600_000)
    expect(pruneSelects(f, '2026-12-05T09:59:59Z', {})).toBe(true)
    expect(pruneSelects(f, '2026-12-05T10:00:00Z', {})).toBe(true)
    expect(pruneSelects(f, '2026-12-05T10:00:01Z', {})).toBe(false)
    expect(pruneSelects(f, undefined, {})).toBe(false)
    expect(parsePruneFilter(['until=2026-01-01T00:00:00Z'], undefined, now)!.until).toBe(Date.parse('2026-01-01T00:00:00Z'))
    expect(parsePruneFilter(['until=1700000000'], undefined, now)!.until).toBe(1_700_000_000_000)
  })

  it('label and label!: every label= must match; what every label!= matches is spared; the filters listed sorted', () => {
    const f = parsePruneFilter(['label!=keep', 'label=tier=web', 'label=app'])!
    expect(f.given).toEqual(['label!=keep', 'label=app', 'label=tier=web'])
    expect(pruneSelects(f, undefined, { tier: 'web', app: 'x' })).toBe(true)
    expect(pruneSelects(f, undefined, { tier: 'db', app: 'x' })).toBe(false)
    expect(pruneSelects(f, undefined, { tier: 'web', app: 'x', keep: '' })).toBe(false)
    expect(pruneSelects(undefined, undefined, undefined)).toBe(true)
    expect(parsePruneFilter([])).toBeUndefined()
  })

  it("refuses what Docker's daemon refuses", () => {
    expect(() => parsePruneFilter(['until=1h', 'until=2h'])).toThrow('more than one until filter specified')
    expect(() => parsePruneFilter(['dangling=true'])).toThrow("invalid filter 'dangling'")
    expect(() => parsePruneFilter(['until'])).toThrow('bad format of filter (expected name=value)')
    expect(() => parsePruneFilter(['until=yesterday'])).toThrow(/until/)
    // a value given twice is one (filters.Args), and the listed ones sort as sortorder does
    expect(parsePruneFilter(['until=1h', 'until=1h'], undefined, now)!.until).toBe(now - 3600_000)
    expect(parsePruneFilter(['label=a10', 'label=a9', 'label=a9'])!.given).toEqual(['label=a9', 'label=a10'])
  })

  it("image prune's dangling: docker/cli's dangling=!all added to the user's, 1/true or 0/false taken, both or neither refused", () => {
    const keys = ['dangling', 'label']
    const with_ = (...values: string[]) => parsePruneFilter(values.map((v) => `dangling=${v}`), keys)
    expect([pruneAllImages(false, undefined), pruneAllImages(true, undefined)]).toEqual([false, true])
    expect(pruneAllImages(true, with_('false'))).toBe(true)
    expect(pruneAllImages(false, with_('1'))).toBe(false)
    // other values are not read when one of those is there
    expect(pruneAllImages(false, with_('maybe'))).toBe(false)
    expect(pruneAllImages(true, with_('TRUE'))).toBe(true)
    expect(() => pruneAllImages(false, with_('false'))).toThrow("invalid filter 'dangling=[false true]'")
    expect(() => pruneAllImages(true, with_('true'))).toThrow("invalid filter 'dangling=[true false]'")
  })
})

describe("config.json's pruneFilters (docker/cli's command.PruneFilters)", () => {
  it('adds them to the flags; a label= the flags name as label!= (or the reverse) left out; entries without = skipped; no file, the flags alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-prune-config-'))
    try {
      expect(withConfigPruneFilters(['until=1h'], dir)).toEqual(['until=1h'])
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {}, pruneFilters: ['label!=keep', 'label=tier', 'until=24h', 'bogus', 7] }))
      expect(withConfigPruneFilters([], dir)).toEqual(['label!=keep', 'label=tier', 'until=24h'])
      expect(withConfigPruneFilters(['label=keep', 'label!=tier'], dir)).toEqual(['label=keep', 'label!=tier', 'until=24h'])
      writeFileSync(join(dir, 'config.json'), '{ not json')
      expect(withConfigPruneFilters(['label=a'], dir)).toEqual(['label=a'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!isRoot)('prune --filter (needs root: real containers)', () => {
  let env: TestEnv
  const ids = (args: string[]) => env.run(args).stdout.split('\n').filter(Boolean)
  /** The ids a prune printed under its heading. */
  const deleted = (stdout: string, heading: string) => (stdout.split(`${heading}:\n`)[1] ?? '').split('\n\n')[0]!.split('\n').filter(Boolean)

  beforeAll(async () => {
    env = await makeTestEnv()
    // three images of the test's label: two made in 2020 (one also labelled keep), one made now
    const images: [string, string, Record<string, string>][] = [
      ['old-kept', '2020-01-01T00:00:00Z', { test: 'prune', keep: 'yes' }],
      ['old', '2020-01-01T00:00:00Z', { test: 'prune' }],
      ['new', new Date().toISOString(), { test: 'prune' }],
    ]
    for (const [name, created, Labels] of images) {
      const dir = join(env.dir, 'layouts', name)
      await writeOciLayout(dir, { name: `localhost/prune/${name}:1`, config: { created, config: { Labels } }, layers: [[{ path: `${name}.txt`, type: 'file', content: name }]] })
      const loaded = env.run(['load', '-i', dir])
      expect(loaded.status, loaded.stderr).toBe(0)
    }
  })
  afterEach(() => {
    const left = ids(['ps', '-a', '-q'])
    if (left.length) env.run(['rm', '-f', ...left])
  })
  afterAll(() => env?.cleanup())

  it('container prune --filter: label, label!, until; running containers never', () => {
    const make = (labels: string[]) => env.run(['create', ...labels.flatMap((l) => ['--label', l]), BUSYBOX, 'true']).stdout.trim()
    const web = make(['tier=web'])
    const db = make(['tier=db'])
    const plain = make([])
    const running = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '--label', 'tier=web', BUSYBOX, 'sleep', '600']).stdout.trim()
    const prune = (...filters: string[]) => env.run(['container', 'prune', '-f', ...filters.flatMap((f) => ['--filter', f])])
    let r = prune('label=tier=web')
    expect(r.status, r.stderr).toBe(0)
    expect(deleted(r.stdout, 'Deleted Containers')).toEqual([web])
    r = prune('label!=tier')
    expect(deleted(r.stdout, 'Deleted Containers')).toEqual([plain])
    // made just now: not before an hour ago
    expect(prune('until=1h').stdout).toBe('Total reclaimed space: 0B\n')
    expect(ids(['ps', '-a', '-q', '--no-trunc']).sort()).toEqual([db, running].sort())
    r = prune(`until=${new Date(Date.now() + 3600_000).toISOString()}`)
    expect(deleted(r.stdout, 'Deleted Containers')).toEqual([db])
    expect(ids(['ps', '-a', '-q', '--no-trunc'])).toEqual([running])
    // a wrong filter is refused before anything is asked or removed
    expect(env.run(['container', 'prune', '--filter', 'name=x'])).toMatchObject({ status: 1, stderr: "mini-run: invalid filter 'name'\n", stdout: '' })

    // the client's configuration adds its own to every prune
    const config = join(env.dir, 'docker-config')
    mkdirSync(config, { recursive: true })
    writeFileSync(join(config, 'config.json'), JSON.stringify({ pruneFilters: ['label=tier=web'] }))
    const web2 = make(['tier=web'])
    const db2 = make(['tier=db'])
    r = env.run(['container', 'prune', '-f'], { env: { ...process.env, DOCKER_CONFIG: config } })
    expect(deleted(r.stdout, 'Deleted Containers')).toEqual([web2])
    expect(ids(['ps', '-a', '-q', '--no-trunc']).sort()).toEqual([db2, running].sort())
  })

  it("image prune --filter: until by the image's creation, label and label!; dangling as -a sets it", () => {
    const busybox = BUSYBOX.replace(/:[^:/]*$/, '')
    const images = () => ids(['images', '--format', '{{.Repository}}']).sort()
    const prune = (...args: string[]) => env.run(['image', 'prune', '-f', ...args])
    expect(images()).toEqual([busybox, 'localhost/prune/new', 'localhost/prune/old', 'localhost/prune/old-kept'].sort())
    // images --filter reads them alike: every label= holds, every label!= holds, until by creation
    const listed = (...filters: string[]) => ids(['images', '--format', '{{.Repository}}', ...filters.flatMap((f) => ['--filter', f])]).sort()
    expect(listed('label=test=prune', 'label=keep')).toEqual(['localhost/prune/old-kept'])
    expect(listed('label=test', 'label!=keep')).toEqual(['localhost/prune/new', 'localhost/prune/old'])
    expect(listed('label=test', 'until=2021-01-01')).toEqual(['localhost/prune/old', 'localhost/prune/old-kept'])
    // tagged images are no dangling ones: nothing without -a
    expect(prune('--filter', 'label=test=prune').stdout).toBe('Total reclaimed space: 0B\n')
    // label! as the list reads it: an image with any of them is spared (old-kept has keep)
    let r = prune('-a', '--filter', 'label=test=prune', '--filter', 'until=2021-01-01', '--filter', 'label!=keep', '--filter', 'label!=other')
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Deleted Images:\nuntagged: localhost\/prune\/old:1\n/)
    expect(images()).toEqual([busybox, 'localhost/prune/new', 'localhost/prune/old-kept'].sort())
    // until by the image's config: made in 2020 (loaded now: Docker's containerd store would take the load's time)
    r = prune('-a', '--filter', 'label=test=prune', '--filter', 'until=1h')
    expect(r.status, r.stderr).toBe(0)
    expect(images()).toEqual([busybox, 'localhost/prune/new'].sort())
    // docker/cli adds dangling=!all: a dangling filter that says otherwise conflicts with it
    expect(env.run(['image', 'prune', '-f', '--filter', 'dangling=false'])).toMatchObject({ status: 1, stderr: "mini-run: invalid filter 'dangling=[false true]'\n" })
    r = prune('--filter', 'dangling=false', '--filter', 'label=test', '-a')
    expect(r.status, r.stderr).toBe(0)
    expect(images()).toEqual([busybox].sort())
  })

  it('image prune --filter without -a: the dangling images the filter selects, only', async () => {
    // one name loaded twice: the first image is left without one
    const load = async (mark: string) => {
      const dir = join(env.dir, 'layouts', `dangle-${mark}`)
      await writeOciLayout(dir, { name: 'localhost/prune/dangle:1', config: { created: '2020-01-01T00:00:00Z', config: { Labels: { dangle: mark } } }, layers: [[{ path: `${mark}.txt`, type: 'file', content: mark }]] })
      expect(env.run(['load', '-i', dir]).status).toBe(0)
    }
    await load('a')
    await load('b')
    const dangling = () => ids(['images', '-q', '--filter', 'dangling=true'])
    expect(dangling()).toHaveLength(1)
    expect(env.run(['image', 'prune', '-f', '--filter', 'label=dangle=b']).stdout).toBe('Total reclaimed space: 0B\n')
    expect(dangling()).toHaveLength(1)
    const r = env.run(['image', 'prune', '-f', '--filter', 'label=dangle=a'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Deleted Images:\ndeleted: sha256:/)
    expect(dangling()).toEqual([])
    expect(ids(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'label=dangle'])).toEqual(['localhost/prune/dangle:1'])
  })

  it('system prune --filter: the question lists the filters; containers by them; until refused with --volumes', () => {
    const keep = env.run(['create', '--label', 'tier=db', BUSYBOX, 'true']).stdout.trim()
    const gone = env.run(['create', '--label', 'tier=web', BUSYBOX, 'true']).stdout.trim()
    const asked = env.run(['system', 'prune', '--filter', 'until=24h', '--filter', 'label=tier=web'], { input: 'n\n' })
    expect(asked.stdout).toBe(
      'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - unused build cache\n\n' +
        '  Items to be pruned will be filtered with:\n  - label=tier=web\n  - until=24h\n\nAre you sure you want to continue? [y/N] ',
    )
    expect(ids(['ps', '-a', '-q', '--no-trunc']).sort()).toEqual([gone, keep].sort())
    const r = env.run(['system', 'prune', '-f', '--filter', 'label=tier=web'])
    expect(r.status, r.stderr).toBe(0)
    expect(deleted(r.stdout, 'Deleted Containers')).toEqual([gone])
    expect(ids(['ps', '-a', '-q', '--no-trunc'])).toEqual([keep])
    expect(env.run(['system', 'prune', '-f', '--volumes', '--filter', 'until=1h'])).toMatchObject({ status: 1, stderr: 'mini-run: ERROR: The "until" filter is not supported with "--volumes"\n' })
    expect(ids(['ps', '-a', '-q', '--no-trunc'])).toEqual([keep])
  })
})
