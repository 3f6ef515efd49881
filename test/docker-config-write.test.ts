/**
 * What login and logout write: Docker's config.json, auths[registry].auth
 * as base64 "user:password", 0600, replaced atomically, with everything
 * else in the file kept; a credential helper when the config names one.
 * The pull side (findCredentials) reads back what was written.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { dockerConfigDir, findCredentials, removeCredentials, storeCredentials } from '../src/registry/docker-config.js'
import { normalizeRegistry } from '../src/registry/login.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-docker-config-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const read = (file = join(dir, 'config.json')) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>

test('stores auths[host].auth, mode 0600, and the pull side reads it back', async () => {
  const configDir = join(dir, 'new', '.docker') // created on the way, 0700
  const stored = await storeCredentials('127.0.0.1:5000', { username: 'alice', password: 'p:w' }, configDir)
  expect(stored).toEqual({ file: join(configDir, 'config.json') })
  expect(lstatSync(stored.file).mode & 0o777).toBe(0o600)
  expect(lstatSync(configDir).mode & 0o777).toBe(0o700)
  expect(read(stored.file)).toEqual({ auths: { '127.0.0.1:5000': { auth: Buffer.from('alice:p:w').toString('base64') } } })
  expect(await findCredentials('127.0.0.1:5000', configDir)).toEqual({ username: 'alice', password: 'p:w' })
  expect(readdirSync(configDir)).toEqual(['config.json']) // no temp file left
})

test('keeps the rest of the file, replaces other spellings of the registry, and Docker Hub gets its legacy key', async () => {
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      auths: { 'https://127.0.0.1:5000/v1/': { auth: Buffer.from('old:old').toString('base64') }, 'other.example': { auth: 'eDp5' } },
      psFormat: 'table {{.ID}}',
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
    }),
    { mode: 0o644 },
  )
  await storeCredentials('127.0.0.1:5000', { username: 'alice', password: 'new' }, dir)
  await storeCredentials('docker.io', { username: 'bob', password: 'hub' }, dir)
  const config = read()
  expect(config.psFormat).toBe('table {{.ID}}')
  expect(config.proxies).toEqual({ default: { httpProxy: 'http://proxy:3128' } })
  expect(Object.keys(config.auths).sort()).toEqual(['127.0.0.1:5000', 'https://index.docker.io/v1/', 'other.example'])
  expect(await findCredentials('127.0.0.1:5000', dir)).toEqual({ username: 'alice', password: 'new' })
  expect(await findCredentials('docker.io', dir)).toEqual({ username: 'bob', password: 'hub' })
  expect(lstatSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600)

  expect(await removeCredentials('127.0.0.1:5000', dir)).toBe(true)
  expect(await removeCredentials('127.0.0.1:5000', dir)).toBe(false)
  expect(Object.keys(read().auths).sort()).toEqual(['https://index.docker.io/v1/', 'other.example'])
  expect(await findCredentials('127.0.0.1:5000', dir)).toBeUndefined()
})

test('a config.json that is not JSON is left alone, with an error naming it', async () => {
  writeFileSync(join(dir, 'config.json'), '{"auths": {')
  await expect(storeCredentials('h:1', { username: 'a', password: 'b' }, dir)).rejects.toThrow(`${join(dir, 'config.json')} is not valid JSON`)
  expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{"auths": {')
})

test('a symlinked config.json is written through: the link stays', async () => {
  mkdirSync(join(dir, 'dotfiles'))
  writeFileSync(join(dir, 'dotfiles', 'docker.json'), '{"detachKeys": "ctrl-x"}')
  symlinkSync(join(dir, 'dotfiles', 'docker.json'), join(dir, 'config.json'))
  await storeCredentials('h:1', { username: 'a', password: 'b' }, dir)
  expect(lstatSync(join(dir, 'config.json')).isSymbolicLink()).toBe(true)
  expect(read(join(dir, 'dotfiles', 'docker.json'))).toMatchObject({ detachKeys: 'ctrl-x', auths: { 'h:1': { auth: 'YTpi' } } })
})

test('a configured credential helper gets the secret; config.json only an empty entry', async () => {
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  const log = join(dir, 'helper.log')
  const helper = join(bin, 'docker-credential-fake')
  writeFileSync(helper, `#!/bin/sh\necho "$1 $(cat)" >> ${log}\n`)
  chmodSync(helper, 0o755)
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: 'fake' }))
  const path = process.env.PATH
  process.env.PATH = `${bin}:${path}`
  try {
    expect(await storeCredentials('h:1', { username: 'a', password: 's3' }, dir)).toEqual({ file: join(dir, 'config.json'), helper: 'fake' })
    expect(read()).toEqual({ credsStore: 'fake', auths: { 'h:1': {} } })
    expect(await removeCredentials('h:1', dir)).toBe(true)
    expect(readFileSync(log, 'utf8')).toBe('store {"ServerURL":"h:1","Username":"a","Secret":"s3"}\nerase h:1\n')
    expect(read().auths).toEqual({})
  } finally {
    process.env.PATH = path
  }
})

test('DOCKER_CONFIG chooses the directory; registries are normalized as docker login does', () => {
  expect(dockerConfigDir({ DOCKER_CONFIG: '/x/y', HOME: '/home/u' })).toBe('/x/y')
  expect(dockerConfigDir({ HOME: '/home/u' })).toBe('/home/u/.docker')
  expect(normalizeRegistry(undefined)).toBe('docker.io')
  expect(normalizeRegistry('https://index.docker.io/v1/')).toBe('docker.io')
  expect(normalizeRegistry('http://Registry.Example:5000/v2/')).toBe('registry.example:5000')
  expect(() => normalizeRegistry('a b')).toThrow(/invalid registry/)
})
