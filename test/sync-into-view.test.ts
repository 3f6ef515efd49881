// compose watch's sync into a container's root, on a directory standing in
// for one (rootView over its fd: every path resolved inside it, as in a
// container): exact paths, parents made, symlinked directories written
// through and kept, a file and a directory replacing each other, removals
// that follow no symlink, one failure not stopping the rest.
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { rootView } from '../src/runtime/container/copy/fs-view.js'
import { syncIntoView } from '../src/runtime/container/copy/sync-container.js'

describe('syncIntoView', () => {
  let dir: string
  let host: string
  let root: string
  let fd: number
  // the ids kept as root; as an ordinary user, the caller's (who can give a file no other)
  const view = () => rootView({ rootFd: fd, name: 'container c', ref: 'c', owner: (src) => (process.getuid?.() === 0 ? { uid: src.uid, gid: src.gid } : undefined), inside: (id) => id })
  const item = (rel: string, container: string) => ({ host: join(host, rel), container })
  const put = (base: string, rel: string, text: string) => {
    mkdirSync(join(base, rel, '..'), { recursive: true })
    writeFileSync(join(base, rel), text)
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-sync-'))
    host = join(dir, 'host')
    root = join(dir, 'root')
    mkdirSync(host)
    mkdirSync(root)
    fd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY)
  })
  afterEach(() => {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  })

  it('a file lands at exactly its path, its missing parents made, its mode and times kept', () => {
    put(host, 'a.txt', 'A')
    chmodSync(join(host, 'a.txt'), 0o640)
    const r = syncIntoView(view(), [item('a.txt', '/srv/app/a.txt')])
    expect(r).toEqual({ written: 1, failures: [] })
    expect(readFileSync(join(root, 'srv/app/a.txt'), 'utf8')).toBe('A')
    expect(statSync(join(root, 'srv/app/a.txt')).mode & 0o7777).toBe(0o640)
    expect(Math.abs(statSync(join(root, 'srv/app/a.txt')).mtimeMs - statSync(join(host, 'a.txt')).mtimeMs)).toBeLessThan(1)
    expect(statSync(join(root, 'srv')).mode & 0o7777).toBe(0o755)
  })

  it('through a symlinked directory of the container (absolute, as /linked -> /www resolves in the root), the link kept', () => {
    mkdirSync(join(root, 'www'))
    symlinkSync('/www', join(root, 'linked'))
    symlinkSync('usr/lib', join(root, 'lib'))
    mkdirSync(join(root, 'usr/lib'), { recursive: true })
    put(host, 'f', 'F')
    mkdirSync(join(host, 'd'))
    const r = syncIntoView(view(), [item('f', '/linked/sub/f'), item('f', '/lib/plugin/f'), item('d', '/linked')])
    expect(r.failures).toEqual([])
    expect(readFileSync(join(root, 'www/sub/f'), 'utf8')).toBe('F')
    expect(readFileSync(join(root, 'usr/lib/plugin/f'), 'utf8')).toBe('F')
    expect(readlinkSync(join(root, 'linked'))).toBe('/www')
    expect(readlinkSync(join(root, 'lib'))).toBe('usr/lib')
  })

  it('a file replaces a directory and a directory a file; a symlink is copied as a link, over a file', () => {
    put(root, 'x/inner', 'old')
    put(root, 'y', 'old')
    put(root, 'z', 'old')
    put(host, 'x', 'now a file')
    mkdirSync(join(host, 'y'))
    symlinkSync('elsewhere', join(host, 'z'))
    const r = syncIntoView(view(), [item('x', '/x'), item('y', '/y'), item('z', '/z')])
    expect(r).toEqual({ written: 3, failures: [] })
    expect(readFileSync(join(root, 'x'), 'utf8')).toBe('now a file')
    expect(lstatSync(join(root, 'y')).isDirectory()).toBe(true)
    expect(readlinkSync(join(root, 'z'))).toBe('elsewhere')
  })

  it('a path the host no longer has goes, with what is below it; a symlink there goes without what it points to', () => {
    put(root, 'gone/a/b', 'x')
    put(root, 'keep/precious', 'x')
    symlinkSync('/keep', join(root, 'link'))
    const r = syncIntoView(view(), [item('gone', '/gone'), item('link', '/link'), item('never', '/never')])
    expect(r).toEqual({ written: 2, failures: [] })
    expect(existsSync(join(root, 'gone'))).toBe(false)
    expect(existsSync(join(root, 'link'))).toBe(false)
    expect(readFileSync(join(root, 'keep/precious'), 'utf8')).toBe('x')
  })

  it('nothing outside the root is reached, through a symlink or ".."', () => {
    put(dir, 'outside/secret', 'x')
    symlinkSync(join(dir, 'outside'), join(root, 'escape'))
    put(host, 'f', 'F')
    const r = syncIntoView(view(), [item('f', '/escape/secret'), item('gone', '/../outside/secret')])
    expect(r.failures).toEqual([])
    expect(readFileSync(join(dir, 'outside/secret'), 'utf8')).toBe('x')
    // the link leads nowhere in the root (its target resolved there does not exist): a directory replaces it
    expect(readFileSync(join(root, 'escape/secret'), 'utf8')).toBe('F')
  })

  it('a read-only path is refused by name, and the other items are still written', () => {
    put(host, 'a', 'A')
    put(host, 'b', 'B')
    const r = syncIntoView(view(), [item('a', '/ro/a'), item('b', '/rw/b')], (p) => (p.startsWith('/ro/') ? 'mounted volume is marked read-only' : undefined))
    expect(r.written).toBe(1)
    expect(r.failures).toEqual(['copy to /ro/a in container c: mounted volume is marked read-only'])
    expect(readFileSync(join(root, 'rw/b'), 'utf8')).toBe('B')
  })
})
