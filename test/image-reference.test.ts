import { describe, expect, test } from 'vitest'
import { UsageError } from '../src/errors.js'
import { familiarName, familiarRepository, parseReference, registryApiHost } from '../src/image/reference.js'

const HEX = 'a'.repeat(64)

describe('parseReference normalizes like Docker', () => {
  test.each([
    ['alpine', 'docker.io', 'library/alpine', 'latest', 'docker.io/library/alpine:latest'],
    ['alpine:3.19', 'docker.io', 'library/alpine', '3.19', 'docker.io/library/alpine:3.19'],
    ['user/app', 'docker.io', 'user/app', 'latest', 'docker.io/user/app:latest'],
    ['docker.io/alpine', 'docker.io', 'library/alpine', 'latest', 'docker.io/library/alpine:latest'],
    ['index.docker.io/library/alpine:edge', 'docker.io', 'library/alpine', 'edge', 'docker.io/library/alpine:edge'],
    ['localhost/x', 'localhost', 'x', 'latest', 'localhost/x:latest'],
    ['localhost:5000/a/b:v1', 'localhost:5000', 'a/b', 'v1', 'localhost:5000/a/b:v1'],
    ['registry.example.com/team/img:1.0-rc_1', 'registry.example.com', 'team/img', '1.0-rc_1', 'registry.example.com/team/img:1.0-rc_1'],
    ['host:443/repo', 'host:443', 'repo', 'latest', 'host:443/repo:latest'],
    ['[::1]:5000/repo:t', '[::1]:5000', 'repo', 't', '[::1]:5000/repo:t'],
    ['a.b/c__d/e--f.g:_tag', 'a.b', 'c__d/e--f.g', '_tag', 'a.b/c__d/e--f.g:_tag'],
  ])('%s', (ref, domain, path, tag, name) => {
    const r = parseReference(ref)
    expect(r).toMatchObject({ domain, path, tag, name, repository: `${domain}/${path}` })
    expect(r.digest).toBeUndefined()
  })

  test('a digest reference has no default tag and names repo@digest', () => {
    const r = parseReference(`alpine@sha256:${HEX}`)
    expect(r).toMatchObject({ domain: 'docker.io', path: 'library/alpine', digest: `sha256:${HEX}` })
    expect(r.tag).toBeUndefined()
    expect(r.name).toBe(`docker.io/library/alpine@sha256:${HEX}`)
  })

  test('tag and digest together: the digest names the image', () => {
    const r = parseReference(`host:5000/x:1.2@sha256:${HEX}`)
    expect(r.tag).toBe('1.2')
    expect(r.digest).toBe(`sha256:${HEX}`)
    expect(r.name).toBe(`host:5000/x@sha256:${HEX}`)
  })

  test('a 128-character tag is allowed, 129 is not', () => {
    expect(parseReference(`x:a${'b'.repeat(127)}`).tag).toHaveLength(128)
    expect(() => parseReference(`x:a${'b'.repeat(128)}`)).toThrow(UsageError)
  })
})

describe('invalid references are UsageErrors naming the reference', () => {
  test.each([
    ['', 'empty'],
    ['Alpine', 'lowercase'],
    ['docker.io/Library/alpine', 'lowercase'],
    ['alpine:', 'bad tag'],
    ['alpine:-x', 'bad tag'],
    ['alpine:a/b', 'bad registry host'],
    ['alpine@sha256:abc', 'bad digest'],
    [`alpine@sha256:${'A'.repeat(64)}`, '64 lowercase hex'],
    [`alpine@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    ['alpine@', 'bad digest'],
    [':tag', 'missing repository'],
    ['a//b', 'bad repository'],
    ['a/b/', 'bad repository'],
    ['-host.com/x', 'bad registry host'],
    ['repo_/x', 'bad repository'],
    [`x/${'a'.repeat(260)}`, 'longer than 255'],
  ])('%j (%s)', (ref, why) => {
    let err: unknown
    try {
      parseReference(ref)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).code).toBe('EBADREF')
    expect((err as Error).message).toContain(JSON.stringify(ref))
    expect((err as Error).message).toContain(why)
  })
})

test('registryApiHost: docker.io is served by registry-1.docker.io', () => {
  expect(registryApiHost('docker.io')).toBe('registry-1.docker.io')
  expect(registryApiHost('localhost:5000')).toBe('localhost:5000')
  expect(registryApiHost('ghcr.io')).toBe('ghcr.io')
})

test('familiarRepository prints what Docker prints', () => {
  expect(familiarRepository('docker.io/library/alpine')).toBe('alpine')
  expect(familiarRepository('docker.io/user/app')).toBe('user/app')
  expect(familiarRepository('docker.io/library/a/b')).toBe('library/a/b')
  expect(familiarRepository('localhost/x')).toBe('localhost/x')
})

test('familiarName prints a whole reference as Docker does (rmi\'s "Untagged:")', () => {
  expect(familiarName('docker.io/library/alpine:latest')).toBe('alpine:latest')
  expect(familiarName('docker.io/other/name:v2')).toBe('other/name:v2')
  expect(familiarName('localhost/cli/test:1')).toBe('localhost/cli/test:1')
  expect(familiarName('registry.example:5000/team/app@sha256:' + 'a'.repeat(64))).toBe('registry.example:5000/team/app@sha256:' + 'a'.repeat(64))
  expect(familiarName('docker.io/library/alpine@sha256:' + 'b'.repeat(64))).toBe('alpine@sha256:' + 'b'.repeat(64))
})

