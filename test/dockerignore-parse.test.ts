/**
 * .dockerignore's lines, read as moby/patternmatcher's ignorefile.ReadAll
 * reads them (its own test's content among them): no root needed, so this
 * runs where the build tests that use them are skipped.
 */
import { describe, expect, it } from 'vitest'
import { parseDockerignore } from '../src/build/build-context.js'

describe('parseDockerignore', () => {
  it('keeps ReadAll\'s patterns: absolute ones made relative, a lone ! kept for the matcher to refuse', () => {
    // ignorefile_test.go's content and result
    expect(parseDockerignore('test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! ')).toEqual(['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!'])
  })

  it('takes a comment only where a line starts with #, after a byte-order mark; !/ is ! to the matcher', () => {
    expect(parseDockerignore('\uFEFF# c\n  # notes\r\n\t!/keep/ \n!/\n!//')).toEqual(['# notes', '!keep', '!', '!'])
  })
})
