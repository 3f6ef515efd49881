// The lessons' ```console vm blocks (docs/06-cgroup-limits.md): commands
// that need the memory and pids controllers in a pure cgroup v2 hierarchy,
// run as a reader pastes them and checked against the output the lesson
// shows, as test/docs-lessons.test.ts does for the others.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { allLessonCommands, makeLessonEnv, outputMatches, type LessonEnv } from '../helpers/doc-lessons.js'
import { unsuitableReason } from './kernel-test-env.js'

const unsuitable = unsuitableReason()
const vmCommands = allLessonCommands().filter((c) => c.where === 'vm')

describe.skipIf(unsuitable)(`the lessons' commands on a pure cgroup v2 kernel${unsuitable ? ` (${unsuitable})` : ''}`, () => {
  let env: LessonEnv
  beforeAll(async () => {
    // in run-vm.sh's VM nothing else starts containers under the default parent
    env = await makeLessonEnv({ exclusiveCgroupParent: process.env.MINI_RUN_VM === '1' })
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('has lessons that need this kernel', () => {
    expect(vmCommands.length).toBeGreaterThan(0)
  })

  it.each(vmCommands.map((c) => [`${c.file}:${c.line} $ ${c.command}`, c] as const))('%s', (_name, c) => {
    const r = env.run(c.command, 150_000)
    expect(r.signal, r.output).toBeNull()
    const shown = `the lesson shows:\n${c.expected.join('\n')}\nthe command printed (exit ${r.status}):\n${r.output}`
    expect(outputMatches(c.expected, r.output, { explain: c.command.includes('--explain') }), shown).toBe(true)
  })
})
