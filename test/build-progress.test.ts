/**
 * What `build` prints (src/cli/build-progress.ts): podman's step lines in
 * every mode; on a terminal, RUN's output in a window under the step that
 * is cleared when the step ends, and printed whole when the build fails.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { BuildProgress } from '../src/cli/build-progress.js'

function fakeTerminal() {
  let written = ''
  const out = { write: (s: string) => ((written += s), true), columns: 40 } as unknown as NodeJS.WriteStream
  return { out, text: () => written }
}

afterEach(() => {
  vi.restoreAllMocks()
})

test('plain: step lines, cache hits, ids; RUN output goes straight to fds 1 and 2', () => {
  const { out, text } = fakeTerminal()
  const p = new BuildProgress('plain', out)
  expect(p.output).toEqual({ fds: [1, 2] })
  const id = `sha256:${'ab'.repeat(32)}`
  p.event({ type: 'step', stage: 1, stages: 2, step: 3, steps: 7, text: 'RUN make' })
  p.event({ type: 'cached', id })
  p.event({ type: 'done', id, cached: true, ms: 1 })
  p.event({ type: 'commit', names: ['docker.io/library/app:1'] })
  expect(text()).toBe(`[1/2] STEP 3/7: RUN make\n--> Using cache ${'ab'.repeat(32)}\n--> ${'ab'.repeat(6)}\nCOMMIT docker.io/library/app:1\n`)
})

test('tty: a window of the last lines under the step, cleared at its end', () => {
  const { out, text } = fakeTerminal()
  const p = new BuildProgress('tty', out)
  p.event({ type: 'step', stage: 1, stages: 1, step: 2, steps: 2, text: 'RUN make' })
  const output = p.output as { onData: (b: Buffer) => void }
  output.onData(Buffer.from('one\ntwo\n'))
  output.onData(Buffer.from('a line much longer than the forty columns of this terminal\n'))
  p.event({ type: 'done', id: `sha256:${'cd'.repeat(32)}`, cached: false, ms: 5 })
  const t = text()
  expect(t).toContain('STEP 2/2: RUN make\n')
  // the second window goes back over the first (2 lines) and shows 3 dimmed lines, cut to the width
  expect(t).toContain('\x1b[2A\r\x1b[J\x1b[2m  one\x1b[0m\n\x1b[2m  two\x1b[0m\n\x1b[2m  a line much longer than the forty co~\x1b[0m\n')
  expect(t).toMatch(/\x1b\[3A\r\x1b\[J--> cdcdcdcdcdcd \(\d+\.\ds\)\n$/)
})

test('quiet: nothing until a failure, then the failing step\'s output', () => {
  const { out, text } = fakeTerminal()
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  const p = new BuildProgress('quiet', out)
  p.event({ type: 'step', stage: 1, stages: 1, step: 2, steps: 2, text: 'RUN make' })
  ;(p.output as { onData: (b: Buffer) => void }).onData(Buffer.from('compiler error on line 3'))
  p.failed()
  expect(text()).toBe('')
  expect(stderr).toHaveBeenCalledWith('compiler error on line 3\n')
})
