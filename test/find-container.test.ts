// A container named by its full id or its name is read alone (containers.ts
// lookUpDirectly), not after every other container's state; a prefix, or a
// name link that leads nowhere, falls back to the whole listing.
import { execFileSync } from 'node:child_process'
import { rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('finding one container (needs root: containers)', () => {
  let env: TestEnv
  let a: string
  let b: string
  beforeAll(async () => {
    env = await makeTestEnv()
    a = env.run(['create', '--network', 'none', '--name', 'find-a', BUSYBOX, 'true']).stdout.trim()
    b = env.run(['create', '--network', 'none', '--name', 'find-b', BUSYBOX, 'true']).stdout.trim()
  })
  afterAll(() => env?.cleanup())

  const nameOf = (ref: string, o: Parameters<TestEnv['run']>[1] = {}) => {
    const r = env.run(['inspect', '--format', '{{.Name}}', ref], o)
    return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() }
  }

  it('by full id, name, /name and a unique prefix, as Docker resolves them', () => {
    expect(nameOf(a).out).toBe('/find-a')
    expect(nameOf('find-b').out).toBe('/find-b')
    expect(nameOf('/find-b').out).toBe('/find-b')
    expect(nameOf(b.slice(0, 12)).out).toBe('/find-b')
  })

  it("reads no other container's state for a name or a full id", () => {
    // a FIFO as find-b's state: reading it would wait for a writer that never comes
    const state = join(env.stateRoot, b, 'state.json')
    const saved = `${state}.saved`
    execFileSync('mv', [state, saved])
    execFileSync('mkfifo', [state])
    try {
      expect(nameOf('find-a', { timeout: 20_000 })).toEqual({ status: 0, out: '/find-a', err: '' })
      expect(nameOf(a, { timeout: 20_000 })).toEqual({ status: 0, out: '/find-a', err: '' })
    } finally {
      rmSync(state)
      execFileSync('mv', [saved, state])
    }
  })

  it('a name link that leads nowhere is not a container', () => {
    symlinkSync('f'.repeat(64), join(env.stateRoot, 'names', 'find-ghost'))
    try {
      expect(nameOf('find-ghost')).toEqual({ status: 1, out: '', err: 'Error: No such object: find-ghost' })
    } finally {
      rmSync(join(env.stateRoot, 'names', 'find-ghost'))
    }
  })
})
