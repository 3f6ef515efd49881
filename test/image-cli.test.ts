/**
 * The image verbs as a user runs them: load, images, image inspect, rmi,
 * image prune (src/cli/commands/{load,images,rmi,image}.ts).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { miniRun } from './helpers/cli.js'
import { timeAgo } from '../src/cli/commands/images.js'
import { humanSize } from '../src/cli/format/units.js'

let dir: string
let layout: string
let layoutTar: string
const cli = (...args: string[]) => miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), ...args])

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-image-cli-'))
  layout = join(dir, 'layout')
  await writeOciLayout(layout, {
    name: 'localhost/cli/test:1',
    config: { created: new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString(), config: { Cmd: ['sh'] } },
    layers: [[{ path: 'f', type: 'file', content: 'x'.repeat(1500) }], [{ path: 'g', type: 'file', content: 'y'.repeat(500) }]],
  })
  layoutTar = join(dir, 'layout.tar')
  execFileSync('tar', ['-C', layout, '-cf', layoutTar, '.'])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

test('load and image prune say a Docker Hub name as Docker does: t3:latest', async () => {
  const hub = join(dir, 'hub-layout')
  await writeOciLayout(hub, { name: 'docker.io/library/t3:latest', config: { config: { Cmd: ['sh'] } }, layers: [[{ path: 'h', type: 'file', content: 'h' }]] })
  const root = ['--root', join(dir, 'hub-store'), '--state', join(dir, 'hub-state')]
  const load = miniRun([...root, 'load', '-i', hub])
  expect([load.status, load.stderr, load.stdout]).toEqual([0, '', 'Loaded image: t3:latest\n'])
  expect(miniRun([...root, 'images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toBe('t3:latest\n')
  // prune says the name as Docker's does too (reference.FamiliarString)
  const pruned = miniRun([...root, 'image', 'prune', '-a', '-f'])
  expect([pruned.status, pruned.stdout.split('\n')[0], pruned.stdout.split('\n')[1]]).toEqual([0, 'Deleted Images:', 'untagged: t3:latest'])
})

test('load -i, images, image inspect, rmi, image prune', () => {
  const load = cli('load', '-i', layoutTar)
  expect(load.stderr).toBe('')
  expect(load.stdout).toBe('Loaded image: localhost/cli/test:1\n')
  expect(load.status).toBe(0)

  const images = cli('images')
  expect(images.status).toBe(0)
  const lines = images.stdout.trimEnd().split('\n')
  expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/)
  expect(lines[1]).toMatch(/^localhost\/cli\/test\s+1\s+[0-9a-f]{12}\s+3 days ago\s+2kB$/)
  expect(lines).toHaveLength(2)

  const inspect = JSON.parse(cli('image', 'inspect', 'localhost/cli/test:1').stdout) as { Id: string; LayerDirs: string[]; Config: unknown }[]
  expect(inspect[0]!.Config).toEqual({ Cmd: ['sh'] })
  expect(inspect[0]!.LayerDirs).toHaveLength(2)
  const id = inspect[0]!.Id
  expect(cli('images', '-q').stdout).toBe(`${id.slice(7, 19)}\n`)
  expect(cli('images', '-q', '--no-trunc').stdout).toBe(`${id}\n`)

  // a second name for the same image, by a directory load
  expect(cli('image', 'load', '-i', layout).stdout).toBe('Loaded image: localhost/cli/test:1\n')
  const rmMissing = cli('rmi', 'localhost/nope', id.slice(7, 19))
  expect(rmMissing.status).toBe(1)
  expect(rmMissing.stderr).toContain('no such image: localhost/nope')
  expect(rmMissing.stdout).toContain('Untagged: localhost/cli/test:1\n')
  expect(rmMissing.stdout.match(/^Deleted: sha256:/gm)).toHaveLength(4) // manifest, config, 2 layers
  expect(cli('images').stdout.trimEnd().split('\n')).toHaveLength(1)
  expect(readFileSync(layoutTar).length).toBeGreaterThan(0)

  // load again; prune keeps it (tagged); untagged loads are pruned
  cli('load', '-i', layoutTar)
  const prune = cli('image', 'prune', '-f')
  expect(prune.stdout).toBe('Total reclaimed space: 0B\n')
  expect(cli('rmi', 'localhost/cli/test:1').status).toBe(0)
})

test('rmi by id of an image of several names: refused unless forced (Docker: "referenced in multiple repositories")', () => {
  const store = join(dir, 'store-tags')
  const state = join(dir, 'state-tags')
  const mr = (...args: string[]) => miniRun(['--root', store, '--state', state, ...args])
  expect(mr('load', '-i', layoutTar).status).toBe(0)
  expect(mr('tag', 'localhost/cli/test:1', 'other/name:v2').status).toBe(0)
  const id = mr('images', '-q').stdout.trim().split('\n')[0]!
  expect(id).toMatch(/^[0-9a-f]{12}$/)
  const refused = mr('rmi', id)
  expect([refused.status, refused.stdout, refused.stderr]).toEqual([1, '', `mini-run: conflict: unable to delete ${id} (must be forced) - image is referenced in multiple repositories\n`])
  const names = () => mr('images', '--format', '{{.Repository}}:{{.Tag}}').stdout.split('\n').filter(Boolean).sort()
  expect(names()).toEqual(['localhost/cli/test:1', 'other/name:v2'])
  // by name, one of them: fine
  expect(mr('rmi', 'other/name:v2').stdout).toBe('Untagged: other/name:v2\n')
  expect(mr('tag', 'localhost/cli/test:1', 'other/name:v2').status).toBe(0)
  const forced = mr('rmi', '-f', id)
  expect(forced.status).toBe(0)
  const lines = forced.stdout.split('\n').filter(Boolean)
  expect(lines.filter((l) => l.startsWith('Untagged: ')).sort()).toEqual(['Untagged: localhost/cli/test:1', 'Untagged: other/name:v2'])
  expect(lines.filter((l) => /^Deleted: sha256:[0-9a-f]{64}$/.test(l))).toHaveLength(4)
  expect(lines).toHaveLength(6)
  expect(mr('images', '-q').stdout).toBe('')
})

test('a name moved to another image (build -t again, tag) leaves the old one <none>:<none>, listed and inspectable until pruned, as Docker does', () => {
  const store = join(dir, 'store-moved')
  const ctx = join(dir, 'ctx-moved')
  mkdirSync(ctx)
  const mr = (...args: string[]) => miniRun(['--root', store, '--state', join(dir, 'state-moved'), ...args])
  const build = (text: string, tag: string) => {
    writeFileSync(join(ctx, 'Dockerfile'), `FROM scratch\nLABEL v=${text}\n`)
    const r = mr('build', '-q', '-t', tag, ctx)
    expect(r.stderr).toBe('')
    return r.stdout.trim().replace(/^sha256:/, '')
  }
  const rows = () => mr('images', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}').stdout.split('\n').filter(Boolean).sort()
  const dangling = () => mr('images', '-q', '--no-trunc', '-f', 'dangling=true').stdout.split('\n').filter(Boolean).sort()
  const first = build('1', 'same')
  const second = build('2', 'same')
  expect(second).not.toBe(first)
  expect(rows()).toEqual([`<none>:<none> sha256:${first}`, `same:latest sha256:${second}`])
  expect(dangling()).toEqual([`sha256:${first}`])
  const inspect = mr('inspect', '-f', '{{.Id}} {{len .RepoTags}}', first)
  expect([inspect.status, inspect.stdout]).toEqual([0, `sha256:${first} 0\n`])
  // an image with another name keeps that one: not dangling
  expect(mr('tag', 'same', 'kept').status).toBe(0)
  const third = build('3', 'same')
  expect(rows()).toEqual([`<none>:<none> sha256:${first}`, `kept:latest sha256:${second}`, `same:latest sha256:${third}`])
  // tag moves a name the same way
  expect(mr('tag', 'same', 'kept').status).toBe(0)
  expect(dangling()).toEqual([`sha256:${first}`, `sha256:${second}`].sort())
  // no name to untag: Docker says only what it deletes, by rmi as by prune
  const removed = mr('rmi', first.slice(0, 12))
  expect(removed.status).toBe(0)
  expect(removed.stdout).not.toMatch(/Untagged/)
  expect(removed.stdout).toMatch(new RegExp(`^Deleted: sha256:${first}$`, 'm'))
  const pruned = mr('image', 'prune', '-f')
  expect(pruned.status).toBe(0)
  expect(pruned.stdout).not.toMatch(/untagged/)
  expect(pruned.stdout).toContain(`deleted: sha256:${second}`)
  expect(rows()).toEqual([`kept:latest sha256:${third}`, `same:latest sha256:${third}`])
  expect(mr('inspect', first).status).not.toBe(0)
})

test('load from stdin', () => {
  const r = miniRun(['--root', join(dir, 'store2'), 'load'], { input: readFileSync(layoutTar) })
  expect(r.stderr).toBe('')
  expect(r.stdout).toBe('Loaded image: localhost/cli/test:1\n')
})

test('errors name the image and exit 1, as Docker\'s CLI (image inspect: Docker\'s [] and exit 1)', () => {
  const r = cli('image', 'inspect', 'localhost/absent')
  expect(r.status).toBe(1)
  expect(r.stdout).toBe('[]\n')
  expect(r.stderr).toBe('Error: No such image: localhost/absent\n')
  const rmi = cli('rmi', 'localhost/absent')
  expect(rmi.status).not.toBe(0)
  expect(rmi.stderr).toContain('no such image: localhost/absent')
  const bad = cli('load', '-i', join(dir, 'missing.tar'))
  expect(bad.status).toBe(1)
  expect(bad.stderr).toContain('missing.tar')
})

test('load of an empty stdin and save into a missing directory: Docker\'s words, nothing written', () => {
  const empty = miniRun(['--root', join(dir, 'store-empty'), 'load'], { input: Buffer.alloc(0) })
  expect([empty.status, empty.stderr]).toEqual([1, 'mini-run: requested load from stdin, but stdin is empty\n'])
  const missing = join(dir, 'no-such-dir')
  const save = cli('save', '-o', join(missing, 'x.tar'), 'localhost/anything')
  expect([save.status, save.stderr]).toEqual([1, `mini-run: invalid output path: directory "${missing}" does not exist\n`])
})

test('timeAgo reads like docker', () => {
  const now = Date.parse('2024-06-01T00:00:00Z')
  expect(timeAgo('2024-05-31T23:59:30Z', now)).toBe('30 seconds ago')
  expect(timeAgo('2024-05-31T23:00:00Z', now)).toBe('About an hour ago')
  expect(timeAgo('2024-05-29T00:00:00Z', now)).toBe('3 days ago')
  expect(timeAgo('2023-01-01T00:00:00Z', now)).toBe('17 months ago')
  expect(timeAgo('1970-01-01T00:00:00Z', now)).toBe('54 years ago')
  expect(timeAgo(undefined, now)).toBe('N/A')
})

test('humanSize reads like docker', () => {
  expect(humanSize(0)).toBe('0B')
  expect(humanSize(999)).toBe('999B')
  expect(humanSize(2000)).toBe('2kB')
  expect(humanSize(4_261_234)).toBe('4.26MB')
  expect(humanSize(123_456_789)).toBe('123MB')
})

test('images lists the newest first, as Docker does (images -q | head -1 is the last one built or pulled)', async () => {
  const root = join(dir, 'store-order')
  const day = 24 * 3600 * 1000
  // names in the opposite order of their dates: the order must come from the dates
  for (const [name, daysAgo] of [['localhost/a/old:1', 30], ['localhost/z/new:1', 1], ['localhost/m/mid:1', 7]] as const) {
    const layoutDir = join(dir, `order-${daysAgo}`)
    await writeOciLayout(layoutDir, {
      name,
      config: { created: new Date(Date.now() - daysAgo * day).toISOString(), config: { Cmd: [name] } },
      layers: [[{ path: 'f', type: 'file', content: name }]],
    })
    expect(miniRun(['--root', root, 'load', '-i', layoutDir]).status).toBe(0)
  }
  const listed = miniRun(['--root', root, 'images', '--format', '{{.Repository}}'])
  expect(listed.stdout).toBe('localhost/z/new\nlocalhost/m/mid\nlocalhost/a/old\n')
})
