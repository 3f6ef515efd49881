// isoTime (src/iso-time.ts) writes what Date.prototype.toISOString does,
// without its first-call cost: the state's created/startedAt/finishedAt.
import { describe, expect, it } from 'vitest'
import { isoTime } from '../src/iso-time.js'

describe('isoTime', () => {
  it('gives toISOString\'s text for now and for times across the calendar', () => {
    expect(isoTime(new Date(0))).toBe('1970-01-01T00:00:00.000Z')
    const now = new Date()
    expect(isoTime(now)).toBe(now.toISOString())
    let ms = -62_198_755_200_000 // year -1: the expanded years either side of 0000-9999
    for (let i = 0; i < 2000; i++) {
      const d = new Date(ms)
      expect(isoTime(d)).toBe(d.toISOString())
      ms += 1_000_003_777_123 + i * 7919
    }
    for (const t of [Date.UTC(0, 0, 1) - 1, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), 8.64e15, -8.64e15]) {
      expect(isoTime(new Date(t))).toBe(new Date(t).toISOString())
    }
  })

  it('refuses an invalid date, as toISOString does', () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError)
  })
})
