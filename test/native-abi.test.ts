// native/steps.h and src/runtime/plan/step-codes.ts describe one protocol: every
// number must match, or the stage runner would run the wrong syscall.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { F_KEEP_LOCKED, F_OPTIONAL, Op, PROGRAM_MAGIC, STEP_TRAMPOLINE } from '../src/runtime/plan/step-codes.js'

const header = readFileSync(new URL('../native/steps.h', import.meta.url), 'utf8')

describe('native/steps.h and step-codes.ts', () => {
  it('has the same op codes', () => {
    const fromHeader = new Map<string, number>()
    for (const m of header.matchAll(/^\s*MR_OP_([A-Z_]+)\s*=\s*(\d+),/gm)) fromHeader.set(m[1]!, Number(m[2]))
    expect(Object.fromEntries(fromHeader)).toEqual(Op)
  })

  it('has the same flags, magic and trampoline marker', () => {
    const define = (name: string) => header.match(new RegExp(`#define ${name}\\s+(\\S+)`))?.[1]
    expect(Number(define('MR_F_OPTIONAL'))).toBe(F_OPTIONAL)
    expect(Number(define('MR_F_KEEP_LOCKED'))).toBe(F_KEEP_LOCKED)
    expect(define('MR_PROGRAM_MAGIC')).toBe(`"${PROGRAM_MAGIC}"`)
    expect(Number(define('MR_STEP_TRAMPOLINE')?.replace(/u$/, ''))).toBe(STEP_TRAMPOLINE)
  })
})
