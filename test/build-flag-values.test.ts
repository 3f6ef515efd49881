/**
 * The builder's flag values read as Docker's CLI reads them: --secret's
 * fields as Go's encoding/csv (a quoted field may hold commas), and named
 * contexts' names as BuildKit finds them (the familiar reference, without
 * :latest).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { csvFields, readSecrets } from '../src/build/build-options.js'
import { contextKey, namedContext, parseNamedContexts } from '../src/build/named-contexts.js'

const dir = mkdtempSync('/var/tmp/mini-run-flag-values-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('csvFields', () => {
  it('splits at commas outside double quotes, "" being a quote', () => {
    expect(csvFields('id=a,src=/x')).toEqual(['id=a', 'src=/x'])
    expect(csvFields('"id=a,b","src=/p,q"')).toEqual(['id=a,b', 'src=/p,q'])
    expect(csvFields('"say ""hi""",x')).toEqual(['say "hi"', 'x'])
    expect(csvFields('a,')).toEqual(['a', ''])
    expect(() => csvFields('"open')).toThrow(/a quote is not closed/)
    expect(() => csvFields('"a"b')).toThrow(/text after a closing quote/)
  })

  it('lets a secret\'s file path hold a comma', () => {
    const file = join(dir, 'a,b.txt')
    writeFileSync(file, 'comma')
    expect(readSecrets([`id=s,"src=${file}"`], {}).get('s')?.toString()).toBe('comma')
  })
})

describe('named contexts', () => {
  it('are found by the familiar name without :latest, as BuildKit finds them', () => {
    const contexts = parseNamedContexts(['alpine=docker-image://busybox', 'docker.io/library/debian:12=docker-image://x', `local=${dir}`])
    for (const ref of ['alpine', 'alpine:latest', 'docker.io/library/alpine', 'docker.io/library/alpine:latest']) expect(namedContext(contexts, ref)).toMatchObject({ kind: 'image', ref: 'busybox' })
    expect(namedContext(contexts, 'debian:12')).toMatchObject({ kind: 'image', ref: 'x' })
    expect(namedContext(contexts, 'debian')).toBeUndefined()
    expect(namedContext(contexts, 'local')?.kind).toBe('dir')
    expect(contextKey('Upper')).toBeUndefined()
    expect(() => parseNamedContexts(['Upper=docker-image://x'])).toThrow('invalid --build-context "Upper=docker-image://x": the name must be a valid image or stage name (lower case)')
    expect(parseNamedContexts(['b=docker-image://x'], dir, new Set(['b'])).get('b')).toEqual({ kind: 'image', ref: 'x', storeOnly: true })
  })
})
