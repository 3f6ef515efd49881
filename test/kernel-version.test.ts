// The kernel's version against a minimum: what decides overlayfs's
// "volatile" for --rm, the seccomp profile's minKernel rules and `info`.
import { release } from 'node:os'
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { kernelAtLeast, kernelRelease } from '../src/runtime/kernel-version.js'

describe('kernelAtLeast', () => {
  it('compares number by number, not as text, and ignores the distribution\'s suffix', () => {
    expect(kernelAtLeast('5.10', '6.1.0-13-amd64')).toBe(true)
    expect(kernelAtLeast('5.10', '5.10.0')).toBe(true)
    expect(kernelAtLeast('5.10', '5.9.16')).toBe(false)
    expect(kernelAtLeast('5.10', '5.4.0-150-generic')).toBe(false)
    expect(kernelAtLeast('4.14', '4.9')).toBe(false)
    expect(kernelAtLeast('4.8.0', '4.8')).toBe(true)
    expect(kernelAtLeast('4.8.1', '4.8')).toBe(false)
    // a distribution's '+' after the last number
    expect(kernelAtLeast('5.10', '5.10+')).toBe(true)
    expect(kernelAtLeast('5.11', '5.10+')).toBe(false)
  })

  // without a version: the running kernel's, read from procfs, as uname has it
  it("takes the running kernel's release by default, uname's, as procfs gives it", () => {
    expect(kernelRelease()).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim())
    expect(kernelRelease()).toBe(release())
    const [major, minor] = release().split('.').map(Number)
    expect(kernelAtLeast(`${major}.${minor}`)).toBe(true)
    expect(kernelAtLeast(`${major}.${minor! + 1}`)).toBe(false)
    expect(kernelAtLeast(`${major! + 1}`)).toBe(false)
  })
})
