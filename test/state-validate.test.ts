// A state file is checked before anything acts on it (state.ts stateProblem):
// rm deletes containerDir and the cgroup leaf, so a state.json must not be
// able to point them anywhere but at its own container's things.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, normalize } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { isNormalAbsolute, readState } from '../src/runtime/container/state.js'

const root = mkdtempSync(join(tmpdir(), 'mini-run-state-validate-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const id = 'ab'.repeat(32)

function stateWith(fields: Record<string, unknown>): void {
  mkdirSync(join(root, id), { recursive: true })
  writeFileSync(join(root, id, 'state.json'), JSON.stringify({ id, name: 'c1', status: 'created', created: '2026-12-01T00:00:00.000Z', command: ['true'], ...fields }))
}

describe('state validation', () => {
  it('isNormalAbsolute is path.normalize\'s fixed points among absolute paths, without a trailing slash', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('/', '.', 'a', 'b'), { maxLength: 10 }), (chars) => {
        const p = chars.join('')
        expect(isNormalAbsolute(p)).toBe(p.startsWith('/') && normalize(p) === p && (p === '/' || !p.endsWith('/')))
      }),
      { numRuns: 2000 },
    )
  })

  it('takes a state whose paths are its own', () => {
    stateWith({ containerDir: `/var/lib/mini-run/containers/${id}`, cgroupMount: '/sys/fs/cgroup', cgroup: `/sys/fs/cgroup/mini-run/${id}` })
    expect(readState(root, id).containerDir).toBe(`/var/lib/mini-run/containers/${id}`)
  })

  it.each([
    [{ containerDir: '/etc' }, /containerDir "\/etc" is not containers\//],
    [{ containerDir: `/var/lib/mini-run/containers/../../../etc/containers/${id}` }, /containerDir/],
    [{ containerDir: `/var/lib/mini-run/other/${id}` }, /containerDir/],
    [{ containerDir: `var/containers/${id}` }, /containerDir/],
    [{ containerDir: `/var/lib/mini-run/containers//${id}` }, /containerDir/],
    [{ cgroupMount: '/sys/fs/cgroup/', cgroup: `/sys/fs/cgroup/x/${id}` }, /bad cgroupMount/],
    [{ cgroupMount: '/sys/fs/cgroup', cgroup: `/sys/fs/cgroup/x/./${id}` }, /cgroup .* is not a leaf named after the container/],
    [{ cgroupMount: '/sys/fs/cgroup', cgroup: '/sys/fs/cgroup/x' }, /is not a leaf named after the container/],
    [{ cgroupMount: '/sys/fs/cgroup', cgroup: `/elsewhere/${id}` }, /is not a leaf named after the container/],
  ])('refuses %j', (fields, message) => {
    stateWith(fields)
    expect(() => readState(root, id)).toThrow(message)
  })
})
