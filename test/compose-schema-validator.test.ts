// The library's Compose validator compiles the schema (~200 ms) at its first
// call, not at import: a program that imports mini-run only to run
// containers must not pay for compose (src/compose/schema-validator.ts).
import { Ajv } from 'ajv'
import { describe, expect, it, vi } from 'vitest'

describe('the compose schema validator', () => {
  it('compiles the schema at its first call, once, not when imported', async () => {
    const compile = vi.spyOn(Ajv.prototype, 'compile')
    try {
      const { validateCompose } = await import('../src/compose/schema-validator.js')
      expect(compile).not.toHaveBeenCalled()
      expect(validateCompose({ services: { web: { image: 'busybox' } } })).toBe(true)
      expect(validateCompose.errors ?? null).toBeNull()
      expect(compile).toHaveBeenCalledTimes(1)
      expect(validateCompose({ services: { web: { image: 'busybox', ports: { bad: 1 } } } })).toBe(false)
      expect(validateCompose.errors?.some((e) => e.instancePath.includes('ports'))).toBe(true)
      expect(compile).toHaveBeenCalledTimes(1)
    } finally {
      compile.mockRestore()
    }
  })
})
