// Security issue, item 1: any local user got host root from image content.
// The store's layers kept the image's setuid-root binaries, file
// capabilities and device nodes on the host, in directories anyone could
// enter: an ordinary user ran them from there. Now the store is its
// owner's alone (the root and containers/ give others the search bit a
// user namespace's root needs, nothing more), and the layers are not
// reachable at all. Checked as an ordinary user with exactly those files.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { openTempDir, runAs } from './helpers/as-user.js'
import { addImage } from './helpers/image-store.js'
import { miniRun } from './helpers/cli.js'
import { isRoot, BUSYBOX_OCI } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const USER = 40_101 // an ordinary uid that owns nothing on this host

/** vfs_cap_data revision 2: cap_dac_override (bit 1), permitted + effective. */
const CAP_DAC_OVERRIDE = Buffer.from([1, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])

const PROBE = `
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  setresuid(0, 0, 0);
  printf("euid=%d", (int)geteuid());
  if (argc > 1) printf(" open=%s", open(argv[1], O_RDONLY) >= 0 ? "ok" : "refused");
  printf("\\n");
  return 0;
}
`

describe.skipIf(!isRoot)('the image store as seen by another user (needs root: setuid files, devices, setpriv)', () => {
  let dir: string
  let storeRoot: string
  let fs: string
  let secret: string
  beforeAll(async () => {
    dir = openTempDir('mini-run-sec-store-')
    writeFileSync(join(dir, 'probe.c'), PROBE)
    execFileSync('gcc', ['-static', '-O1', '-o', join(dir, 'probe'), join(dir, 'probe.c')])
    const probe = readFileSync(join(dir, 'probe'))
    secret = join(dir, 'secret')
    writeFileSync(secret, 'root only\n', { mode: 0o600 })
    storeRoot = join(dir, 'store')
    const store = new ImageStore({ root: storeRoot })
    const image = await addImage(store, [
      [
        { path: 'bin', type: 'dir' },
        { path: 'bin/suid', type: 'file', mode: 0o4755, content: probe },
        { path: 'bin/cap', type: 'file', mode: 0o755, content: probe, xattrs: { 'security.capability': CAP_DAC_OVERRIDE } },
        { path: 'dev', type: 'dir' },
        { path: 'dev/kvm', type: 'char', major: 10, minor: 232, mode: 0o666 },
        { path: 'dev/hwrng', type: 'char', major: 10, minor: 183, mode: 0o666 },
        { path: 'tmp', type: 'dir', mode: 0o1777 },
      ],
    ])
    fs = store.layerFsPath(image.chainIds[0]!)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('the files are in the store, and would work for whoever reaches them', () => {
    // the test's premise: root sees them with their bits intact
    expect(statSync(join(fs, 'bin/suid')).mode & 0o4000).toBe(0o4000)
    expect(statSync(join(fs, 'dev/kvm')).isCharacterDevice()).toBe(true)
  })

  it('an ordinary user cannot run the setuid binary, nor the one with file capabilities', () => {
    for (const bin of ['bin/suid', 'bin/cap']) {
      const r = runAs(USER, USER, [join(fs, bin), secret])
      expect(r.stdout).not.toMatch(/euid=0|open=ok/)
      expect(r.status).not.toBe(0)
    }
  })

  it('an ordinary user cannot open the device nodes, list the layers or write into one', () => {
    for (const node of ['dev/kvm', 'dev/hwrng']) {
      expect(runAs(USER, USER, ['sh', '-c', `exec 3<"${join(fs, node)}"`]).status).not.toBe(0)
    }
    expect(runAs(USER, USER, ['ls', join(storeRoot, 'layers')]).status).not.toBe(0)
    expect(runAs(USER, USER, ['sh', '-c', `echo planted > "${join(fs, 'tmp/planted')}"`]).status).not.toBe(0)
  })

  it('gives others nothing beyond search on the store, and nothing at all below it but containers/', () => {
    const mode = (p: string) => statSync(p).mode & 0o777
    expect(mode(storeRoot)).toBe(0o711)
    for (const sub of ['blobs', 'blobs/sha256', 'layers', 'refs', 'tmp']) expect(mode(join(storeRoot, sub))).toBe(0o700)
  })

  it('narrows a store made by an older mini-run (0755 everywhere) when it is opened again', async () => {
    const old = join(dir, 'old-store')
    await loadArchive(new ImageStore({ root: old }), BUSYBOX_OCI, { name: 'localhost/old:1' })
    for (const sub of ['', 'blobs', 'blobs/sha256', 'layers', 'refs']) chmodSync(join(old, sub), 0o755)
    const r = miniRun(['--root', old, 'images'])
    expect(r.stderr).toBe('')
    expect(statSync(old).mode & 0o777).toBe(0o711)
    expect(statSync(join(old, 'layers')).mode & 0o777).toBe(0o700)
  })

  it('refuses a store that belongs to someone else, or that others may write', () => {
    const theirs = join(dir, 'theirs')
    mkdirSync(theirs)
    execFileSync('chown', [`${USER}:${USER}`, theirs])
    const r = miniRun(['--root', theirs, 'images'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`mini-run: image store ${theirs} belongs to uid ${USER}, not to you (uid 0): remove it or choose another directory\n`)
    const open = join(dir, 'open')
    mkdirSync(open)
    chmodSync(open, 0o777)
    // what anyone could write, anyone may have planted
    mkdirSync(join(open, 'refs'))
    const w = miniRun(['--root', open, 'images'])
    expect(w.status).toBe(1)
    expect(w.stderr).toBe(`mini-run: image store ${open} is writable by others (mode 0777): remove it or choose another directory\n`)
    // empty (a tmpfs mounted for the store comes up 1777): narrowed, then used
    const fresh = join(dir, 'fresh')
    mkdirSync(fresh)
    chmodSync(fresh, 0o1777)
    expect(miniRun(['--root', fresh, 'images']).status).toBe(0)
    expect((statSync(fresh).mode & 0o7777).toString(8)).toBe('711')
  })
})
