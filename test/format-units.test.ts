// Docker's sizes, as go-units prints them: decimal with 3 significant digits
// (SIZE columns), decimal with 4 (system df, the prunes), binary with 4 (stats).
import { describe, expect, it } from 'vitest'
import { goEscapeHtml, goIndent } from '../src/go-json.js'
import { bytesSize, humanSize, humanSize4 } from '../src/cli/format/units.js'

describe('go-units sizes', () => {
  it('HumanSizeWithPrecision(3), HumanSize (4) and BytesSize (binary, 4)', () => {
    expect([0, 999, 1000, 4_262_345, 1_234_567_890].map(humanSize)).toEqual(['0B', '999B', '1kB', '4.26MB', '1.23GB'])
    expect([0, 999, 1000, 4_262_345, 1_234_567_890].map(humanSize4)).toEqual(['0B', '999B', '1kB', '4.262MB', '1.235GB'])
    expect([0, 1023, 1024, 1.5 * 1024 ** 2, 2_087_354_368].map(bytesSize)).toEqual(['0B', '1023B', '1KiB', '1.5MiB', '1.944GiB'])
  })
})

describe("goIndent and goEscapeHtml: Go's json.Indent and json.Marshal's escapes (manifest inspect)", () => {
  it('puts each element on a line of its own, keeps strings (brackets, escapes) and empty containers as they are, and the space after the text', () => {
    const src = ' {"a" : [1,{"b":"x,\\"}]{"}],"c":{},"d":[] ,"e":"\\u003c"}\n'
    expect(goIndent(src, '', '\t')).toBe('{\n\t"a": [\n\t\t1,\n\t\t{\n\t\t\t"b": "x,\\"}]{"\n\t\t}\n\t],\n\t"c": {},\n\t"d": [],\n\t"e": "\\u003c"\n}\n')
    expect(goIndent('[{"k":true}]', '>', '  ')).toBe('[\n>  {\n>    "k": true\n>  }\n>]')
    expect(goIndent('{}', '', '\t')).toBe('{}')
  })

  it('escapes <, >, & and the two line separators as Go does, nothing else', () => {
    expect(goEscapeHtml('{"a":"<b>&c\u2028\u2029é"}')).toBe('{"a":"\\u003cb\\u003e\\u0026c\\u2028\\u2029é"}')
  })
})
