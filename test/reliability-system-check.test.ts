// Issue 13: `mini-run system check [--repair]` verifies the store (every
// blob's digest, every layer's record and kept blob, every ref's chain down
// to its layers), collects what killed processes left, and finds what is
// left of containers whose state was lost (their writable layer, cgroup
// leaf and mounts); --repair removes what is broken so a pull or load can
// store it again.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadArchive } from '../src/image/load-archive.js'
import { ImageStore } from '../src/image/store.js'
import { BUSYBOX, BUSYBOX_OCI, cgroup2, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('system check (needs root)', () => {
  let env: TestEnv
  beforeEach(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
    env.cleanup()
  })

  const check = (...flags: string[]) => env.run(['system', 'check', '--cgroup-parent', env.cgroupParent, ...flags])
  const blobs = () => readdirSync(join(env.storeRoot, 'blobs', 'sha256'))
  const layers = () => readdirSync(join(env.storeRoot, 'layers'))

  it('a healthy store is clean', () => {
    const r = check()
    expect(r.stdout).toBe('system check: no problems (2 blobs, 1 layers, 1 refs, 0 containers checked)\n')
    expect(r.status).toBe(0)
  })

  it('finds a corrupt blob and the name that needs it; --repair removes both, and a load stores them again', async () => {
    const manifest = blobs().find((hex) => readFileSync(join(env.storeRoot, 'blobs', 'sha256', hex), 'utf8').includes('"layers"'))!
    const path = join(env.storeRoot, 'blobs', 'sha256', manifest)
    // still JSON, another digest: a flipped bit on disk
    writeFileSync(path, readFileSync(path, 'utf8') + ' ')
    const r = check()
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`blob sha256:${manifest}: corrupt: its content hashes to sha256:`)
    expect(r.stdout).toMatch(/digest mismatch/)
    expect(r.stdout).toMatch(/^system check: 1 problem \(run system check --repair to fix them\)/m)
    const repaired = check('--repair')
    expect(repaired.stdout).toContain('(repaired: removed; pull or load its image again)')
    expect(repaired.status).toBe(0)
    // the name went with it: it could not run any more
    expect(check().stdout).toMatch(/^system check: no problems/m)
    expect(env.run(['images', '-q']).stdout).toBe('')
    await loadArchive(new ImageStore({ root: env.storeRoot }), BUSYBOX_OCI, { name: BUSYBOX })
    expect(env.run(env.runArgs([BUSYBOX, 'true'])).status).toBe(0)
    expect(check().status).toBe(0)
  })

  it('finds a layer whose record lies, a layer whose kept blob is corrupt, and a name whose layer is gone', async () => {
    const [layer] = layers()
    const record = join(env.storeRoot, 'layers', layer!, 'layer.json')
    const original = readFileSync(record, 'utf8')
    const parsed = JSON.parse(original) as { digest: string; compressedSize: number }
    // a blob kept with the layer (push and save send it), then corrupted
    writeFileSync(join(env.storeRoot, 'layers', layer!, 'blob'), Buffer.alloc(parsed.compressedSize, 1))
    let r = check()
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`layer sha256:${layer}: corrupt blob: it hashes to sha256:`)
    rmSync(join(env.storeRoot, 'layers', layer!, 'blob'))
    writeFileSync(record, original.replace(`sha256:${layer}`, `sha256:${'0'.repeat(64)}`))
    r = check()
    expect(r.stdout).toContain(`layer sha256:${layer}: its record names chain id sha256:${'0'.repeat(64)}`)
    rmSync(join(env.storeRoot, 'layers', layer!), { recursive: true })
    r = check()
    expect(r.stdout).toMatch(new RegExp(`^ref localhost/test/busybox:latest: .*layer sha256:${layer} missing`, 'm'))
    expect(check('--repair').status).toBe(0)
    expect(check().status).toBe(0)
  })

  it('collects what killed processes left without calling it a problem', () => {
    // named like a tmp/ entry of pid 1 with another start time: its owner is gone
    mkdirSync(join(env.storeRoot, 'tmp', 'layer-1.1-abcdef'))
    writeFileSync(join(env.storeRoot, 'leases', 'lease-1.1-abcdef.json'), '["sha256:' + '1'.repeat(64) + '"]')
    const r = check()
    expect(r.stdout).toContain('collected: tmp/layer-1.1-abcdef (left by a process that was killed)\n')
    expect(r.stdout).toContain('collected: leases/lease-1.1-abcdef.json')
    expect(r.status).toBe(0)
    expect(existsSync(join(env.storeRoot, 'tmp', 'layer-1.1-abcdef'))).toBe(false)
  })

  it('finds the writable layer and cgroup leaf of a container whose state was lost; --repair stops and removes them', () => {
    // --network none: a reboot takes the pinned network namespace with the state; rmSync cannot
    const id = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
    // /run emptied under it (a reboot keeps the store but not the state)
    rmSync(join(env.stateRoot, id), { recursive: true })
    rmSync(join(env.stateRoot, 'names'), { recursive: true })
    const r = check()
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`container dir ${id.slice(0, 12)}: ${join(env.storeRoot, 'containers', id)}: no such container in ${env.stateRoot} (its state is lost)`)
    if (cgroup2) expect(r.stdout).toContain(`with its cgroup leaf ${join(cgroup2, env.cgroupParent, id)}`)
    const repaired = check('--repair')
    expect(repaired.stdout).toContain('(repaired: removed)')
    expect(repaired.status).toBe(0)
    expect(existsSync(join(env.storeRoot, 'containers', id))).toBe(false)
    if (cgroup2) expect(existsSync(join(cgroup2, env.cgroupParent, id))).toBe(false)
    // its processes went with its leaf, its monitor with them
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`${id}/container.log`)
  })
})
