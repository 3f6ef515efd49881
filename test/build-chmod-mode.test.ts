/**
 * COPY --chmod's modes (src/build/chmod-mode.ts): octal as given, and
 * chmod(1)'s symbolic form applied to each entry's own mode (Dockerfile
 * 1.14, BuildKit's dchapes-mode).
 */
import { expect, test } from 'vitest'
import { parseChmod, type ModeChange } from '../src/build/chmod-mode.js'

const change = (spec: string) => parseChmod(spec) as ModeChange

test('octal is the mode itself, up to 07777', () => {
  expect(parseChmod('755')).toBe(0o755)
  expect(parseChmod('04755')).toBe(0o4755)
  expect(() => parseChmod('17777')).toThrow("invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777")
})

test('symbolic: +x, who, =, X (directories, or files executable already), copies from a class, several clauses', () => {
  expect(change('+x')(0o644, false)).toBe(0o755)
  expect(change('u+x')(0o644, false)).toBe(0o744)
  expect(change('go-w')(0o666, false)).toBe(0o644)
  expect(change('a=rX')(0o640, false)).toBe(0o444)
  expect(change('a=rX')(0o640, true)).toBe(0o555)
  expect(change('a=rX')(0o744, false)).toBe(0o555)
  expect(change('u=rwx,go=u-w')(0o600, false)).toBe(0o755)
  expect(change('g=u')(0o640, false)).toBe(0o660)
  expect(change('u+s,+t')(0o755, true)).toBe(0o5755)
  expect(change('o=')(0o777, false)).toBe(0o770)
})

test('anything else is refused in BuildKit\'s words', () => {
  for (const bad of ['x+', '+q', 'u+x,', 'rwx', '+ug']) expect(() => parseChmod(bad), bad).toThrow(/^invalid chmod parameter/)
})
