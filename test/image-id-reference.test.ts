// A 64-hex-digit reference is an image id, never a repository name: one not
// in the store is refused in Docker's words (distribution/reference's
// ParseNormalizedNamed) before anything is pulled, while an id that is in
// the store still runs, bare or as sha256:ID. The tests run without a
// network: a pull attempt would show as "Unable to find image".
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest'
import { UsageError } from '../src/errors.js'
import { parseReference } from '../src/image/reference.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const HEX = '0123456789abcdef'.repeat(4)
const REFUSED = `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`

test('parseReference refuses 64 hex digits alone, as Docker does; with a tag or a path it is a name', () => {
  let err: unknown
  try {
    parseReference(HEX)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(UsageError)
  expect((err as UsageError).code).toBe('EBADREF')
  expect((err as Error).message).toBe(REFUSED)
  expect(parseReference(`${HEX}:1`).name).toBe(`docker.io/library/${HEX}:1`)
  expect(parseReference(`user/${HEX}`).name).toBe(`docker.io/user/${HEX}:latest`)
  expect(parseReference(HEX.slice(1)).name).toBe(`docker.io/library/${HEX.slice(1)}:latest`)
})

describe.skipIf(!isRoot)('run and pull of an image id (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('an id not in the store: refused by run, create, pull and tag, nothing pulled', () => {
    for (const args of [env.runArgs([HEX, 'true']), ['create', HEX, 'true'], ['pull', HEX], ['tag', BUSYBOX, HEX]]) {
      const r = env.run(args)
      expect(r.stderr).not.toContain('Unable to find image')
      expect(r.stderr).toContain(REFUSED)
      expect(r.status).not.toBe(0)
    }
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.leftovers()).toEqual([])
  })

  it('an id in the store runs, bare and as sha256:ID', () => {
    const id = env.run(['image', 'inspect', '-f', '{{.Id}}', BUSYBOX]).stdout.trim()
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)
    for (const ref of [id.slice('sha256:'.length), id]) {
      const r = env.run(env.runArgs([ref, 'echo', 'ran']))
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('ran\n')
    }
    expect(env.leftovers()).toEqual([])
  })
})
