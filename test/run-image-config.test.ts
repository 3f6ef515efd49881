// The image's config decides the process (Entrypoint, Cmd, Env, WorkingDir,
// User from the image's own /etc/passwd), and run's flags override it as in
// Docker.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'
import { until } from './helpers/until.js'

const APP = 'localhost/test/app:1'
const DEVICE = 'localhost/test/device:1'

describe.skipIf(!isRoot)('run: image config and overrides (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    const store = new ImageStore({ root: env.storeRoot })
    const app = join(env.dir, 'app-oci')
    await writeOciLayout(app, {
      name: APP,
      config: {
        config: {
          User: 'app',
          Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hello'],
          WorkingDir: '/work/dir',
          Entrypoint: ['/bin/sh', '-c'],
          Cmd: ['echo "$(id -u) $(id -g) $(id -G)"; pwd; echo "$GREETING $HOME"'],
        },
      },
      layers: [{ dir: BUSYBOX_ROOTFS }, [{ path: 'work/', type: 'dir', mode: 0o777 }]],
    })
    await loadArchive(store, app, { name: APP })
    const device = join(env.dir, 'device-oci')
    await writeOciLayout(device, {
      name: DEVICE,
      config: { config: { Cmd: ['sh'] } },
      layers: [{ dir: BUSYBOX_ROOTFS }, [{ path: 'mem', type: 'char', major: 1, minor: 1, mode: 0o666 }]],
    })
    await loadArchive(store, device, { name: DEVICE })
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('runs Entrypoint + Cmd as the image\'s User, with its Env and WorkingDir (created if missing)', () => {
    const r = env.run(env.runArgs([APP]))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('1000 1000 1000 2000\n/work/dir\nhello /home/app\n')
  })

  it('lets -u, -w, -e and a command override the image', () => {
    const r = env.run(env.runArgs(['-u', 'root', '-w', '/tmp', '-e', 'GREETING=bye', '-e', 'EXTRA=1', APP, 'echo "$(id -u) $(pwd) $GREETING $EXTRA $HOME"']))
    expect(r.stdout).toBe('0 /tmp bye 1 /root\n')
  })

  it('reads --env-file (with -e winning), and adds --group-add groups by name or number', () => {
    const file = join(env.dir, 'vars.env')
    writeFileSync(file, '# a comment\nGREETING=from-file\n  SPACED=a b\nEXTRA=file\n\nHOME\n')
    const r = env.run(env.runArgs(['--env-file', file, '-e', 'EXTRA=flag', APP, 'echo "$GREETING|$SPACED|$EXTRA|$HOME"']))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe(`from-file|a b|flag|${process.env.HOME}\n`) // HOME alone: the caller's
    expect(env.run(env.runArgs(['-u', 'root', '--group-add', 'extra', '--group-add', '4242', APP, 'id -G'])).stdout).toBe('0 2000 4242\n')
    // the primary group is a supplementary one too, as Docker's since CVE-2022-36109; a group given replaces the image's
    expect(env.run(env.runArgs(['-u', 'app', APP, 'grep Groups /proc/self/status'])).stdout).toBe('Groups:\t1000 2000 \n')
    expect(env.run(env.runArgs(['-u', '1000:2000', APP, 'grep Groups /proc/self/status'])).stdout).toBe('Groups:\t2000 \n')
    const missing = env.run(env.runArgs(['--group-add', 'wheel', APP, 'true']))
    expect(missing.stderr).toBe('mini-run: unable to find group wheel: no matching entries in group file\n')
  })

  it('reports a missing --env-file as its own one line and 125', () => {
    // Node 20 itself exits 9 for a missing --env-file anywhere in argv unless
    // it comes after "--", which the executable's #! line passes
    const r = env.run(env.runArgs(['--env-file', '/no/such.env', APP, 'true']))
    expect(r.stderr).toBe('mini-run: --env-file /no/such.env: no such file\n')
    expect(r.status).toBe(125)
  })

  it('resolves uid:gid and name:group in the image\'s files, never the host\'s', () => {
    expect(env.run(env.runArgs(['-u', '4242:2000', APP, 'echo "$(id -u) $(id -g)"'])).stdout).toBe('4242 2000\n')
    expect(env.run(env.runArgs(['-u', 'app:extra', APP, 'echo "$(id -u) $(id -g)"'])).stdout).toBe('1000 2000\n')
    // "daemon" exists on the host but not in this image
    const r = env.run(env.runArgs(['-u', 'nosuchuser', APP, 'true']))
    expect(r.status).toBe(125)
    expect(r.stderr).toBe('mini-run: unable to find user nosuchuser: no matching entries in passwd file\n')
  })

  it('replaces the entrypoint with --entrypoint, which also drops the image\'s Cmd', () => {
    expect(env.run(env.runArgs(['--entrypoint', '/bin/echo', APP])).stdout).toBe('\n')
    expect(env.run(env.runArgs(['--entrypoint', '/bin/echo', APP, 'a', 'b'])).stdout).toBe('a b\n')
    expect(env.run(env.runArgs(['--entrypoint', '', APP, 'echo', 'plain'])).stdout).toBe('plain\n')
  })

  it('cannot open a device node shipped in an image layer', () => {
    const r = env.run(env.runArgs([DEVICE, 'sh', '-c', 'ls -l /mem | cut -c1; head -c1 /mem; echo "status=$?"']))
    expect(r.stdout).toBe('c\nstatus=1\n')
    expect(r.stderr).toMatch(/Permission denied/)
  })

  it('refuses a second container with a name in use, and frees the name after --rm', async () => {
    const { miniRunAsync } = await import('./helpers/cli.js')
    // the first runs until the test, done with the second, ends it (run passes its SIGTERM on)
    const first = miniRunAsync(env.runArgs(['--name', 'web', APP, 'trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done']))
    try {
      await until('the first container to run', () => /^ready$/m.test(first.output()))
      const second = env.run(env.runArgs(['--name', 'web', APP, 'true']))
      expect(second.status).toBe(125)
      expect(second.stderr).toMatch(/^mini-run: Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"/)
    } finally {
      first.child.kill('SIGTERM')
    }
    expect((await first.done).status).toBe(0)
    expect(env.run(env.runArgs(['--name', 'web', APP, 'true'])).status).toBe(0)
  })
})
