/**
 * A build that names no Dockerfile (no -f) takes the context's `Dockerfile`,
 * or its lowercase `dockerfile` when only that is there, as Docker's CLI
 * does; the context's .dockerignore applies the same. A -f file is taken
 * as given, without the fallback.
 */
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { contextDockerfile } from '../src/build/dockerfile-path.js'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('contextDockerfile', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
  })
  afterAll(() => env?.cleanup())

  test('Dockerfile first; dockerfile only when Dockerfile is not there; Dockerfile when neither is', () => {
    const both = writeContext(join(env.dir, 'both'), { Dockerfile: '', dockerfile: '' })
    const lower = writeContext(join(env.dir, 'lower'), { dockerfile: '' })
    const none = writeContext(join(env.dir, 'none'), { 'a.txt': '' })
    expect(contextDockerfile(both)).toBe(join(both, 'Dockerfile'))
    expect(contextDockerfile(lower)).toBe(join(lower, 'dockerfile'))
    expect(contextDockerfile(none)).toBe(join(none, 'Dockerfile'))
  })
})

describe.skipIf(!isRoot)('build of a context with a lowercase dockerfile (needs root: the image runs)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  test('builds from it, with the context\'s .dockerignore; -f Dockerfile is not redirected; --check reads it too', () => {
    const ctx = writeContext(join(env.dir, 'ctx'), {
      dockerfile: `FROM ${BUSYBOX}\nLABEL from=lowercase\nCOPY . /ctx/\n`,
      '.dockerignore': 'secret.txt\n',
      'keep.txt': 'kept\n',
      'secret.txt': 'x\n',
    })
    const built = env.run(['build', '-q', '-t', 'localhost/test/lower:1', '.'], { cwd: ctx })
    expect(built.stderr).toBe('')
    expect(built.status).toBe(0)
    expect(env.run(['image', 'inspect', '-f', '{{.Config.Labels.from}}', 'localhost/test/lower:1']).stdout).toBe('lowercase\n')
    const ls = env.run(env.runArgs(['localhost/test/lower:1', 'ls', '-A', '/ctx']))
    expect(ls.stderr).toBe('')
    expect(ls.stdout).toBe('.dockerignore\ndockerfile\nkeep.txt\n')
    const named = env.run(['build', '-q', '-f', 'Dockerfile', '.'], { cwd: ctx })
    expect([named.stderr, named.status]).toEqual([`mini-run: failed to read dockerfile: open ${join(ctx, 'Dockerfile')}: no such file or directory\n`, 1])
    const check = env.run(['build', '--check', '.'], { cwd: ctx })
    // its findings name the file it read
    expect(check.stderr).toBe('')
    expect(check.stdout).toMatch(/^dockerfile:1: /m)
  })
})
