// A hook's output (src/compose/hook-output.ts): every line shown as it
// comes, and the tail a failing hook's error keeps, bounded as Docker
// Compose's hook.go bounds it.
import { describe, expect, it } from 'vitest'
import { HookStream, TAIL_BYTES, TAIL_LINES } from '../src/compose/hook-output.js'

function feed(chunks: (string | Buffer)[]): { shown: string[]; tail: string } {
  const shown: string[] = []
  const stream = new HookStream((line) => shown.push(line))
  for (const c of chunks) stream.write(Buffer.isBuffer(c) ? c : Buffer.from(c))
  stream.end()
  return { shown, tail: stream.tail.toString() }
}

describe('compose hook output', () => {
  it('shows each line once it is whole, across chunks and split characters, and the unfinished last one at the end', () => {
    const shown: string[] = []
    const stream = new HookStream((line) => shown.push(line))
    stream.write(Buffer.from('one\ntw'))
    expect(shown).toEqual(['one'])
    const e = Buffer.from('o é\n')
    stream.write(e.subarray(0, e.length - 2))
    stream.write(e.subarray(e.length - 2))
    expect(shown).toEqual(['one', 'two é'])
    stream.write(Buffer.from('\nlast'))
    expect(shown).toEqual(['one', 'two é', ''])
    stream.end()
    expect(shown).toEqual(['one', 'two é', '', 'last'])
    expect(stream.tail.toString()).toBe('one\ntwo é\nlast')
  })

  it(`keeps the last ${TAIL_LINES} non-blank lines, a progress bar's last state, and no line ending's \\r`, () => {
    const lines = Array.from({ length: 15 }, (_, i) => `line ${i}`)
    expect(feed([lines.join('\n') + '\n']).tail).toBe(lines.slice(-TAIL_LINES).join('\n'))
    const { shown, tail } = feed(['a\r\n', '\n', '   \n', ' 10%\r 50%\r100%\n', 'b\n'])
    expect(tail).toBe('a\n100%\nb')
    // shown as they came: the blank ones too
    expect(shown).toEqual(['a\r', '', '   ', ' 10%\r 50%\r100%', 'b'])
  })

  it(`keeps at most ${TAIL_BYTES} bytes: a line's first ones, the whole tail's newest`, () => {
    const long = 'x'.repeat(5000)
    expect(feed([long + '\n']).tail).toBe('x'.repeat(TAIL_BYTES))
    expect(feed([long]).tail).toBe('x'.repeat(TAIL_BYTES))
    const many = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(300))
    const { tail } = feed([many.join('\n') + '\n'])
    expect(tail.length).toBe(TAIL_BYTES)
    expect(tail.endsWith('9'.repeat(300))).toBe(true)
    expect(feed([]).tail).toBe('')
  })
})
