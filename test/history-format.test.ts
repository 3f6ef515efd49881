// `history --format` as Docker's (docker/cli formatter_history.go): a Go
// template per step, `table TEMPLATE` with Docker's headers, `json`; -q is
// the ids unless a --format says otherwise; --no-trunc and --no-human change
// what the fields hold, not which fields there are.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { loadArchive } from '../src/image/load-archive.js'
import { ImageStore } from '../src/image/store.js'
import { miniRun } from './helpers/cli.js'

const IMAGE = 'localhost/mini/history-format:1'
const LONG_RUN = 'RUN /bin/sh -c apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*'
let dir: string
let id: string
const history = (...args: string[]) => {
  const r = miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), 'history', ...args], { env: { ...process.env, TZ: 'UTC' } })
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  return r.stdout
}

describe('history --format', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-history-'))
    const layout = join(dir, 'layout')
    await writeOciLayout(layout, {
      name: IMAGE,
      config: {
        created: '2024-05-01T10:00:00Z',
        history: [
          { created: '2024-05-01T09:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:0123 in /' },
          { created: '2024-05-01T09:30:00.123456789Z', created_by: 'ENV A=1', empty_layer: true },
          { created: '2024-05-01T10:00:00Z', created_by: LONG_RUN, comment: 'buildkit.dockerfile.v0' },
        ],
      },
      layers: [[{ path: 'a', type: 'file', content: 'a'.repeat(1500) }], [{ path: 'b', type: 'file', content: 'b'.repeat(20) }]],
    })
    id = (await loadArchive(new ImageStore({ root: join(dir, 'store') }), layout))[0]!.configDigest
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('a template runs once per step, newest first', () => {
    expect(history('--format', '{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', IMAGE)).toBe(
      `${id.slice(7, 19)}|2024-05-01T10:00:00Z|RUN /bin/sh -c apt-get update && apt-get ins…|20B|buildkit.dockerfile.v0\n` +
        '<missing>|2024-05-01T09:30:00Z|ENV A=1|0B|\n' +
        '<missing>|2024-05-01T09:00:00Z|/bin/sh -c #(nop) ADD file:0123 in /|1.5kB|\n',
    )
    expect(history('--format', '{{.CreatedSince}}', IMAGE)).toMatch(/^(\d+ (months|years) ago\n){3}$/)
  })

  test('--no-trunc and --no-human: full ids and steps, bytes, and CreatedSince the exact time', () => {
    expect(history('--no-trunc', '--no-human', '--format', '{{.ID}} {{.CreatedSince}} {{.Size}} {{.CreatedBy}}', IMAGE).split('\n')[0]).toBe(
      `${id} 2024-05-01T10:00:00Z 20 ${LONG_RUN}`,
    )
  })

  test('table TEMPLATE has Docker\'s headers; json is one object a step', () => {
    expect(history('--format', 'table {{.ID}}\\t{{.CreatedBy}}\\t{{.Size}}', IMAGE).split('\n').slice(0, 2)).toEqual([
      'IMAGE          CREATED BY                                      SIZE',
      `${id.slice(7, 19)}   RUN /bin/sh -c apt-get update && apt-get ins…   20B`,
    ])
    expect(history('--format', 'table {{.CreatedSince}}\\t{{.CreatedAt}}\\t{{.Comment}}', IMAGE).split('\n')[0]).toMatch(/^CREATED +CREATED AT +COMMENT$/)
    const lines = history('--format', 'json', IMAGE).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(JSON.parse(lines[1]!)).toEqual({ Comment: '', CreatedAt: '2024-05-01T09:30:00Z', CreatedBy: 'ENV A=1', CreatedSince: expect.stringMatching(/ ago$/), ID: '<missing>', Size: '0B' })
  })

  test('-q is the ids; a --format given wins over -q, --format table does not', () => {
    const ids = `${id.slice(7, 19)}\n<missing>\n<missing>\n`
    expect(history('-q', IMAGE)).toBe(ids)
    expect(history('-q', '--format', 'table', IMAGE)).toBe(ids)
    expect(history('-q', '--no-trunc', IMAGE)).toBe(`${id}\n<missing>\n<missing>\n`)
    expect(history('-q', '--format', '{{.Size}}', IMAGE)).toBe('20B\n0B\n1.5kB\n')
  })

  test('the default table is --format table, and image history takes the same flags', () => {
    const table = history(IMAGE)
    expect(table.split('\n')[0]).toMatch(/^IMAGE {10}CREATED\s+CREATED BY {38}SIZE {6}COMMENT$/)
    // Docker's tabwriter: an empty COMMENT leaves SIZE's cell padded
    expect(table.split('\n')[2]).toMatch(/^<missing> {6}\d+ \w+ ago\s+ENV A=1 {41}0B {8}$/)
    expect(history('--no-human', IMAGE).split('\n')[1]).toBe(`${id.slice(7, 19)}   2024-05-01T10:00:00Z   RUN /bin/sh -c apt-get update && apt-get ins…   20        buildkit.dockerfile.v0`)
    expect(history('--format', 'table', IMAGE)).toBe(table)
    const r = miniRun(['--root', join(dir, 'store'), '--state', join(dir, 'state'), 'image', 'history', '--format', '{{.Size}}', IMAGE])
    expect(r.stdout).toBe('20B\n0B\n1.5kB\n')
  })
})
