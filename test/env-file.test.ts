// --env-file's format (src/cli/env-file.ts): pure.
import { describe, expect, it } from 'vitest'
import { parseEnvFile } from '../src/runtime/spec/env-file.js'

describe('--env-file', () => {
  it('takes KEY=VALUE and KEY lines as they are, skipping blanks and comments', () => {
    expect(parseEnvFile('# c\nA=1\n\n  B= two = words \nC\r\nD=\n', 'f')).toEqual(['A=1', 'B= two = words ', 'C', 'D='])
  })

  it('refuses a variable name with whitespace, naming the file and line', () => {
    expect(() => parseEnvFile('A=1\nBAD KEY=2\n', 'vars.env')).toThrow('--env-file vars.env, line 2: invalid variable name "BAD KEY"')
    expect(() => parseEnvFile('=1\n', 'f')).toThrow('line 1: invalid variable name ""')
  })
})
