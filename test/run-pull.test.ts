// Pull then run: an image pushed to a real registry on 127.0.0.1 is pulled
// by `run` (--pull=missing) and its layers' whiteouts hold inside the
// container, with and without a user namespace.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout, type LayerSpec } from '../src/image/oci-layout.js'
// @ts-expect-error plain JS shared with rootfs-fixtures/build.js
import { multiLayerImage } from '../rootfs-fixtures/layers.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const unavailable = registryUnavailable()

describe.skipIf(!isRoot || unavailable !== undefined)(`run with pull (needs root and docker-registry${unavailable ? `: ${unavailable}` : ''})`, () => {
  let env: TestEnv
  let registry: RegistryServer
  let image: string
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    registry = await startRegistry()
    const layout = join(env.dir, 'multi-oci')
    await writeOciLayout(layout, {
      name: 'localhost/test/multi:1',
      config: { config: { Cmd: ['sh'] } },
      layers: [{ dir: BUSYBOX_ROOTFS }, ...(multiLayerImage as LayerSpec[])],
    })
    image = `${registry.host}/test/multi:1`
    execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}`, `docker://${image}`])
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(async () => {
    await registry?.stop()
    env?.cleanup()
  })

  const script = 'ls /data; echo --; ls -A /opaque; echo --; stat -c "%a %u:%g" /opaque /usr/bin/suid-tool; cat /data/hardlink'

  it('pulls a missing image and shows its deletions and opaque directories', () => {
    const r = env.run(env.runArgs([image, 'sh', '-c', script]))
    expect(r.stderr).toMatch(new RegExp(`^Unable to find image '${image.replace(/[.]/g, '\\.')}' locally\\n`))
    expect(r.stdout).toBe('hardlink\nkept.txt\noriginal\n--\nnew.txt\n--\n750 1000:2000\n4755 0:0\none inode, two names\n')
    expect(r.status).toBe(0)
  })

  it('run -q pulls without a word on stderr (docker/cli sends the pull\'s output to io.Discard)', () => {
    const r = env.run(env.runArgs(['-q', '--pull', 'always', image, 'cat', '/data/hardlink']))
    expect([r.stderr, r.stdout, r.status]).toEqual(['', 'one inode, two names\n', 0])
  })

  it('keeps the same view in a user namespace (--userns=auto), from the store without pulling again', () => {
    const r = env.run(env.runArgs(['--pull', 'never', '--userns=auto', image, 'sh', '-c', script]))
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('hardlink\nkept.txt\noriginal\n--\nnew.txt\n--\n750 1000:2000\n4755 0:0\none inode, two names\n')
  })
})
