// native/steps.h and src/runtime/plan/step-codes.ts describe one protocol: every
// number must match, or the stage runner would run the wrong syscall.
import { readdirSync, readFileSync } from 'node:fs'
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

// native/minirun.h and src/native/*.ts describe one C interface: ffi-rs
// passes exactly the types the bindings declare, so a parameter that changed in
// C but not in TypeScript would be read as garbage.
describe('native/minirun.h and the ffi-rs declarations in src/native/', () => {
  const cHeader = readFileSync(new URL('../native/minirun.h', import.meta.url), 'utf8')
  const nativeDir = new URL('../src/native/', import.meta.url)
  const lib = readdirSync(nativeDir).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(new URL(f, nativeDir), 'utf8')).join('\n')
  /** The ffi-rs type that carries each C parameter type. */
  const FFI: Record<string, string> = {
    'int32_t': 'I32', 'int': 'I32', 'int64_t': 'I64', 'const char *': 'String',
    'uint8_t *': 'U8Array', 'const uint8_t *': 'U8Array', 'int32_t *': 'U8Array', 'const int32_t *': 'U8Array',
  }
  const prototypes = new Map<string, string[]>()
  for (const m of cHeader.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/^int (mr_\w+)\(([^)]*)\);/gm)) {
    const params = m[2]!.split(',').map((p) => p.trim().replace(/\s+/g, ' ')).filter(Boolean)
    prototypes.set(m[1]!, params.map((p) => p.replace(/\s*\w+$/, '').replace(/\*$/, ' *').replace(/\s+\*/, ' *').trim()))
  }
  const declared = new Map<string, string[]>()
  for (const m of lib.matchAll(/(?:call|callInThread)\(\s*'(mr_\w+)',\s*\[([^\]]*)\]/g)) {
    declared.set(m[1]!, m[2]!.split(',').map((t) => t.trim().replace(/^DataType\./, '')).filter(Boolean))
  }

  it('declares every function of the header, and no other', () => {
    expect([...declared.keys()].sort()).toEqual([...prototypes.keys()].sort())
  })

  it('declares each parameter with the ffi-rs type of its C type', () => {
    for (const [name, params] of prototypes) {
      expect({ name, types: declared.get(name) }).toEqual({ name, types: params.map((p) => FFI[p] ?? `unknown C type ${p}`) })
    }
  })
})
