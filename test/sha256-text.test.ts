// sha256Hex (src/image/sha256-text.ts), the chain ids' SHA-256 without
// node:crypto, gives node:crypto's answer: for the FIPS 180-4 examples, for
// every length around the padding's block boundaries, for UTF-8 text, and for
// chain ids themselves.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { chainIds } from '../src/image/digest.js'
import { sha256Hex } from '../src/image/sha256-text.js'

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 examples', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1')
  })

  it('agrees with node:crypto for every length up to 300 bytes, and for UTF-8 text', () => {
    let text = ''
    for (let n = 0; n <= 300; n++) {
      expect(sha256Hex(text), `length ${n}`).toBe(reference(text))
      text += String.fromCharCode(32 + ((n * 37) % 95))
    }
    for (const t of ['é', 'ünïcödé '.repeat(20), '\u{1F600} layers', 'a\0b']) expect(sha256Hex(t)).toBe(reference(t))
  })

  it('makes the chain ids of the OCI image spec\'s rule', () => {
    const diffIds = ['a', 'b', 'c', 'd'].map((c) => `sha256:${c.repeat(64)}`)
    const expected: string[] = [diffIds[0]!]
    for (const d of diffIds.slice(1)) expected.push(`sha256:${reference(`${expected.at(-1)!} ${d}`)}`)
    expect(chainIds(diffIds)).toEqual(expected)
  })
})
