// removeState unlinks state.json and removes the directory without a
// recursive walk when that is all there is (a foreground run); anything else
// in the directory (a detached container's log and exit record, a killed
// writer's tmp file, a subdirectory) still goes with it, and so does the name.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createState, removeState, stateDir, type ContainerState } from '../src/runtime/container/state.js'

const state = (n: number, name: string): ContainerState => ({
  id: String(n).repeat(64).slice(0, 64),
  name,
  command: ['/bin/true'],
  created: new Date().toISOString(),
  status: 'created',
})

describe('removeState', () => {
  const roots: string[] = []
  afterEach(() => roots.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
  const stateRoot = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-state-'))
    roots.push(dir)
    return join(dir, 'state')
  }

  it('removes a directory holding state.json alone, and the name', () => {
    const root = stateRoot()
    const s = state(1, 'alone')
    createState(root, s)
    expect(readdirSync(stateDir(root, s.id))).toEqual(['state.json'])
    removeState(root, s)
    expect(readdirSync(root)).toEqual([])
  })

  it('removes whatever else the directory holds, and leaves the other containers alone', () => {
    const root = stateRoot()
    const s = state(2, 'busy')
    const other = state(3, 'other')
    createState(root, s)
    createState(root, other)
    const dir = stateDir(root, s.id)
    writeFileSync(join(dir, 'container.log'), 'log\n')
    writeFileSync(join(dir, 'exit.json'), '{}')
    writeFileSync(join(dir, 'state.json.123.tmp'), '{')
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'sub', 'file'), 'x')
    removeState(root, s)
    expect(existsSync(dir)).toBe(false)
    expect(readdirSync(root).sort()).toEqual([other.id, 'names'])
    expect(readdirSync(join(root, 'names'))).toEqual(['other'])
  })

  it('removes a directory whose state.json is already gone, and accepts one that is gone entirely', () => {
    const root = stateRoot()
    const s = state(4, 'half')
    createState(root, s)
    rmSync(join(stateDir(root, s.id), 'state.json'))
    writeFileSync(join(stateDir(root, s.id), 'container.log'), 'log\n')
    removeState(root, s)
    expect(readdirSync(root)).toEqual([])
    expect(() => removeState(root, s)).not.toThrow()
  })
})
