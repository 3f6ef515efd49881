/**
 * system df and system prune against a store and state the test measures
 * itself: df's numbers are what the store holds, and a prune frees exactly
 * the bytes it reports, removing stopped containers and unused images but
 * never a running container or what it uses.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { humanSize, humanSize4 } from '../src/cli/format/units.js'
import { systemDiskUsage } from '../src/system/disk-usage.js'
import { systemPrune } from '../src/system/prune.js'
import { treeSize } from '../src/system/tree-size.js'
import { miniRunAsync } from './helpers/cli.js'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { loadArchive } from '../src/image/load-archive.js'

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
const fileSize = (path: string): number => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/** What the store holds that df and prune count, measured from the files: layer trees, kept blobs, documents, writable layers. */
async function measure(storeRoot: string): Promise<{ images: number; containers: number }> {
  let images = 0
  for (const hex of list(join(storeRoot, 'layers'))) {
    images += (await treeSize(join(storeRoot, 'layers', hex, 'fs'))) + fileSize(join(storeRoot, 'layers', hex, 'blob'))
  }
  for (const hex of list(join(storeRoot, 'blobs', 'sha256'))) images += fileSize(join(storeRoot, 'blobs', 'sha256', hex))
  let containers = 0
  for (const id of list(join(storeRoot, 'containers'))) containers += await treeSize(join(storeRoot, 'containers', id, 'upper'))
  return { images, containers }
}

