// --mount type=volume,volume-subpath=SUB (Docker 26+): only SUB of the
// volume is mounted, resolved beneath the volume's data at each start
// (native op_bind_beneath), so a symlink a container left in the volume
// cannot lead the mount out of it; and volume-label, the labels of a
// volume the mount makes.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseMount } from '../src/runtime/spec/volumes.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('--mount volume-subpath and volume-label, as parsed (no root)', () => {
  it('takes a relative path that stays in the volume, normalized', () => {
    expect(parseMount('type=volume,src=data,dst=/m,volume-subpath=a/./b/', '/').volume?.subpath).toBe('a/b')
    expect(parseMount('type=volume,src=data,dst=/m,volume-subpath=a/../b', '/').volume?.subpath).toBe('b')
    // the volume's root: no subpath at all
    expect(parseMount('type=volume,src=data,dst=/m,volume-subpath=.', '/').volume?.subpath).toBeUndefined()
  })

  it('refuses, with moby\'s words, a path that leaves the volume, and a subpath of an anonymous volume', () => {
    for (const sub of ['..', '../x', 'a/../../x', '/etc/passwd']) {
      expect(() => parseMount(`type=volume,src=data,dst=/m,volume-subpath=${sub}`, '/')).toThrow(
        `invalid --mount type=volume,src=data,dst=/m,volume-subpath=${sub}: subpath must be a relative path within the volume`,
      )
    }
    expect(() => parseMount('type=volume,dst=/m,volume-subpath=sub', '/')).toThrow('must not set Subpath when using anonymous volumes')
    expect(() => parseMount('type=bind,src=/tmp,dst=/m,volume-subpath=sub', '/')).toThrow("cannot mix 'volume-*' options with mount type 'bind'")
  })

  it('reads volume-label as docker/cli does: repeatable, KEY=VALUE or KEY', () => {
    const m = parseMount('type=volume,src=data,dst=/m,volume-label=tier=web,volume-label=empty,"volume-label=note=a,b"', '/')
    expect(m.volume?.labels).toEqual({ tier: 'web', empty: '', note: 'a,b' })
    expect(() => parseMount('type=volume,src=data,dst=/m,volume-label', '/')).toThrow('volume-label needs KEY=VALUE')
    expect(() => parseMount('type=tmpfs,dst=/m,volume-label=a=b', '/')).toThrow("cannot mix 'volume-*' options with mount type 'tmpfs'")
  })
})

describe.skipIf(!isRoot)('--mount volume-subpath in a container (needs root: containers)', () => {
  let env: TestEnv
  const run = (mount: string, ...cmd: string[]) => env.run(env.runArgs(['--mount', mount, BUSYBOX, ...cmd]))
  const ok = (args: string[]) => {
    const r = env.run(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    // moby's test volume (integration/volume/mount_test.go): a directory, a
    // file, and symlinks, one staying inside, two leading out
    ok(env.runArgs(['-v', 'data:/v', BUSYBOX, 'sh', '-c',
      'mkdir /v/sub /v/empty /v/hack && echo world > /v/sub/hello && echo foo > /v/bar.txt && ln -s / /v/hack/root && ln -s ../sub /v/hack/good && ln -s root /v/hack/bad']))
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('mounts only a directory or a file of the volume, and writes land there', () => {
    expect(run('type=volume,src=data,dst=/m,volume-subpath=sub', 'ls', '/m')).toMatchObject({ status: 0, stdout: 'hello\n' })
    expect(run('type=volume,src=data,dst=/m,volume-subpath=bar.txt', 'cat', '/m')).toMatchObject({ status: 0, stdout: 'foo\n' })
    // a symlink that stays inside the volume is followed
    expect(run('type=volume,src=data,dst=/m,volume-subpath=hack/good', 'ls', '/m')).toMatchObject({ status: 0, stdout: 'hello\n' })
    expect(run('type=volume,src=data,dst=/m,volume-subpath=sub,readonly', 'sh', '-c', 'echo x > /m/new 2>/dev/null || echo refused')).toMatchObject({ stdout: 'refused\n' })
    expect(run('type=volume,src=data,dst=/m,volume-subpath=sub', 'sh', '-c', 'echo written > /m/new').status).toBe(0)
    expect(ok(env.runArgs(['-v', 'data:/v', BUSYBOX, 'cat', '/v/sub/new']))).toBe('written\n')
  })

  it('refuses a symlink that leads out of the volume, with moby\'s words, and shows nothing of the host', () => {
    // the test's own directory on the host: bound into the container, / would show it at /m<dir>
    expect(existsSync(env.dir)).toBe(true)
    for (const sub of ['hack/root', 'hack/bad']) {
      const r = run(`type=volume,src=data,dst=/m,volume-subpath=${sub}`, 'ls', '-d', `/m${env.dir}`)
      expect(r.status).toBe(125)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe(`mini-run: path concatenation escapes the base directory, base: ${join(env.storeRoot, 'volumes', 'data', '_data')}, subpath: ${sub}\n`)
    }
  })

  it('fails to start when the subpath does not exist, as Docker, and refuses ".." before anything', () => {
    const r = run('type=volume,src=data,dst=/m,volume-subpath=nope', 'true')
    expect(r.status).toBe(125)
    expect(r.stderr).toBe(`mini-run: cannot access path ${join(env.storeRoot, 'volumes', 'data', '_data')}/nope: No such file or directory\n`)
    const up = run('type=volume,src=data,dst=/m,volume-subpath=../../..', 'true')
    expect(up.status).toBe(125)
    expect(up.stderr).toMatch(/subpath must be a relative path within the volume\n$/)
  })

  it('fills an empty subpath directory from the image, as moby does', () => {
    // /bin of the image into the volume's empty/ directory: ls there is busybox's own
    expect(run('type=volume,src=data,dst=/bin,volume-subpath=empty', '/bin/ls', '/bin/busybox')).toMatchObject({ status: 0, stdout: '/bin/busybox\n' })
    expect(ok(env.runArgs(['-v', 'data:/v', BUSYBOX, 'ls', '/v/empty/busybox']))).toBe('/v/empty/busybox\n')
  })

  it('keeps the subpath for a start after create, and for --volumes-from', () => {
    const id = ok(['create', '--cgroup-parent', env.cgroupParent, '--mount', 'type=volume,src=data,dst=/m,volume-subpath=sub', BUSYBOX, 'ls', '/m']).trim()
    try {
      expect(ok(['start', '-a', id])).toBe('hello\nnew\n')
      expect(ok(['start', '-a', id])).toBe('hello\nnew\n')
      expect(ok(env.runArgs(['--volumes-from', id, BUSYBOX, 'ls', '/m']))).toBe('hello\nnew\n')
    } finally {
      ok(['rm', id])
    }
  })

  it('labels the volume it makes with volume-label; a volume that exists keeps its own', () => {
    expect(run('type=volume,src=labelled,dst=/m,volume-label=tier=web,volume-label=empty', 'true').status).toBe(0)
    expect(JSON.parse(ok(['volume', 'inspect', '-f', '{{json .Labels}}', 'labelled']))).toEqual({ tier: 'web', empty: '' })
    expect(run('type=volume,src=labelled,dst=/m,volume-label=tier=db', 'true').status).toBe(0)
    expect(JSON.parse(ok(['volume', 'inspect', '-f', '{{json .Labels}}', 'labelled']))).toEqual({ tier: 'web', empty: '' })
    ok(['volume', 'rm', 'labelled'])
  })
})
