// readFileInRoot: a file of a container, resolved inside its root, opened
// once, regular files only, bounded. Needs no root: openat2 is for everyone.
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readFileInRoot } from '../src/runtime/container/container-files.js'

const O_PATH = 0o10000000

describe('readFileInRoot', () => {
  let dir: string
  let root: string
  let rootFd: number
  let host: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-files-'))
    root = join(dir, 'root')
    host = join(dir, 'host')
    mkdirSync(join(root, 'etc'), { recursive: true })
    mkdirSync(host)
    writeFileSync(join(host, 'passwd'), 'hostonly:x:4242:4242::/:/bin/sh\n')
    rootFd = openSync(root, O_PATH | constants.O_DIRECTORY)
  })
  afterEach(() => {
    closeSync(rootFd)
    rmSync(dir, { recursive: true, force: true })
  })
  const read = (path = 'etc/passwd', max?: number) => readFileInRoot(rootFd, path, '/etc/passwd of container c', max)

  it('reads a regular file, and gives undefined for a missing one', () => {
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n')
    expect(read()).toBe('root:x:0:0::/root:/bin/sh\n')
    expect(read('etc/group')).toBeUndefined()
    expect(read('etc/passwd/x')).toBeUndefined() // ENOTDIR
  })

  it('resolves absolute symlinks and ".." inside the root, never on the host', () => {
    symlinkSync(join(host, 'passwd'), join(root, 'etc/passwd'))
    expect(read()).toBeUndefined() // the host's path does not exist inside
    rmSync(join(root, 'etc/passwd'))
    symlinkSync('../../../../../../host/passwd', join(root, 'etc/passwd'))
    expect(read()).toBeUndefined()
    // the same names inside the root are followed
    mkdirSync(join(root, host), { recursive: true })
    writeFileSync(join(root, host, 'passwd'), 'inside:x:1:1::/:/bin/sh\n')
    rmSync(join(root, 'etc/passwd'))
    symlinkSync(join(host, 'passwd'), join(root, 'etc/passwd'))
    expect(read()).toBe('inside:x:1:1::/:/bin/sh\n')
  })

  it('refuses magic links (/proc/<pid>/root and the like), which would jump out of any root', () => {
    // a root whose /proc is a real procfs: the host's own "/"
    const hostRoot = openSync('/', O_PATH | constants.O_DIRECTORY)
    try {
      expect(() => readFileInRoot(hostRoot, 'proc/self/root/etc/hostname', 'x')).toThrow('open x: Too many levels of symbolic links')
    } finally {
      closeSync(hostRoot)
    }
  })

  it('refuses a FIFO by its type, without opening it (which would block)', () => {
    execFileSync('mkfifo', [join(root, 'etc/passwd')])
    // opened, a FIFO with no writer would block this test until its timeout
    expect(() => read()).toThrow('/etc/passwd of container c is not a regular file')
    mkdirSync(join(root, 'etc/group'))
    expect(() => read('etc/group')).toThrow(/is not a regular file/)
  })

  it('reads at most a bound, and names the file beyond it', () => {
    writeFileSync(join(root, 'etc/passwd'), 'x'.repeat(100))
    expect(read('etc/passwd', 100)).toBe('x'.repeat(100))
    expect(() => read('etc/passwd', 99)).toThrow('/etc/passwd of container c is larger than 99 bytes')
  })
})
