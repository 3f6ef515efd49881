/**
 * COPY --exclude and --parents patterns (src/build/path-patterns.ts): the
 * rules of moby/patternmatcher, which BuildKit's copier uses, pinned
 * without a build.
 */
import { expect, test } from 'vitest'
import { PathPatterns } from '../src/build/path-patterns.js'

const matching = (patterns: string[], paths: string[]) => {
  const m = new PathPatterns(patterns)
  return paths.filter((p) => m.matches(p))
}

test('`*` and `?` stay within a segment, `**` crosses any number (none too); a matched directory takes all below it', () => {
  expect(matching(['*.txt'], ['a.txt', 'd/a.txt', 'a.txtx'])).toEqual(['a.txt'])
  expect(matching(['**/*.txt'], ['a.txt', 'd/a.txt', 'd/e/a.txt', 'a.md'])).toEqual(['a.txt', 'd/a.txt', 'd/e/a.txt'])
  expect(matching(['src/**'], ['src', 'src/a', 'src/a/b'])).toEqual(['src/a', 'src/a/b'])
  expect(matching(['?.go'], ['a.go', 'ab.go', 'd/a.go'])).toEqual(['a.go'])
  expect(matching(['docs'], ['docs', 'docs/a/b.md', 'docsx'])).toEqual(['docs', 'docs/a/b.md'])
  expect(matching(['c/**/e'], ['c/e', 'c/d/e', 'c/d/e/f', 'c/d'])).toEqual(['c/e', 'c/d/e', 'c/d/e/f'])
})

test('"!" exceptions: the last matching pattern decides, for a directory\'s contents too', () => {
  expect(matching(['docs', '!docs/keep.md'], ['docs', 'docs/a.md', 'docs/keep.md', 'docs/keep.md/x'])).toEqual(['docs', 'docs/a.md'])
  expect(matching(['!a.txt', '*.txt'], ['a.txt', 'b.txt'])).toEqual(['a.txt', 'b.txt'])
  expect(new PathPatterns(['x', '!x/y']).hasExceptions).toBe(true)
  expect(new PathPatterns(['x']).hasExceptions).toBe(false)
})

test('characters Go takes as themselves are themselves; classes; case counts; a leading "/" is the root; empty patterns are none', () => {
  expect(matching(['c++', 'a(b)', 'x^y', '{a}', 'a|b', 'a$'], ['c++', 'cc', 'a(b)', 'ab', 'x^y', '{a}', 'a|b', 'a$'])).toEqual(['c++', 'a(b)', 'x^y', '{a}', 'a|b', 'a$'])
  expect(matching(['[a-c]?', '[^x]z'], ['b1', 'd1', 'yz', 'xz'])).toEqual(['b1', 'yz'])
  expect(matching(['\\*'], ['*', 'a'])).toEqual(['*'])
  expect(matching(['*.MD'], ['a.md', 'a.MD'])).toEqual(['a.MD'])
  expect(matching(['/abs/'], ['abs', 'x/abs'])).toEqual(['abs'])
  expect(new PathPatterns(['', '  ']).empty).toBe(true)
})

test('a bad pattern is refused, saying why, as Go\'s filepath.Match refuses it', () => {
  const why = (p: string) => {
    try {
      new PathPatterns([p])
      return 'accepted'
    } catch (err) {
      return (err as Error).message
    }
  }
  expect(why('x[')).toBe('bad pattern "x[": unterminated [')
  expect(why('[]')).toBe('bad pattern "[]": bad character class')
  expect(why('[a-]')).toBe('bad pattern "[a-]": bad character class')
  expect(why('a\\')).toBe('bad pattern "a\\\\": trailing \\')
  expect(why('!')).toBe('illegal exclusion pattern: "!"')
  // Go's filepath.Clean makes "!/" the lone "!"; "!." stays a pattern, one that matches nothing
  expect(why('!/')).toBe('illegal exclusion pattern: "!/"')
  expect(why('!.')).toBe('accepted')
  expect(new PathPatterns(['*', '!.', '!./']).matches('a')).toBe(true)
  expect(why('[]a]')).toBe('bad pattern "[]a]": bad character class')
  expect(why('[\\]]')).toBe('accepted')
})

test('mayMatchBelow: a walk need not enter a directory no pattern can reach into', () => {
  const m = new PathPatterns(['foo1/foo2/ba*'])
  expect(['foo1', 'foo1/foo2', 'other', 'foo1/x'].filter((d) => m.mayMatchBelow(d))).toEqual(['foo1', 'foo1/foo2'])
  const deep = new PathPatterns(['src/**/*.txt'])
  expect(['src', 'src/a/b', 'lib'].filter((d) => deep.mayMatchBelow(d))).toEqual(['src', 'src/a/b'])
  expect(new PathPatterns(['**/e']).mayMatchBelow('anything/at/all')).toBe(true)
})
