/**
 * Build-time variable expansion (src/build/shell-lex.ts), as BuildKit's
 * shell lexer does it: quotes, escapes, ${} modifiers, word splitting.
 */
import { expect, test } from 'vitest'
import { expand, lookupOf, splitRawWords } from '../src/build/shell-lex.js'

const env = lookupOf(['A=alpha', 'EMPTY=', 'SPACED=one two', 'PATHY=/usr/local/bin/tool.tar.gz'])
const word = (text: string, escape = '\\') => expand(text, env, escape).word

test('$NAME and ${NAME}; unset is empty; a lone $ stays', () => {
  expect(word('$A-${A}_$UNSET.')).toBe('alpha-alpha_.')
  expect(word('cost: 5$')).toBe('cost: 5$')
  expect(word('$1x')).toBe('x')
})

test('quotes: single are literal, double expand; escapes', () => {
  expect(word(`'$A' "$A" \\$A`)).toBe('$A alpha $A')
  expect(word('"a \\"quoted\\" \\$A \\x"')).toBe('a "quoted" $A \\x')
  expect(word('it\\\'s')).toBe("it's")
  expect(word('`$A', '`')).toBe('$A')
})

test('modifiers: :- - :+ + :? ? # ## % %%', () => {
  expect(word('${EMPTY:-dflt} ${EMPTY-dflt} ${UNSET-dflt}')).toBe('dflt  dflt')
  expect(word('${A:+set} ${EMPTY:+set} ${EMPTY+set}')).toBe('set  set')
  expect(() => word('${UNSET:?must be set}')).toThrow(/UNSET: must be set/)
  expect(() => word('${EMPTY:?}')).toThrow(/EMPTY: is not allowed to be empty/)
  expect(word('${EMPTY?}')).toBe('')
  expect(word('${PATHY#*/} ${PATHY##*/}')).toBe('usr/local/bin/tool.tar.gz tool.tar.gz')
  expect(word('${PATHY%.*} ${PATHY%%.*}')).toBe('/usr/local/bin/tool.tar /usr/local/bin/tool')
  expect(() => word('${A')).toThrow(/missing '}'|unexpected end/)
  expect(() => word('${:x}')).toThrow(/bad substitution/)
})

test('words: split at unquoted white space, after expansion; quoted text stays one word', () => {
  expect(expand('a "b c" $SPACED "$SPACED"', env).words).toEqual(['a', 'b c', 'one', 'two', 'one two'])
  expect(expand('  x   y ', env).words).toEqual(['x', 'y'])
})

test('the names an expansion used, for the cache key', () => {
  expect([...expand('$A ${UNSET:-x} ${EMPTY}', env).used].sort()).toEqual(['A', 'EMPTY'])
})

test('raw words keep quotes and escapes', () => {
  expect(splitRawWords('A=1 B="two words" C=it\\ s \'x y\'')).toEqual(['A=1', 'B="two words"', 'C=it\\ s', "'x y'"])
})

test('skipQuotes (COPY heredoc bodies, BuildKit\'s SkipProcessQuotes): quotes stay, variables and escapes still work', () => {
  const body = (text: string) => expand(text, env, '\\', { skipQuotes: true }).word
  expect(body('{"name": "$A", \'x\': "it\'s"}\n')).toBe('{"name": "alpha", \'x\': "it\'s"}\n')
  expect(body('\\$A ${UNSET:-"d"}')).toBe('$A "d"')
  expect(() => body('${A')).toThrow(/failed to process/)
})

test('${NAME/pat/repl} and ${NAME//pat/repl}: the first or every longest match replaced (BuildKit\'s processDollar)', () => {
  expect(word('${PATHY/local/opt} ${PATHY//\\//:}')).toBe('/usr/opt/bin/tool.tar.gz :usr:local:bin:tool.tar.gz')
  expect(word('${PATHY/.*/} ${A//a/A} ${A/x/y} ${UNSET/a/b}.')).toBe('/usr/local/bin/tool AlphA alpha .')
  expect(word('${A/?l/$A}')).toBe('alphapha')
  expect(() => word('${A/x}')).toThrow(/missing '\/'/)
  expect(() => word('${A:/x/y}')).toThrow(/unsupported modifier \(:\/\)/)
})
