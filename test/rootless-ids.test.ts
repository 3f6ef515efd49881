// Issue 12, the pure parts and the parent's side without root: which ids a
// rootless container gets (as podman: 0 -> the user, 1..65536 -> the first
// /etc/subuid range), the newuidmap/newgidmap steps of its plan, the argv
// that runs a helper as root of the same user namespace, and where the
// delegated cgroup subtree is.
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { inUserNamespace, unshareFailure } from '../src/rootless/in-user-namespace.js'
import { rootlessIds, type RootlessIds } from '../src/rootless/subordinate-ids.js'
import { delegatedSubtree, ownCgroup } from '../src/runtime/cgroup/delegation.js'
import { checkUserMapped } from '../src/runtime/container/rootless-checks.js'
import { explainHostStep } from '../src/runtime/plan/host-kinds.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { runHostSteps } from '../src/runtime/process/run-host-steps.js'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { recordingHost } from './helpers/recording-host.js'
import { isRoot } from './helpers/test-env.js'

const ME = { name: 'alice', uid: 1001, gid: 1001 }
const HELPERS = { newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' }
const SUBIDS = 'root:1000000:65536\nalice:100000:65536\nalice:300000:65536\n'

describe('the ids of a rootless container', () => {
  it('maps root to the user and 1..65536 to the first range, by name or by uid', () => {
    const byName = rootlessIds(ME, { subuid: SUBIDS, subgid: SUBIDS, ...HELPERS })
    expect(byName).toEqual({
      kind: 'subordinate',
      uid: [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
      gid: [{ containerID: 0, hostID: 1001, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }],
      ...HELPERS,
    })
    const byUid = rootlessIds({ name: undefined, uid: 1001, gid: 1001 }, { subuid: '1001:200000:1000\n', subgid: '1001:200000:70000\n', ...HELPERS })
    expect(byUid.uid[1]).toEqual({ containerID: 1, hostID: 200000, size: 1000 })
    expect(byUid.gid[1]).toEqual({ containerID: 1, hostID: 200000, size: 65536 })
  })

  it('keeps the single id, and says why, without a range or without newuidmap', () => {
    const single = { uid: [{ containerID: 0, hostID: 1001, size: 1 }], gid: [{ containerID: 0, hostID: 1001, size: 1 }] }
    expect(rootlessIds(ME, { subuid: '', subgid: SUBIDS, ...HELPERS })).toEqual({ kind: 'single', ...single, why: 'no subordinate ids for alice in /etc/subuid' })
    expect(rootlessIds(ME, { subuid: SUBIDS, subgid: 'bob:1:2\n', ...HELPERS })).toMatchObject({ kind: 'single', why: 'no subordinate ids for alice in /etc/subgid' })
    expect(rootlessIds(ME, { subuid: SUBIDS, subgid: SUBIDS, newuidmap: undefined, newgidmap: '/usr/bin/newgidmap' })).toMatchObject({
      kind: 'single',
      why: 'alice has subordinate ids, but newuidmap and newgidmap are not installed (Debian: apt-get install uidmap)',
    })
  })

  it('refuses a user or group the namespace does not map, in one line', () => {
    const spec = (user: string) => buildSpec({ id: 'x', rootfsPath: '/r', image: {}, command: ['sh'], user, passwd: [], groups: [] })
    const ids = rootlessIds(ME, { subuid: SUBIDS, subgid: SUBIDS, ...HELPERS })
    expect(() => checkUserMapped(spec('65536:65536'), ids, '65536:65536')).not.toThrow()
    expect(() => checkUserMapped(spec('65537'), ids, '65537')).toThrow('-u 65537: uid 65537 has no id in a rootless container, which maps ids 0-65536')
    const single = rootlessIds(ME, { subuid: '', subgid: '', ...HELPERS })
    expect(() => checkUserMapped(spec('0:33'), single, undefined)).toThrow(
      "the image's User: gid 33 has no id in a rootless container, which maps only root (no subordinate ids for alice in /etc/subuid)",
    )
  })
})

describe('the start plan of a rootless container with subordinate ids', () => {
  const ids = rootlessIds(ME, { subuid: SUBIDS, subgid: SUBIDS, ...HELPERS }) as Extract<RootlessIds, { kind: 'subordinate' }>
  const plan = () =>
    planStart({
      spec: buildSpec({ id: 'c0ffee', rootfsPath: '/c/rootfs', image: { Cmd: ['sh'] }, command: [], passwd: [], groups: [], idMaps: { uid: ids.uid, gid: ids.gid } }),
      rootfs: { kind: 'directory' },
      setgroupsAllowed: true,
      idMapHelpers: HELPERS,
      pathKind: () => 'dir',
    })

  it('has newuidmap and newgidmap write the maps after the clone, and keeps setgroups allowed', () => {
    const p = plan()
    expect(p.host.map((s) => s.kind)).toEqual(['clone', 'id_map_helper', 'id_map_helper', 'sync'])
    expect(p.host.slice(1, 3).map(explainHostStep)).toEqual([
      'newuidmap <child> 0 1001 1 1 100000 65536',
      'newgidmap <child> 0 1001 1 1 100000 65536',
    ])
    expect(p.host.some((s) => s.kind === 'proc_write')).toBe(false)
    expect(p.child.some((s) => s.op === 'setgroups')).toBe(true)
  })

  it('runs them for the child\'s pid, between the clone and the sync byte; a refusal is one line naming the step', async () => {
    const host = recordingHost()
    const launched = await runHostSteps(plan(), host, { stdio: [0, 1, 2] })
    await launched.started
    const order = host.calls.map((c) => c.call).filter((c) => ['spawn', 'mapIds', 'write'].includes(c))
    expect(order).toEqual(['spawn', 'mapIds', 'mapIds', 'write'])
    expect(host.calls.filter((c) => c.call === 'mapIds').map((c) => c.args)).toEqual([
      ['/usr/bin/newuidmap', 4242, ids.uid],
      ['/usr/bin/newgidmap', 4242, ids.gid],
    ])

    const refusing = recordingHost()
    refusing.failOn('mapIds', new Error('newuidmap: uid range [1-65537) -> [100000-165536) not allowed'))
    const failed = await runHostSteps(plan(), refusing, { stdio: [0, 1, 2] })
    await expect(failed.started).rejects.toThrow('newuidmap 4242: newuidmap: uid range [1-65537) -> [100000-165536) not allowed (runtime step P2 of 4)')
    expect(refusing.calls.some((c) => c.call === 'kill' && c.args[0] === 4242)).toBe(true)
  })
})

describe('a helper as root of the user namespace', () => {
  it('is started by unshare(1) with the same maps: root is the user, 1..N the range', () => {
    const ids = rootlessIds(ME, { subuid: SUBIDS, subgid: 'alice:500000:65536\n', ...HELPERS }) as Extract<RootlessIds, { kind: 'subordinate' }>
    expect(inUserNamespace(ids, ['rm', '-rf', '/x'])).toEqual([
      'unshare', '--user', '--map-root-user', '--map-users=100000,1,65536', '--map-groups=500000,1,65536', '--', 'rm', '-rf', '/x',
    ])
  })

  it('says in one line what unshare said, or that it is too old for --map-users', () => {
    expect(unshareFailure('unpack layer x', 'unshare: unrecognized option \'--map-users=1,1,1\'\nTry ...').message).toBe(
      'unpack layer x: needs unshare(1) from util-linux 2.38 or newer (--map-users), which this host lacks',
    )
    expect(unshareFailure('remove /s/x', 'newuidmap: uid range [1-65537) -> [9-65545) not allowed\nunshare: failed\n').message).toBe(
      'remove /s/x in your user namespace: newuidmap: uid range [1-65537) -> [9-65545) not allowed',
    )
  })
})

describe('the cgroup v2 subtree delegated to a user', () => {
  const mount = mkdtempSync(join(tmpdir(), 'mini-run-cgroup-tree-'))
  afterAll(() => rmSync(mount, { recursive: true, force: true }))

  it('reads the process\'s own v2 cgroup, not one outside its cgroup namespace', () => {
    expect(ownCgroup('12:pids:/x\n0::/user.slice/user-1001.slice/user@1001.service/app.slice/a.scope\n')).toBe('/user.slice/user-1001.slice/user@1001.service/app.slice/a.scope')
    expect(ownCgroup('0::/../../x\n')).toBeUndefined()
    expect(ownCgroup('4:memory:/x\n')).toBeUndefined()
  })

  it.skipIf(!isRoot)('is the topmost ancestor of its own cgroup that the user owns, with its cgroup.procs (needs root to chown)', () => {
    // as systemd delegates user@1001.service: the directory and cgroup.procs are the user's
    const delegated = join(mount, 'user.slice/user-1001.slice/user@1001.service')
    mkdirSync(join(delegated, 'app.slice'), { recursive: true })
    for (const dir of [join(mount, 'user.slice'), join(mount, 'user.slice/user-1001.slice'), delegated, join(delegated, 'app.slice')]) writeFileSync(join(dir, 'cgroup.procs'), '')
    for (const path of [delegated, join(delegated, 'cgroup.procs'), join(delegated, 'app.slice'), join(delegated, 'app.slice/cgroup.procs')]) chownSync(path, 1001, 1001)
    const inApp = '0::/user.slice/user-1001.slice/user@1001.service/app.slice\n'
    expect(delegatedSubtree(mount, 1001, inApp)).toEqual({ path: delegated })
    // a session scope belongs to root: nothing is delegated there
    mkdirSync(join(mount, 'user.slice/user-1001.slice/session-3.scope'))
    writeFileSync(join(mount, 'user.slice/user-1001.slice/session-3.scope/cgroup.procs'), '')
    expect(delegatedSubtree(mount, 1001, '0::/user.slice/user-1001.slice/session-3.scope\n')).toEqual({
      why: 'no cgroup v2 subtree is delegated to you: your cgroup /user.slice/user-1001.slice/session-3.scope belongs to root (systemd delegates user@1001.service; start mini-run under it, e.g. systemd-run --user --scope)',
    })
    // a directory the user owns whose cgroup.procs is root's is not delegated either
    chownSync(join(delegated, 'app.slice/cgroup.procs'), 0, 0)
    expect(delegatedSubtree(mount, 1001, inApp)).toMatchObject({ why: expect.stringContaining('your cgroup /user.slice/user-1001.slice/user@1001.service/app.slice is yours, but its cgroup.procs belongs to root') })
  })
})
