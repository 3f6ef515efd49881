// Issue 13, a full disk: ENOSPC during a pull, a load, a build or a
// container's own writes gives one clear line, removes the partial result
// and leaves the rest of the store intact. On a small tmpfs store the test
// mounts (and unmounts).
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadArchive } from '../src/image/load-archive.js'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { miniRunAsync } from './helpers/cli.js'
import { pushRunnable, randomLayer } from './helpers/reliability.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX, BUSYBOX_OCI, isRoot, makeTestEnv, settledStoreTmp, type TestEnv } from './helpers/test-env.js'

const unavailable = registryUnavailable()

describe.skipIf(!isRoot || unavailable !== undefined)(`a full disk (needs root to mount a tmpfs, and docker-registry${unavailable ? `: ${unavailable}` : ''})`, () => {
  let env: TestEnv
  let registry: RegistryServer
  let store: string
  let mounted = false
  const globals = () => ['--root', store, '--state', env.stateRoot]
  const mr = (args: string[]) => env.run([...globals(), ...args])

  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    registry = await startRegistry()
    store = join(env.dir, 'small')
    mkdirSync(store)
    // room for busybox (about 2 MB unpacked) and little more
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0711', 'mini-run-enospc', store])
    mounted = true
    await loadArchive(new ImageStore({ root: store }), BUSYBOX_OCI, { name: BUSYBOX })
  }, 60_000)
  afterEach(() => {
    // the store is intact and nothing half-written stays
    expect(settledStoreTmp(store)).toEqual([])
    const check = mr(['system', 'check'])
    expect(check.stdout).toMatch(/^system check: no problems/m)
    expect(mr(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'echo', 'still-runs']).stdout).toBe('still-runs\n')
    // the small store's own mount is the test's
    expect(env.leftovers().filter((l) => !l.includes('mini-run-enospc'))).toEqual([])
  })
  afterAll(async () => {
    if (mounted) execFileSync('umount', [store])
    await registry?.stop()
    env?.cleanup()
  })

  /** One line, naming the full disk, no stack. */
  const oneLine = (stderr: string) => {
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/no space left on the device of /)
    expect(stderr).not.toMatch(/^\s+at /m)
  }

  it('a pull that fills the disk fails with one line and keeps nothing of the image', async () => {
    const image = await pushRunnable(registry.url, registry.host, 'enospc/big', '1', [randomLayer('big', 6_000_000)], env.dir)
    const r = await miniRunAsync([...globals(), 'pull', '-q', image.ref]).done
    expect(r.status).toBe(1)
    oneLine(r.stderr)
    expect(mr(['images', '-q']).stdout.trim().split('\n')).toHaveLength(1)
  }, 60_000)

  it('a load that fills the disk fails with one line', async () => {
    const layout = join(env.dir, 'big-oci')
    await writeOciLayout(layout, { name: 'localhost/enospc/load:1', layers: [randomLayer('big', 6_000_000)] })
    const r = mr(['load', '-i', layout])
    expect(r.status).toBe(1)
    oneLine(r.stderr)
  })

  it('a build whose layer does not fit fails with one line', () => {
    const context = join(env.dir, 'ctx')
    mkdirSync(context)
    writeFileSync(join(context, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN head -c 1500000 /dev/urandom > /big\n`)
    const r = mr(['build', '-q', '--cgroup-parent', env.cgroupParent, '-t', 'localhost/enospc/built:1', context])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/no space left on|No space left on device/)
    expect(r.stderr).not.toMatch(/^\s+at /m)
  })

  it('a container that fills the disk gets ENOSPC itself; its end and removal are as usual', () => {
    const r = mr(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=20 2>&1; exit 7'])
    expect(r.stdout).toMatch(/No space left on device/)
    expect(r.status).toBe(7)
  })
})
