// Issue 12, without subordinate ids: a user that /etc/subuid gives no range
// still runs images (before, `run IMAGE` failed with EPERM chowning the
// writable layer), with the single-id mapping: every file of the image is
// theirs, root inside, and one warning says so. What cannot work is one
// clear line: -u of another uid, --group-add, limits without a delegated
// cgroup, a -v source they cannot read, a store root made under their home.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { createTestUser, subidsMissing, withSubidLocks, type TestUser } from './helpers/test-user.js'
import { BUSYBOX_ROOTFS } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const missing = subidsMissing()

describe.skipIf(missing)(`rootless images without subordinate ids, as a user made with useradd${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let tmp: string
  let user: TestUser
  let staged: StagedCli
  const IMAGE = 'localhost/test/owners:1'
  const as = (args: string[]) => user.run([staged.cli, ...args])

  beforeAll(async () => {
    tmp = openTempDir('mini-run-rootless-single-')
    user = createTestUser({ subids: false, tmpDir: tmp })
    staged = stageCli(tmp)
    await writeOciLayout(join(tmp, 'owners-oci'), {
      name: IMAGE,
      config: { config: { Cmd: ['sh'], Env: ['PATH=/bin'] } },
      layers: [{ dir: BUSYBOX_ROOTFS }, [{ path: 'srv', type: 'dir' }, { path: 'srv/f', type: 'file', uid: 33, gid: 33, content: 'www\n' }]],
    })
    execFileSync('chmod', ['-R', 'a+rX', join(tmp, 'owners-oci')])
  })
  afterAll(() => {
    if (user) {
      as(['rm', '-f', ...as(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)])
      user.remove()
    }
    rmSync(tmp, { recursive: true, force: true })
  })

  const WARNING = (name: string) =>
    `mini-run: no subordinate ids for ${name} in /etc/subuid: the container maps only your own uid and gid, as root; the image's files of other owners show as root, and other users cannot run (-u)\n`

  it('runs an image with one id, saying so once; its files all belong to root inside', () => {
    expect(as(['load', '-i', join(tmp, 'owners-oci')]).status).toBe(0)
    const r = as(['run', '--rm', IMAGE, 'sh', '-c', 'id -u; cat /proc/self/uid_map; ls -ln /srv/f'])
    expect(r.stderr).toBe(WARNING(user.name))
    expect(r.status).toBe(0)
    const [uid, map, ls] = r.stdout.trim().split('\n')
    expect(uid).toBe('0')
    expect(map!.trim().split(/\s+/)).toEqual(['0', String(user.uid), '1'])
    expect(ls!.trim().split(/\s+/).slice(2, 4)).toEqual(['0', '0'])
  })

  it('runs detached: exec, logs, rm -f', async () => {
    const run = as(['run', '-d', IMAGE, 'sh', '-c', 'echo single-log; exec sleep 60'])
    expect(run.stderr).toBe(WARNING(user.name))
    const id = run.stdout.trim()
    expect(as(['exec', id, 'sh', '-c', 'id -u']).stdout).toBe('0\n')
    // run -d returns once the container runs, not once it has printed
    await until('the container\'s line in its log', () => /^single-log$/m.test(as(['logs', id]).stdout))
    expect(as(['logs', id]).stdout).toBe('single-log\n')
    expect(as(['rm', '-f', id]).status).toBe(0)
    expect(readdirSync(join(user.home, '.local/share/mini-run/containers'))).toEqual([])
  })

  it('refuses what one id cannot do, each in one line', () => {
    const why = `no subordinate ids for ${user.name} in /etc/subuid`
    const refusals: [string[], string][] = [
      [['-u', '1000'], `-u 1000: uid 1000 has no id in a rootless container, which maps only root (${why})`],
      [['--group-add', '33'], '--group-add needs setgroups(2), which a rootless run may not use (user_namespaces(7))'],
      [['--userns=auto'], '--userns=auto needs root: a rootless container has its own ids already (0 is you, 1..65536 your /etc/subuid range)'],
      [['-v', '/root:/data'], `bind source /root belongs to root and you (uid ${user.uid}) cannot read it: a rootless container sees only what you may`],
    ]
    for (const [flags, line] of refusals) {
      const r = as(['run', '--rm', ...flags, IMAGE, 'true'])
      expect(r.stderr).toBe(`mini-run: ${line}\n`)
      expect(r.status).toBe(125)
    }
    // limits: on a host that delegates no cgroup v2 subtree to the user (this one), the reason is named
    const limits = as(['run', '--rm', '--pids-limit', '10', IMAGE, 'true'])
    expect(limits.status).toBe(125)
    expect(limits.stderr).toMatch(/^mini-run: resource limits need a cgroup v2 hierarchy that mini-run may write: (none is mounted|no cgroup v2 subtree is delegated to you: your cgroup \S+ belongs to root \(systemd delegates user@\d+\.service; .*\))\n$/)
  })

  it('runs layers unpacked before the user had subordinate ids, saying that their owners are lost', () => {
    // the administrator gives the user a range after the image was loaded
    const range = `${user.name}:1400000000:65536\n`
    // under shadow's locks: another file's useradd or userdel rewrites these files meanwhile
    withSubidLocks(() => { for (const file of ['/etc/subuid', '/etc/subgid']) writeFileSync(file, range, { flag: 'a' }) })
    try {
      const r = as(['run', '--rm', IMAGE, 'sh', '-c', 'cat /proc/self/uid_map | wc -l; ls -ln /srv/f'])
      expect(r.stderr).toBe(`mini-run: image ${IMAGE} was unpacked before you had subordinate ids: its files all belong to root inside; rmi it and pull or load it again to keep their owners\n`)
      const [maps, ls] = r.stdout.trim().split('\n')
      expect(maps!.trim()).toBe('2')
      expect(ls!.trim().split(/\s+/).slice(2, 4)).toEqual(['0', '0'])
    } finally {
      withSubidLocks(() => { for (const file of ['/etc/subuid', '/etc/subgid']) writeFileSync(file, readFileSync(file, 'utf8').replace(range, '')) })
    }
  })

  it('a store that root made under the user\'s home is one line, not a stack of EPERMs', () => {
    const rootMade = join(user.home, 'root-made-store')
    mkdirSync(join(rootMade, 'layers'), { recursive: true })
    for (const [verb, status] of [[['images'], 1], [['run', '--rm', IMAGE, 'true'], 125]] as const) {
      const r = as(['--root', rootMade, ...verb])
      expect(r.stderr).toBe(`mini-run: image store ${rootMade} belongs to uid 0, not to you (uid ${user.uid}): remove it or choose another directory\n`)
      expect(r.status).toBe(status)
    }
    rmSync(rootMade, { recursive: true })
  })
})