describe.skipIf(!isRoot)('system df and system prune (needs root: real containers)', () => {
  let env: TestEnv
  let store: ImageStore
  const ctx = () => ({ store: new ImageStore({ root: env.storeRoot }), stateRoot: env.stateRoot })

  beforeAll(async () => {
    env = await makeTestEnv()
    store = new ImageStore({ root: env.storeRoot })
    const layout = join(env.dir, 'layouts')
    await writeOciLayout(join(layout, 'named'), {
      name: 'localhost/test/unused:1',
      layers: [[{ path: 'unused.bin', type: 'file', content: Buffer.alloc(30_000, 1) }]],
    })
    // no name: loaded untagged, a dangling image
    await writeOciLayout(join(layout, 'dangling'), { layers: [[{ path: 'dangling.bin', type: 'file', content: Buffer.alloc(20_000, 2) }]] })
    await loadArchive(store, join(layout, 'named'))
    await loadArchive(store, join(layout, 'dangling'))
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
  })
  afterAll(() => env?.cleanup())

  it('df counts what the store holds; prune frees what it reports, and keeps what a running container uses', async () => {
    const stopped = env.run(['run', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'head -c 5000 /dev/zero > /written'])
    expect(stopped.stderr).toBe('')
    expect(stopped.status).toBe(0)
    const running = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'])
    expect(running.status).toBe(0)
    const runningId = running.stdout.trim()

    const before = await measure(env.storeRoot)
    expect(before.containers).toBe(5000)
    const df = await systemDiskUsage(ctx())
    expect(df.map((r) => r.type)).toEqual(['Images', 'Containers', 'Local Volumes', 'Build Cache'])
    // Images count the images' content, as `images` shows it (Docker's df SIZE is the
    // images' sizes, a shared layer once), not the compressed blobs kept for push and save
    const listed = await store.list()
    const imagesBytes = [...new Map(listed.map((i) => [i.configDigest, i.size])).values()].reduce((a, b) => a + b, 0)
    expect(imagesBytes).toBeLessThan(before.images)
    const busyboxBytes = listed.find((i) => i.name === BUSYBOX)?.size ?? 0
    expect(busyboxBytes).toBeGreaterThan(0)
    expect(df[0]).toEqual({ type: 'Images', total: 3, active: 1, size: imagesBytes, reclaimable: imagesBytes - busyboxBytes })
    expect(df[1]).toEqual({ type: 'Containers', total: 2, active: 1, size: 5000, reclaimable: 5000 })
    expect(df[2]).toEqual({ type: 'Local Volumes', total: 0, active: 0, size: 0, reclaimable: 0 })

    const table = env.run(['system', 'df']).stdout.split('\n')
    expect(table[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/)
    const pct = Math.floor(((imagesBytes - busyboxBytes) * 100) / imagesBytes)
    expect(table[1]).toMatch(new RegExp(`^Images\\s+3\\s+1\\s+${humanSize4(imagesBytes).replace('.', '\\.')}\\s+${humanSize4(imagesBytes - busyboxBytes).replace('.', '\\.')} \\(${pct}%\\)$`))
    expect(table[2]).toMatch(/^Containers\s+2\s+1\s+5kB\s+5kB \(100%\)$/)
    expect(table[4]).toMatch(/^Build Cache\s+0\s+0\s+0B\s+0B$/)
    // --format as Docker's: json (keys sorted), a template, a table of chosen columns
    const json = env.run(['system', 'df', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>)
    expect(json[1]).toEqual({ Active: '1', Reclaimable: '5kB (100%)', Size: '5kB', TotalCount: '2', Type: 'Containers' })
    expect(json.map((r) => r.Type)).toEqual(['Images', 'Containers', 'Local Volumes', 'Build Cache'])
    expect(env.run(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}']).stdout).toBe('Images=3\nContainers=2\nLocal Volumes=0\nBuild Cache=0\n')
    expect(env.run(['system', 'df', '--format', 'table {{.Type}}\t{{.Active}}']).stdout.split('\n')[0]).toMatch(/^TYPE\s+ACTIVE$/)

    // -v: Docker's four tables, its headers; images by their first tag, their shared and unique sizes, the containers on them
    const verbose = env.run(['system', 'df', '-v'])
    expect(verbose.stderr).toBe('')
    const sections = verbose.stdout.split(/\n(?=Containers space usage:|Local Volumes space usage:|Build cache usage:)/)
    expect(sections.map((t) => t.split('\n')[0])).toEqual(['Images space usage:', 'Containers space usage:', 'Local Volumes space usage:', 'Build cache usage: 0B'])
    const imageLines = sections[0]!.split('\n').slice(2).filter(Boolean)
    expect(imageLines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS$/)
    const busyboxId = (await store.resolve(BUSYBOX)).configDigest.slice(7, 19)
    const size3 = humanSize(busyboxBytes).replace('.', '\\.')
    expect(imageLines).toContainEqual(expect.stringMatching(new RegExp(`^localhost/test/busybox\\s+latest\\s+${busyboxId}\\s+.+ ago\\s+${size3}\\s+0B\\s+${size3}\\s+2$`)))
    expect(imageLines).toContainEqual(expect.stringMatching(/^localhost\/test\/unused\s+1\s+\w{12}\s+.+\s+0$/))
    expect(imageLines).toContainEqual(expect.stringMatching(/^<none>\s+<none>\s+\w{12}\s+.+\s+0$/))
    const containerLines = sections[1]!.split('\n').slice(2).filter(Boolean)
    expect(containerLines[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES$/)
    expect(containerLines).toContainEqual(expect.stringMatching(new RegExp(`^${runningId.slice(0, 12)}\\s+${BUSYBOX}\\s+"sleep 60"\\s+0\\s+0B\\s+.+ ago\\s+Up .+\\s+\\S+$`)))
    expect(containerLines).toContainEqual(expect.stringMatching(/^\w{12}\s+\S+\s+"sh -c head -c 5000 …"\s+0\s+5kB\s+.+ ago\s+Exited \(0\) .+$/))
    expect(sections[2]!.split('\n')[2]).toMatch(/^VOLUME NAME\s+LINKS\s+SIZE$/)
    expect(sections[3]!.split('\n')[2]).toMatch(/^CACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED$/)
    // -v with another format runs over one object of the four lists, as Docker's
    const verboseJson = env.run(['system', 'df', '-v', '--format', 'json']).stdout.trim().split('\n')
    expect(verboseJson).toHaveLength(1)
    const lists = JSON.parse(verboseJson[0]!) as Record<string, Array<Record<string, string>>>
    expect(Object.keys(lists).sort()).toEqual(['BuildCache', 'Containers', 'Images', 'Volumes'])
    expect(lists['Images']!.find((i) => i['Repository'] === 'localhost/test/busybox')).toMatchObject({ Tag: 'latest', Containers: '2', SharedSize: '0B' })
    expect(lists['Containers']!.find((c) => c['ID'] === runningId)).toMatchObject({ Size: '0B', LocalVolumes: '0' })

    // without -f it asks, and a "no" removes nothing
    const asked = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'system', 'prune'], { stdio: ['pipe', 'pipe', 'pipe'] })
    asked.child.stdin?.end('n\n')
    const declined = await asked.done
    expect(declined.stdout).toContain('WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n')
    expect(declined.stdout).toContain('Are you sure you want to continue? [y/N] ')
    expect(declined.stdout).not.toContain('Total reclaimed space')
    expect((await measure(env.storeRoot))).toEqual(before)

    // stopped containers and the dangling image go; the running container, its image and the named one stay
    const pruned = await systemPrune(ctx(), { all: false, volumes: false })
    const after = await measure(env.storeRoot)
    expect(pruned.reclaimedBytes).toBe(before.images + before.containers - after.images - after.containers)
    expect(after.containers).toBe(0)
    expect(pruned.results[0]).toMatchObject({ heading: 'Deleted Containers', reclaimedBytes: 5000 })
    expect(pruned.results[0]!.removed).toHaveLength(1)
    // networks come second, as in Docker's: the running container's default bridge stays
    expect(pruned.results[1]).toEqual({ heading: 'Deleted Networks', removed: [], reclaimedBytes: 0 })
    // the dangling image has no name to untag: Docker lists only what is deleted
    expect(pruned.results[2]!.removed.filter((l) => l.startsWith('untagged: '))).toEqual([])
    expect(pruned.results[2]!.removed.filter((l) => l.startsWith('deleted: sha256:')).length).toBeGreaterThan(0)
    expect((await store.list()).map((i) => i.name).sort()).toEqual([BUSYBOX, 'localhost/test/unused:1'])

    // -a: every image no container uses; the running container's stays
    const cli = env.run(['system', 'prune', '-a', '-f'])
    expect(cli.status).toBe(0)
    expect(cli.stdout).toContain('Deleted Images:\nuntagged: localhost/test/unused:1\n')
    const final = await measure(env.storeRoot)
    expect(cli.stdout).toContain(`Total reclaimed space: ${humanSize4(after.images - final.images)}\n`)
    expect((await store.list()).map((i) => i.name)).toEqual([BUSYBOX])
    // what stays on disk is the busybox image's: its layers, their kept blobs, its documents
    const busyboxImage = await store.resolve(BUSYBOX)
    let busyboxOnDisk = (await store.getBlob(busyboxImage.manifestDigest)).length + (await store.getBlob(busyboxImage.configDigest)).length
    for (const c of busyboxImage.chainIds) busyboxOnDisk += (await store.getLayer(c)).size + fileSize(store.layerBlobPath(c))
    expect(final.images).toBe(busyboxOnDisk)
    // and df counts its content, as `images` does
    expect((await systemDiskUsage(ctx()))[0]).toMatchObject({ size: busyboxBytes, reclaimable: 0 })
    expect(env.run(['ps', '-q']).stdout).toBe(`${runningId.slice(0, 12)}\n`)

    // once nothing runs, -a leaves an empty store
    env.run(['rm', '-f', runningId])
    const last = await systemPrune(ctx(), { all: true, volumes: false })
    expect(last.reclaimedBytes).toBe(busyboxOnDisk)
    expect(await measure(env.storeRoot)).toEqual({ images: 0, containers: 0 })
    const empty = await systemDiskUsage(ctx())
    expect(empty[0]).toEqual({ type: 'Images', total: 0, active: 0, size: 0, reclaimable: 0 })
    expect(env.leftovers()).toEqual([])
  })

  it('prune removes the user networks no container uses, and keeps one a stopped container would start on', () => {
    for (const n of ['unused-net', 'kept-net']) expect(env.run(['network', 'create', n]).status).toBe(0)
    // the test before pruned every image: a rootfs of its own
    const stopped = env.run(['create', '--network', 'kept-net', '--rootfs', BUSYBOX_ROOTFS, 'true'])
    expect(stopped.status).toBe(0)
    const pruned = env.run(['system', 'prune', '-f'])
    expect(pruned.status).toBe(0)
    // the stopped container goes first (containers come first), then its network is unused too
    expect(pruned.stdout).toContain(`Deleted Containers:\n${stopped.stdout.trim()}\n\nDeleted Networks:\n`)
    expect(pruned.stdout).toMatch(/Deleted Networks:\n(kept-net\nunused-net|unused-net\nkept-net)\n/)
    expect(env.run(['network', 'ls']).stdout.split('\n').slice(1).filter(Boolean).map((l) => l.split(/\s+/)[1]).sort()).toEqual(['bridge', 'host', 'none'])
    // df has Docker's rows only
    expect(env.run(['system', 'df']).stdout).not.toContain('Networks')
  })

  it('prune --volumes removes the anonymous volumes no container uses, as Docker 23+: not named ones, not a running container\'s', async () => {
    // a copy: a --rootfs run makes its volumes' mount points in the directory, which other tests share
    const rootfs = join(env.dir, 'volumes-rootfs')
    execFileSync('cp', ['-a', BUSYBOX_ROOTFS, rootfs])
    const run = (args: string[]) => env.run(['run', '--cgroup-parent', env.cgroupParent, '--rootfs', rootfs, ...args])
    const volumes = () => env.run(['volume', 'ls', '-q']).stdout.split('\n').filter(Boolean).sort()
    // an anonymous volume holding 3000 bytes, its container removed: unused
    expect(run(['--name', 'anon-user', '-v', '/anon', 'sh', '-c', 'head -c 3000 /dev/zero > /anon/f']).status).toBe(0)
    const [unused] = volumes()
    expect(env.run(['rm', 'anon-user']).status).toBe(0)
    expect(env.run(['volume', 'create', 'named-vol']).status).toBe(0)
    const running = run(['-d', '-v', '/busy', 'sleep', '60'])
    expect(running.status).toBe(0)
    const all = volumes()
    expect(all).toHaveLength(3)
    // df: the running container's volume is active; the other two's bytes are reclaimable
    expect(env.run(['system', 'df']).stdout).toMatch(/^Local Volumes\s+3\s+1\s+3kB\s+3kB \(100%\)$/m)
    // -v: each volume, its links (the containers that have it) and its bytes
    const volumeLines = env.run(['system', 'df', '-v']).stdout.split('Local Volumes space usage:\n\n')[1]!.split('\n\n')[0]!.split('\n')
    expect(volumeLines[0]).toMatch(/^VOLUME NAME\s+LINKS\s+SIZE$/)
    expect(volumeLines).toHaveLength(4)
    expect(volumeLines).toContainEqual(expect.stringMatching(new RegExp(`^${unused}\\s+0\\s+3kB$`)))
    expect(volumeLines).toContainEqual(expect.stringMatching(/^named-vol\s+0\s+0B$/))
    expect(volumeLines).toContainEqual(expect.stringMatching(/^\w{64}\s+1\s+0B$/))

    // without --volumes they stay
    expect(env.run(['system', 'prune', '-f']).stdout).not.toContain('Deleted Volumes')
    expect(volumes()).toEqual(all)

    const asked = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'system', 'prune', '--volumes'], { stdio: ['pipe', 'pipe', 'pipe'] })
    asked.child.stdin?.end('n\n')
    expect((await asked.done).stdout).toContain(
      '  - all networks not used by at least one container\n  - all anonymous volumes not used by at least one container\n  - all dangling images\n',
    )
    expect(volumes()).toEqual(all)

    const pruned = env.run(['system', 'prune', '--volumes', '-f'])
    expect(pruned.status).toBe(0)
    expect(pruned.stdout).toContain(`Deleted Volumes:\n${unused}\n\n`)
    expect(pruned.stdout).toContain('Total reclaimed space: 3kB\n')
    expect(volumes()).toEqual(all.filter((v) => v !== unused))
    expect(env.run(['system', 'df']).stdout).toMatch(/^Local Volumes\s+2\s+1\s+0B\s+0B$/m)

    expect(env.run(['rm', '-f', '-v', running.stdout.trim()]).status).toBe(0)
    expect(env.run(['volume', 'rm', 'named-vol']).status).toBe(0)
    expect(volumes()).toEqual([])
  })
})
