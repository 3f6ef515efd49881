// Docker's --ulimit flags as OCI rlimits (src/runtime/spec/ulimits.ts): pure.
import { describe, expect, it } from 'vitest'
import { parseUlimit, parseUlimits, rlimitValue, UNLIMITED } from '../src/runtime/spec/ulimits.js'

describe('--ulimit NAME=SOFT[:HARD]', () => {
  it('reads a soft and a hard limit; the hard one defaults to the soft one', () => {
    expect(parseUlimit('nofile=1024:2048')).toEqual({ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 })
    expect(parseUlimit('nproc=512')).toEqual({ type: 'RLIMIT_NPROC', soft: 512, hard: 512 })
    expect(parseUlimit('CORE=-1')).toEqual({ type: 'RLIMIT_CORE', soft: UNLIMITED, hard: UNLIMITED })
    expect(parseUlimit('stack=8192:unlimited')).toEqual({ type: 'RLIMIT_STACK', soft: 8192, hard: UNLIMITED })
  })

  it('passes unlimited to setrlimit as RLIM_INFINITY (~0) and numbers as they are', () => {
    expect(rlimitValue(UNLIMITED)).toBe(0xffffffffffffffffn)
    expect(rlimitValue(18446744073709551615)).toBe(0xffffffffffffffffn) // as JSON.parse reads an OCI config
    expect(rlimitValue(1024)).toBe(1024n)
  })

  it('lets a later flag for the same resource win, as Docker does', () => {
    expect(parseUlimits(['nofile=10', 'core=0', 'nofile=20:30'])).toEqual([
      { type: 'RLIMIT_NOFILE', soft: 20, hard: 30 },
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
    ])
  })

  it('refuses unknown names, bad numbers and a soft limit above the hard one, naming the flag', () => {
    expect(() => parseUlimit('files=1')).toThrow('invalid --ulimit files=1: expected NAME=SOFT[:HARD], NAME one of cpu, fsize')
    expect(() => parseUlimit('nofile')).toThrow('expected NAME=SOFT[:HARD]')
    expect(() => parseUlimit('nofile=ten')).toThrow('invalid --ulimit nofile=ten: "ten" is not a number (or -1 for unlimited)')
    expect(() => parseUlimit('nofile=1:2:3')).toThrow('expected NAME=SOFT[:HARD]')
    expect(() => parseUlimit('nofile=2048:1024')).toThrow('the soft limit is above the hard limit')
  })
})
