// cp: host <-> container both ways, directories, symlinks (-L), tar streams
// ("-"), stopped and created containers, and paths that try to leave the
// container's root through a symlink (resolved inside it, never the host).
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { encodeHeader, END_OF_ARCHIVE, padding } from '../src/image/tar-writer.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('cp (needs root)', () => {
  let env: TestEnv
  let host: string
  const ok = (args: string[], input?: string | Buffer) => {
    const r = env.run(args, input === undefined ? {} : { input })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const sh = (ref: string, script: string) => ok(['exec', ref, 'sh', '-c', script])
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  beforeEach(() => {
    host = join(env.dir, `host-${Math.random().toString(16).slice(2)}`)
    mkdirSync(join(host, 'd', 'sub'), { recursive: true })
    writeFileSync(join(host, 'd', 'a.txt'), 'alpha\n', { mode: 0o640 })
    writeFileSync(join(host, 'd', 'sub', 'b'), 'beta\n')
    symlinkSync('a.txt', join(host, 'd', 'link'))
    writeFileSync(join(host, 'f'), 'hostdata\n')
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  const running = (name: string) => ok(['run', '-d', '--name', name, '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'])

  it('copies a file and a directory into a running container (owned by its root, modes and links kept)', () => {
    running('c1')
    ok(['cp', join(host, 'f'), 'c1:/tmp/f'])
    expect(sh('c1', 'cat /tmp/f')).toBe('hostdata\n')
    ok(['cp', join(host, 'd'), 'c1:/tmp/'])
    expect(sh('c1', 'cat /tmp/d/a.txt /tmp/d/sub/b; readlink /tmp/d/link; stat -c "%a %u:%g" /tmp/d/a.txt')).toBe('alpha\nbeta\na.txt\n640 0:0\n')
    // into an existing directory: copied inside it; its content only with "/."
    ok(['cp', `${join(host, 'd')}/.`, 'c1:/tmp/merged'])
    expect(sh('c1', 'ls /tmp/merged')).toBe('a.txt\nlink\nsub\n')
  })

  it('copies out of a running container, and follows a symlink given as SRC only with -L', () => {
    running('c2')
    sh('c2', 'mkdir -p /data/x && echo inside > /data/x/file && ln -s x/file /data/alias')
    ok(['cp', 'c2:/etc/passwd', join(host, 'passwd')])
    expect(readFileSync(join(host, 'passwd'), 'utf8')).toMatch(/^root:x:0:0:/)
    ok(['cp', 'c2:/data', join(host, 'out')])
    expect(readFileSync(join(host, 'out', 'x', 'file'), 'utf8')).toBe('inside\n')
    ok(['cp', 'c2:/data/alias', join(host, 'alias')])
    expect(lstatSync(join(host, 'alias')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(join(host, 'alias'))).toBe('x/file')
    ok(['cp', '-L', 'c2:/data/alias', join(host, 'followed')])
    expect(readFileSync(join(host, 'followed'), 'utf8')).toBe('inside\n')
  })

  it('resolves a symlink that points out of the root inside the container, never on the host', () => {
    running('c3')
    // absolute, and with more ".." than there are directories: both stay in the container
    sh('c3', 'ln -s / /tmp/hostroot; ln -s ../../../../../../etc /tmp/up; echo container-hostname > /etc/hostname')
    ok(['cp', 'c3:/tmp/hostroot/etc/hostname', join(host, 'h1')])
    ok(['cp', 'c3:/tmp/up/hostname', join(host, 'h2')])
    expect(readFileSync(join(host, 'h1'), 'utf8')).toBe('container-hostname\n')
    expect(readFileSync(join(host, 'h2'), 'utf8')).toBe('container-hostname\n')
    // written through such a link: the file lands in the container's /etc, not the host's
    const marker = `mini-run-cp-escape-${process.pid}`
    ok(['cp', join(host, 'f'), `c3:/tmp/up/${marker}`])
    expect(existsSync(join('/etc', marker))).toBe(false)
    expect(sh('c3', `cat /etc/${marker}`)).toBe('hostdata\n')
    // a missing source names the container's path
    const r = env.run(['cp', 'c3:/nosuch', join(host, 'x')])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: Could not find the file /nosuch in container c3\n')
  })

  it('streams a tar out (cp C:SRC -) and in (cp - C:DIR)', () => {
    running('c4')
    sh('c4', 'mkdir -p /srv/t && echo one > /srv/t/1')
    const out = env.run(['cp', 'c4:/srv/t', '-'], { encoding: 'buffer' } as never)
    expect(out.status).toBe(0)
    const tarFile = join(host, 't.tar')
    writeFileSync(tarFile, out.stdout as unknown as Buffer)
    expect(execFileSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['t/', 't/1'])
    const input = execFileSync('tar', ['-C', join(host, 'd'), '-cf', '-', '.'])
    ok(['cp', '-', 'c4:/srv'], input)
    expect(sh('c4', 'cat /srv/a.txt /srv/sub/b; readlink /srv/link')).toBe('alpha\nbeta\na.txt\n')
    // a tar entry that climbs out of the destination is refused
    // (GNU tar would strip the "../": the archive is written by hand)
    const bad = Buffer.concat([encodeHeader({ path: '../payload', type: 'file', mode: 0o644, size: 1 }), Buffer.from('p'), padding(1), END_OF_ARCHIVE])
    const r = env.run(['cp', '-', 'c4:/srv'], { input: bad })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: tar entry "../payload" would be written outside the destination\n')
    expect(sh('c4', 'ls /payload 2>&1 || true')).toContain('No such file')
  })

  it('refuses a file named as a directory ("f/", "f/."), in a container as on the host, and overwrites nothing', () => {
    running('c7')
    sh('c7', 'echo keep > /tmp/keep')
    // DEST: Docker's daemon lstats "/tmp/keep/" as given (ENOTDIR), so the file is no directory to copy into
    const into = env.run(['cp', join(host, 'f'), 'c7:/tmp/keep/'])
    expect([into.status, into.stderr]).toEqual([1, 'mini-run: destination /tmp/keep in container c7 must be a directory\n'])
    expect(env.run(['cp', join(host, 'd'), 'c7:/tmp/keep/']).status).toBe(1)
    expect(env.run(['cp', '-', 'c7:/tmp/keep/'], Buffer.alloc(1024)).status).toBe(1)
    expect(sh('c7', 'cat /tmp/keep')).toBe('keep\n')
    // SRC: as the host's "f/" is refused by its kernel
    for (const [src, dst] of [['c7:/tmp/keep/', join(host, 'out')], ['c7:/tmp/keep/.', join(host, 'out')], [`${join(host, 'f')}/`, 'c7:/tmp/out']]) {
      const out = env.run(['cp', src!, dst!])
      expect(out.status, src).toBe(1)
      expect(out.stderr, src).toMatch(/^mini-run: Could not find the file /)
    }
    expect(existsSync(join(host, 'out'))).toBe(false)
    expect(sh('c7', 'ls /tmp')).toBe('keep\n')
    writeFileSync(join(host, 'hostkeep'), 'hostkeep\n')
    expect(env.run(['cp', 'c7:/tmp/keep', `${join(host, 'hostkeep')}/`]).status).toBe(1)
    expect(readFileSync(join(host, 'hostkeep'), 'utf8')).toBe('hostkeep\n')
  })

  it('copies to and from a stopped container and a created one, leaving no mount behind', () => {
    running('c5')
    sh('c5', 'echo before-stop > /root-file; true')
    ok(['stop', '-t', '0', 'c5'])
    ok(['cp', 'c5:/root-file', join(host, 'from-stopped')])
    expect(readFileSync(join(host, 'from-stopped'), 'utf8')).toBe('before-stop\n')
    ok(['cp', join(host, 'f'), 'c5:/tmp/while-stopped'])
    ok(['create', '--name', 'c6', BUSYBOX, 'cat', '/tmp/in'])
    ok(['cp', join(host, 'f'), 'c6:/tmp/in'])
    expect(ok(['start', '-a', 'c6'])).toBe('hostdata\n')
    ok(['start', 'c5'])
    expect(sh('c5', 'cat /tmp/while-stopped')).toBe('hostdata\n')
    // the running c5's network namespace is pinned (nsfs) in its state directory; nothing else of ours is mounted
    const ours = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(env.dir) && !l.includes(' - nsfs '))
    expect(ours).toEqual([])
  })
})
