// The listings' sort order without localeCompare (src/text-order.ts): what
// localeCompare gave for what mini-run sorts, without loading ICU's collation.
import { describe, expect, it } from 'vitest'
import { textOrder } from '../src/text-order.js'

describe('textOrder', () => {
  it('orders ISO times, hex ids and names as localeCompare did where they differ in letters or digits', () => {
    const samples = [
      ['2026-12-01T10:00:00.000Z', '2026-12-01T09:59:59.999Z', '2025-01-01T00:00:00.000Z'],
      ['9e84bc2b01f6', '0a1b2c3d4e5f', 'ffff00001111', '9e84bc2b01f7'],
      ['web', 'db', 'Web-2', 'cache', 'api', 'localhost/mini-run/busybox:latest', 'docker.io/library/alpine:3.19'],
    ]
    for (const xs of samples) expect([...xs].sort(textOrder)).toEqual([...xs].sort((a, b) => a.localeCompare(b)))
  })

  it('is a total order: equal only for equal strings, antisymmetric', () => {
    expect(textOrder('a', 'a')).toBe(0)
    expect(textOrder('A', 'a')).not.toBe(0)
    expect(Math.sign(textOrder('A', 'a'))).toBe(-Math.sign(textOrder('a', 'A')))
    expect(textOrder('db', 'Web')).toBeLessThan(0)
    // punctuation by code unit ('-' 45 before '_' 95), where ICU's collation has its own order
    expect(['api_1', 'api-2'].sort(textOrder)).toEqual(['api-2', 'api_1'])
  })
})
