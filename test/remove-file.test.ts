// removeFile and removeFlatDir (src/remove-file.ts): the unlink-based
// removal a run's way out uses instead of fs.rmSync.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { removeFile, removeFlatDir } from '../src/remove-file.js'

// A writer racing the removal, made certain: while `racer` is set, each
// rmdir of that directory is preceded by what it does (another process's
// file, made between the walk and the rmdir).
const race = vi.hoisted(() => ({ dir: '', racer: undefined as undefined | ((times: number) => void), times: 0, subRacer: undefined as undefined | ((path: string) => void) }))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const rmdirSync = (path: import('node:fs').PathLike, ...rest: unknown[]) => {
    if (race.racer && String(path) === race.dir) race.racer(++race.times)
    return (fs.rmdirSync as (...a: unknown[]) => void)(path, ...rest)
  }
  // a subdirectory's recursive removal, which the writer's note can also fill meanwhile
  const rmSync = (path: import('node:fs').PathLike, ...rest: unknown[]) => {
    race.subRacer?.(String(path))
    return (fs.rmSync as (...a: unknown[]) => void)(path, ...rest)
  }
  return { ...fs, default: { ...fs, rmdirSync, rmSync }, rmdirSync, rmSync }
})
afterEach(() => {
  race.racer = undefined
  race.subRacer = undefined
  race.times = 0
})

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-remove-file-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('removeFile', () => {
  it('removes a file or a symlink (not its target), and is quiet when there is none', () => {
    writeFileSync(join(dir, 'f'), 'x')
    symlinkSync(join(dir, 'f'), join(dir, 'l'))
    removeFile(join(dir, 'l'))
    expect(existsSync(join(dir, 'f'))).toBe(true)
    removeFile(join(dir, 'f'))
    expect(existsSync(join(dir, 'f'))).toBe(false)
    expect(() => removeFile(join(dir, 'f'))).not.toThrow()
  })

  it('refuses a directory, as rmSync without recursive does', () => {
    mkdirSync(join(dir, 'd'))
    expect(() => removeFile(join(dir, 'd'))).toThrow(/EISDIR|EPERM/)
    expect(existsSync(join(dir, 'd'))).toBe(true)
  })
})

describe('removeFlatDir', () => {
  it('removes a directory of files, symlinks and a subdirectory, and is quiet when it is gone', () => {
    const d = join(dir, 'state')
    mkdirSync(join(d, 'sub', 'deeper'), { recursive: true })
    for (const f of ['hosts', 'resolv.conf', 'netns', 'sub/x', 'sub/deeper/y']) writeFileSync(join(d, f), f)
    symlinkSync('/etc/hostname', join(d, 'link'))
    removeFlatDir(d)
    expect(existsSync(d)).toBe(false)
    expect(existsSync('/etc/hostname')).toBe(true)
    expect(() => removeFlatDir(d)).not.toThrow()
  })

  it('removes a symlink where the directory was, never what it points to', () => {
    const target = join(dir, 'elsewhere')
    mkdirSync(target)
    writeFileSync(join(target, 'keep'), 'x')
    symlinkSync(target, join(dir, 'state'))
    removeFlatDir(join(dir, 'state'))
    expect(existsSync(join(dir, 'state'))).toBe(false)
    expect(existsSync(join(target, 'keep'))).toBe(true)
  })

  it('walks again when another process fills it meanwhile (a linked-by/ note), rather than failing with ENOTEMPTY', () => {
    const d = join(dir, 'state')
    mkdirSync(d)
    writeFileSync(join(d, 'state.json'), '{}')
    race.dir = d
    // the first two rmdirs find a note made after the walk, in a directory of its own and then beside it
    race.racer = (times) => {
      if (times === 1) {
        mkdirSync(join(d, 'linked-by'))
        writeFileSync(join(d, 'linked-by', 'abc'), '')
      }
      if (times === 2) writeFileSync(join(d, 'late'), '')
    }
    removeFlatDir(d)
    expect(race.times).toBe(3)
    expect(existsSync(d)).toBe(false)
  })

  it('gives up with ENOTEMPTY when the writer keeps filling it, leaving the directory for the next removal', () => {
    const d = join(dir, 'state')
    mkdirSync(d)
    race.dir = d
    race.racer = (times) => writeFileSync(join(d, `note-${times}`), '')
    expect(() => removeFlatDir(d)).toThrow(/ENOTEMPTY/)
    expect(race.times).toBe(3)
    race.racer = undefined
    removeFlatDir(d)
    expect(existsSync(d)).toBe(false)
  })

  it("a subdirectory's removal failing with ENOTEMPTY (filled during its walk) is left to the next walk", () => {
    const d = join(dir, 'state')
    mkdirSync(join(d, 'linked-by'), { recursive: true })
    writeFileSync(join(d, 'linked-by', 'a'), '')
    let failed = 0
    race.subRacer = (path) => {
      if (path === join(d, 'linked-by') && failed++ === 0) throw Object.assign(new Error('ENOTEMPTY: directory not empty'), { code: 'ENOTEMPTY' })
    }
    removeFlatDir(d)
    expect(failed).toBe(2)
    expect(existsSync(d)).toBe(false)
  })
})
