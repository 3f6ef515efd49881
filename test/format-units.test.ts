// Docker's sizes, as go-units prints them: decimal with 3 significant digits
// (SIZE columns), decimal with 4 (system df, the prunes), binary with 4 (stats).
import { describe, expect, it } from 'vitest'
import { bytesSize, humanSize, humanSize4 } from '../src/cli/format/units.js'

describe('go-units sizes', () => {
  it('HumanSizeWithPrecision(3), HumanSize (4) and BytesSize (binary, 4)', () => {
    expect([0, 999, 1000, 4_262_345, 1_234_567_890].map(humanSize)).toEqual(['0B', '999B', '1kB', '4.26MB', '1.23GB'])
    expect([0, 999, 1000, 4_262_345, 1_234_567_890].map(humanSize4)).toEqual(['0B', '999B', '1kB', '4.262MB', '1.235GB'])
    expect([0, 1023, 1024, 1.5 * 1024 ** 2, 2_087_354_368].map(bytesSize)).toEqual(['0B', '1023B', '1KiB', '1.5MiB', '1.944GiB'])
  })
})
