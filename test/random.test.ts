// Random names from /dev/urandom (src/random.ts): bytes read ahead into a
// pool, each handed out once, and larger draws read directly.
import { describe, expect, it } from 'vitest'
import { randomBytes, randomHex, randomInt } from '../src/random.js'

describe('random', () => {
  it("hands out fresh bytes across the pool's refills, and reads a larger draw directly", () => {
    const seen = new Set<string>()
    // 64 draws of 32 bytes: eight pools of 256
    for (let i = 0; i < 64; i++) {
      const hex = randomHex(32)
      expect(hex).toMatch(/^[0-9a-f]{64}$/)
      seen.add(hex)
    }
    expect(seen.size).toBe(64)
    const big = randomBytes(1000)
    expect(big.length).toBe(1000)
    // 1000 bytes of zeros would be a pool handed out twice, or not read
    expect(big.some((b) => b !== 0)).toBe(true)
    // an odd size that straddles a refill
    expect(new Set(Array.from({ length: 100 }, () => randomHex(7))).size).toBe(100)
    // no size that would move the pool back
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => randomBytes(bad)).toThrow(RangeError)
    expect(randomBytes(0).length).toBe(0)
  })

  it('draws whole numbers below the bound, every value in reach', () => {
    const counts = new Array<number>(5).fill(0)
    for (let i = 0; i < 500; i++) {
      const n = randomInt(5)
      expect(Number.isInteger(n) && n >= 0 && n < 5).toBe(true)
      counts[n]!++
    }
    expect(counts.every((c) => c > 0)).toBe(true)
  })
})
