// removeState unlinks state.json and removes the directory without a
// recursive walk when that is all there is (a foreground run); anything else
// in the directory (a detached container's log and exit record, a killed
// writer's tmp file, a subdirectory) still goes with it, and so does the name.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createState, removeState, stateDir, type ContainerState } from '../src/runtime/container/state.js'
import { collectStateDir } from '../src/runtime/container/state-collect.js'
import { listContainers } from '../src/runtime/container/containers.js'

const state = (n: number, name: string): ContainerState => ({
  id: String(n).repeat(64).slice(0, 64),
  name,
  command: ['/bin/true'],
  created: new Date().toISOString(),
  status: 'created',
})

/** A state root under a new temporary directory, removed after each test. */
const roots: string[] = []
afterEach(() => roots.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
const stateRoot = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-state-'))
  roots.push(dir)
  return join(dir, 'state')
}

/** A container whose state.json is gone, as a runtime killed while creating or removing it leaves it; its directory. */
const withoutStateJson = (root: string, s: ContainerState): string => {
  createState(root, s)
  rmSync(join(stateDir(root, s.id), 'state.json'))
  return stateDir(root, s.id)
}

describe('removeState', () => {

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
    writeFileSync(join(withoutStateJson(root, s), 'container.log'), 'log\n')
    removeState(root, s)
    expect(readdirSync(root)).toEqual([])
    expect(() => removeState(root, s)).not.toThrow()
  })
})

// A state directory without state.json (a runtime killed between createState's
// mkdir and its first write, or between removeState's unlink and its rmdir) is
// collected by the next listing; see also reliability-crash-points (state:*).
describe('collectStateDir', () => {
  it('removes a directory without state.json, with its files and the names pointing to it; leaves the others', () => {
    const root = stateRoot()
    const lost = state(5, 'lost')
    const other = state(6, 'kept')
    createState(root, other)
    writeFileSync(join(withoutStateJson(root, lost), 'state.json.99.tmp'), '{')
    expect(collectStateDir(root, lost.id)).toBe(true)
    expect(readdirSync(root).sort()).toEqual([other.id, 'names'])
    expect(readdirSync(join(root, 'names'))).toEqual(['kept'])
    // the listing shows the other, and its own collection is a no-op for a real state
    expect(listContainers(root).map((c) => c.name)).toEqual(['kept'])
    expect(collectStateDir(root, other.id)).toBe(false)
    expect(existsSync(join(stateDir(root, other.id), 'state.json'))).toBe(true)
  })

  it('a listing collects it, and names/ goes with the last name', () => {
    const root = stateRoot()
    const lost = state(7, 'only')
    withoutStateJson(root, lost)
    expect(listContainers(root)).toEqual([])
    expect(readdirSync(root)).toEqual([])
  })

  it('leaves a directory that holds more than files (a subdirectory, a mount point), and says false', () => {
    const root = stateRoot()
    const odd = state(8, 'odd')
    withoutStateJson(root, odd)
    // files listed before it are not removed either: it is left as it is
    writeFileSync(join(stateDir(root, odd.id), 'aaa'), 'x')
    mkdirSync(join(stateDir(root, odd.id), 'sub'))
    writeFileSync(join(stateDir(root, odd.id), 'zzz'), 'x')
    expect(collectStateDir(root, odd.id)).toBe(false)
    expect(readdirSync(stateDir(root, odd.id)).sort()).toEqual(['aaa', 'sub', 'zzz'])
    expect(readdirSync(join(root, 'names'))).toEqual(['odd'])
  })

  it('collects one left with the linked-by/ notes of the containers linking to it (a removal killed, or filled meanwhile), but not one with anything more in them', () => {
    const root = stateRoot()
    const linked = state(9, 'linked')
    withoutStateJson(root, linked)
    mkdirSync(join(stateDir(root, linked.id), 'linked-by'))
    writeFileSync(join(stateDir(root, linked.id), 'linked-by', 'a'.repeat(64)), '')
    writeFileSync(join(stateDir(root, linked.id), 'hosts'), '127.0.0.1\tlocalhost\n')
    expect(collectStateDir(root, linked.id)).toBe(true)
    expect(existsSync(stateDir(root, linked.id))).toBe(false)
    const deeper = state(10, 'deeper')
    withoutStateJson(root, deeper)
    mkdirSync(join(stateDir(root, deeper.id), 'linked-by', 'sub'), { recursive: true })
    expect(collectStateDir(root, deeper.id)).toBe(false)
    expect(readdirSync(join(stateDir(root, deeper.id), 'linked-by'))).toEqual(['sub'])
  })

  it("collects an empty names/ when it finds no container (a start killed between making it and linking its name), and only then", () => {
    const root = stateRoot()
    mkdirSync(join(root, 'names'), { recursive: true, mode: 0o700 })
    expect(listContainers(root)).toEqual([])
    expect(readdirSync(root)).toEqual([])
    // a name whose container's directory went without it (a removal killed between the two): collected too
    mkdirSync(join(root, 'names'), { recursive: true, mode: 0o700 })
    symlinkSync(state(6, 'x').id, join(root, 'names', 'dangling'))
    expect(listContainers(root)).toEqual([])
    expect(readdirSync(root)).toEqual([])
    // with a container, names/ is its name's
    createState(root, state(9, 'kept'))
    expect(listContainers(root).map((c) => c.name)).toEqual(['kept'])
    expect(readdirSync(join(root, 'names'))).toEqual(['kept'])
  })
})
