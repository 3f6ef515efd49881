// The lessons of docs/ cannot rot: every command of every ```console block
// runs here, as a reader pastes it, and its output must be the one the
// lesson shows (test/helpers/doc-lessons.ts). Blocks marked `vm` need a pure
// cgroup v2 kernel and run in test/vm/docs-lessons.vmtest.ts instead.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  allLessonCommands,
  DOCS,
  lessonFiles,
  makeLessonEnv,
  outputMatches,
  parseLesson,
  type LessonEnv,
} from './helpers/doc-lessons.js'
import { isRoot } from './helpers/test-env.js'

describe('the lessons checker', () => {
  it('reads commands, their outputs and the block tag', () => {
    const text = ['# A', '```console', '$ echo a', 'a', '$ true', '```', 'prose', '```console vm', '$ cat x', '...', '```', '```sh', '$ not a lesson', '```'].join('\n')
    expect(parseLesson('x.md', text)).toEqual([
      { file: 'x.md', line: 3, where: 'host', command: 'echo a', expected: ['a'] },
      { file: 'x.md', line: 5, where: 'host', command: 'true', expected: [] },
      { file: 'x.md', line: 9, where: 'vm', command: 'cat x', expected: ['...'] },
    ])
    expect(() => parseLesson('x.md', '```console vmm\n$ true\n```')).toThrow('x.md:1: unknown console block tag "vmm"')
    expect(() => parseLesson('x.md', '```console\n$ true\n')).toThrow('x.md: a console block is not closed')
  })

  it('matches placeholders, and only what they stand for', () => {
    expect(outputMatches(['pid <n>'], 'pid 42\n')).toBe(true)
    expect(outputMatches(['pid <n>'], 'pid 4x2\n')).toBe(false)
    expect(outputMatches(['host <hex>'], 'host 0a9f\n')).toBe(true)
    expect(outputMatches(['host <hex>'], 'host 0A9G\n')).toBe(false)
    expect(outputMatches(['a <any> c'], 'a b b c\n')).toBe(true)
    expect(outputMatches(['a <any> c'], 'a b\nc\n')).toBe(false)
    // regular expression characters are text
    expect(outputMatches(['a.c (x)'], 'abc (x)\n')).toBe(false)
  })

  it('lets ... stand for any lines, none included, but nothing else', () => {
    expect(outputMatches(['first', '...', 'last'], 'first\nlast\n')).toBe(true)
    expect(outputMatches(['first', '...', 'last'], 'first\n1\n2\nlast\n')).toBe(true)
    expect(outputMatches(['first', '...', 'last'], 'first\nlast\nmore\n')).toBe(false)
    expect(outputMatches(['...', 'b', '...'], 'a\nb\nc\n')).toBe(true)
    expect(outputMatches(['...', 'd', '...'], 'a\nb\nc\n')).toBe(false)
    expect(outputMatches(['one'], 'one\ntwo\n')).toBe(false)
    expect(outputMatches([], '')).toBe(true)
    expect(outputMatches([], 'unexpected\n')).toBe(false)
  })

  it('compares spacing loosely, as a reader reads columns', () => {
    expect(outputMatches(['Seccomp: 2'], 'Seccomp:\t2\n')).toBe(true)
    expect(outputMatches(['    1 root     ps'], '1 root ps\n')).toBe(true)
    expect(outputMatches(['Seccomp: 2'], 'Seccomp:2\n')).toBe(false)
  })
})

describe('docs/', () => {
  const files = lessonFiles()
  const index = readFileSync(join(DOCS, 'README.md'), 'utf8')

  it('has a path of 7±2 lessons, each linked from docs/README.md, and no link to a missing file', () => {
    expect(files.length).toBeGreaterThanOrEqual(5)
    expect(files.length).toBeLessThanOrEqual(9)
    for (const f of files) expect(index, `docs/README.md links ${f}`).toContain(`](${f})`)
    const links = [...index.matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]!)
    for (const link of links) expect(existsSync(join(DOCS, link)), `docs/README.md links ${link}`).toBe(true)
  })

  it.each(files)('%s shows commands, their output and an excerpt of --explain', (file) => {
    const commands = parseLesson(file, readFileSync(join(DOCS, file), 'utf8'))
    expect(commands.length).toBeGreaterThanOrEqual(3)
    expect(commands.some((c) => / --explain\b/.test(c.command))).toBe(true)
    for (const c of commands) expect(c.expected.length, `${file}:${c.line} shows no output`).toBeGreaterThan(0)
  })
})

const hostCommands = allLessonCommands().filter((c) => c.where === 'host')

describe.skipIf(!isRoot)('every command of the lessons, as a reader runs it (needs root: starts containers)', () => {
  let env: LessonEnv
  beforeAll(async () => {
    env = await makeLessonEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it.each(hostCommands.map((c) => [`${c.file}:${c.line} $ ${c.command}`, c] as const))('%s', (_name, c) => {
    const r = env.run(c.command, 50_000)
    expect(r.signal, r.output).toBeNull()
    const shown = `the lesson shows:\n${c.expected.join('\n')}\nthe command printed (exit ${r.status}):\n${r.output}`
    expect(outputMatches(c.expected, r.output, { explain: c.command.includes('--explain') }), shown).toBe(true)
  })
})
