// A container's spec and start input live in config.json, apart from
// state.json (state-config.ts): written once, read only by what needs them,
// so `ps` never parses them. A state written before config.json existed
// (its spec inside state.json) still reads, and moves out on its next write.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readState, stateWith, writeState, type ContainerState } from '../src/runtime/container/state.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const ID = 'a'.repeat(64)
const spec = { ociVersion: '1.0.2', process: { args: ['sh'], cwd: '/' }, root: { path: '/r' }, mounts: [], linux: { namespaces: [{ type: 'pid' }] } }
const base = (): ContainerState => ({ id: ID, name: 'conf', command: ['sh'], created: '2026-12-01T00:00:00Z', status: 'created' })

describe('config.json beside state.json', () => {
  let root: string
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mini-run-state-config-'))
    mkdirSync(join(root, ID))
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const read = (file: string) => JSON.parse(readFileSync(join(root, ID, file), 'utf8')) as Record<string, unknown>

  it('keeps spec and startInput out of state.json, and reads them back when used', () => {
    writeState(root, { ...base(), spec: spec as never, startInput: { rootfs: 'x' } as never })
    expect(read('state.json')).not.toHaveProperty('spec')
    expect(read('state.json')).not.toHaveProperty('startInput')
    expect(read('config.json')).toEqual({ spec, startInput: { rootfs: 'x' } })
    const s = readState(root, ID)
    expect(s.name).toBe('conf')
    expect(s.spec).toEqual(spec)
    expect(s.startInput).toEqual({ rootfs: 'x' })
  })

  it('a state read and written again leaves config.json as it was, unread', () => {
    const config = join(root, ID, 'config.json')
    const saved = readFileSync(config)
    // a FIFO: reading it would wait forever, so the test hangs if anything reads it
    rmSync(config)
    execFileSync('mkfifo', [config])
    try {
      const s = readState(root, ID)
      const next = stateWith(s, { status: 'running' as const, pid: 4242 })
      writeState(root, next)
      expect(read('state.json')).toMatchObject({ status: 'running', pid: 4242 })
      expect(read('state.json')).not.toHaveProperty('spec')
    } finally {
      rmSync(config)
      writeFileSync(config, saved)
    }
    // and a spread copy (which reads them) writes nothing new either
    const s = readState(root, ID)
    writeState(root, { ...s, status: 'exited', exitCode: 3 })
    expect(readFileSync(config)).toEqual(saved)
    expect(readState(root, ID)).toMatchObject({ status: 'exited', exitCode: 3, spec })
  })

  it('a changed spec is written to config.json before state.json', () => {
    const s = readState(root, ID)
    const changed = { ...spec, process: { ...spec.process, args: ['top'] } }
    writeState(root, { ...s, spec: changed as never })
    expect(read('config.json')).toMatchObject({ spec: changed, startInput: { rootfs: 'x' } })
    expect(readState(root, ID).spec).toEqual(changed)
  })

  it("reads a state from before config.json, and moves its spec out at the next write", () => {
    rmSync(join(root, ID, 'config.json'))
    writeFileSync(join(root, ID, 'state.json'), JSON.stringify({ ...base(), spec, startInput: { rootfs: 'old' } }, null, 2))
    const s = readState(root, ID)
    expect(s.spec).toEqual(spec)
    expect(s.startInput).toEqual({ rootfs: 'old' })
    writeState(root, { ...s, status: 'exited', exitCode: 0 })
    expect(read('state.json')).not.toHaveProperty('spec')
    expect(read('config.json')).toEqual({ spec, startInput: { rootfs: 'old' } })
    expect(readState(root, ID).spec).toEqual(spec)
  })

  it("leaves config.json alone whatever the state root's spelling (a trailing slash)", () => {
    const config = join(root, ID, 'config.json')
    const ino = statSync(config).ino
    const s = readState(`${root}/`, ID)
    writeState(`${root}/`, { ...s, name: 'renamed' })
    expect(statSync(config).ino).toBe(ino)
    expect(readState(root, ID).name).toBe('renamed')
  })

  it('a container removed since its state was read: no spec, and its copies do not fail (a stop racing run -d --rm)', () => {
    const s = readState(root, ID)
    const dir = join(root, ID)
    const saved = { state: readFileSync(join(dir, 'state.json')), config: readFileSync(join(dir, 'config.json')) }
    rmSync(join(dir, 'state.json'))
    rmSync(join(dir, 'config.json'))
    try {
      expect({ ...s, status: 'exited' }).toMatchObject({ status: 'exited', spec: undefined })
      expect(s.startInput).toBeUndefined()
    } finally {
      writeFileSync(join(dir, 'state.json'), saved.state)
      writeFileSync(join(dir, 'config.json'), saved.config)
    }
  })

  it('a state whose config.json is gone has no spec, as a state recorded without one', () => {
    rmSync(join(root, ID, 'config.json'))
    const s = readState(root, ID)
    expect(s.spec).toBeUndefined()
    expect(s.startInput).toBeUndefined()
    expect(existsSync(join(root, ID, 'config.json'))).toBe(false)
  })
})

describe.skipIf(!isRoot)('ps, inspect and exec with config.json (needs root: containers)', () => {
  let env: TestEnv
  let id: string
  beforeAll(async () => {
    env = await makeTestEnv()
    id = env.run(['create', '--network', 'none', '--name', 'conf-c', '-v', '/tmp:/from-host:ro', BUSYBOX, 'true']).stdout.trim()
  })
  afterAll(() => env?.cleanup())

  it('ps reads no config.json; its Mounts column and inspect do', () => {
    const config = join(env.stateRoot, id, 'config.json')
    expect(existsSync(config)).toBe(true)
    expect(JSON.parse(readFileSync(join(env.stateRoot, id, 'state.json'), 'utf8'))).not.toHaveProperty('spec')
    const saved = readFileSync(config)
    rmSync(config)
    execFileSync('mkfifo', [config])
    try {
      const ps = env.run(['ps', '-a', '--format', '{{.Names}} {{.Networks}} {{.Status}}'], { timeout: 20_000 })
      expect(ps.stderr).toBe('')
      expect(ps.stdout.trim()).toBe('conf-c none Created')
    } finally {
      rmSync(config)
      writeFileSync(config, saved)
    }
    expect(env.run(['ps', '-a', '--format', '{{.Mounts}}']).stdout.trim()).toBe('/tmp')
    const inspected = JSON.parse(env.run(['inspect', 'conf-c']).stdout) as [{ Config: { Cmd: string[] }; HostConfig: { NetworkMode: string } }]
    expect(inspected[0].Config.Cmd).toEqual(['true'])
    expect(inspected[0].HostConfig.NetworkMode).toBe('none')
  })

  it('a started container runs from the spec in config.json, and rm removes both files', () => {
    const start = env.run(['start', '-a', 'conf-c'])
    expect(start.status).toBe(0)
    expect(env.run(['rm', 'conf-c']).status).toBe(0)
    expect(existsSync(join(env.stateRoot, id))).toBe(false)
  })
})
