// Rootless: an unprivileged user runs a container in a user namespace where
// its own uid is root. Run here as `nobody` through setpriv.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const PROJECT = fileURLToPath(new URL('..', import.meta.url))
import { BUSYBOX_ROOTFS, isRoot } from './helpers/test-env.js'

const NOBODY = 65534

/**
 * A copy of the installed CLI (bundle, native build, node_modules) and of
 * the busybox rootfs that nobody can read: the checkout itself may sit in a
 * private directory (CI clones into one). Its dist/mini-run.cjs is run as
 * the executable it is, as `mini-run` is.
 */
function stageForNobody(dir: string): { cli: string; rootfs: string } {
  const root = join(dir, 'pkg')
  mkdirSync(root)
  for (const part of ['package.json', 'dist', 'node_modules', 'native/build']) {
    mkdirSync(dirname(join(root, part)), { recursive: true })
    execFileSync('cp', ['-a', join(PROJECT, part), join(root, part)])
  }
  execFileSync('cp', ['-a', BUSYBOX_ROOTFS, join(dir, 'rootfs')])
  return { cli: join(root, 'dist', 'mini-run.cjs'), rootfs: join(dir, 'rootfs') }
}

const userns = (() => {
  try {
    return Number(execFileSync('cat', ['/proc/sys/user/max_user_namespaces'], { encoding: 'utf8' })) > 0
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot || !userns)('run: rootless (needs root to become nobody, and user namespaces)', () => {
  const state = mkdtempSync('/tmp/mini-run-rootless-')
  chmodSync(state, 0o777)
  const staged = stageForNobody(state)
  afterAll(() => rmSync(state, { recursive: true, force: true }))

  const asNobody = (args: string[]) => {
    try {
      const stdout = execFileSync(
        'setpriv',
        ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', staged.cli, '--state', `${state}/s`, '--root', `${state}/r`, ...args],
        // the staged executable's #! line finds this Node on PATH
        { encoding: 'utf8', env: { PATH: `${dirname(process.execPath)}:${process.env.PATH || '/usr/bin:/bin'}`, HOME: state } },
      )
      return { status: 0, stdout, stderr: '' }
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string }
      return { status: e.status, stdout: e.stdout, stderr: e.stderr }
    }
  }

  it('runs as root inside, nobody outside, with the uid map to show it', () => {
    const r = asNobody(['run', '--rm', '--rootfs', staged.rootfs, 'sh', '-c', 'id -u; cat /proc/self/uid_map; echo $$; hostname'])
    expect(r.stderr).toBe('')
    const [uid, map, pid] = r.stdout.split('\n')
    expect(uid).toBe('0')
    expect(map?.trim().split(/\s+/)).toEqual(['0', String(NOBODY), '1'])
    expect(pid).toBe('1')
  })

  it('binds a directory of its own with -v, read-only on request', () => {
    const mine = join(state, 'mine')
    mkdirSync(mine)
    chmodSync(mine, 0o777)
    // mount points that exist: nobody cannot make new ones in a root-owned rootfs
    const r = asNobody(['run', '--rm', '-v', `${mine}:/home`, '-v', `${mine}:/root:ro`, '--tmpfs', '/run', '--rootfs', staged.rootfs,
      'sh', '-c', 'echo hi > /home/f && cat /root/f && (touch /root/g 2>/dev/null || echo ro-refused) && touch /run/x && echo tmpfs-ok'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('hi\nro-refused\ntmpfs-ok\n')
    const groups = asNobody(['run', '--rm', '--group-add', '10', '--rootfs', staged.rootfs, 'true'])
    expect(groups.stderr).toBe('mini-run: --group-add needs setgroups(2), which a rootless run may not use (user_namespaces(7))\n')
    // and a mount point it cannot make is one line naming the step
    const denied = asNobody(['run', '--rm', '-v', `${mine}:/new`, '--rootfs', staged.rootfs, 'true'])
    expect(denied.status).toBe(125)
    expect(denied.stderr).toBe('mini-run: mkdir /new: Permission denied\n')
  })

  it('cannot write the root-owned rootfs it was given', () => {
    const r = asNobody(['run', '--rm', '--rootfs', staged.rootfs, 'sh', '-c', 'touch /etc/x 2>&1; echo status=$?'])
    expect(r.stdout).toMatch(/status=1/)
  })
})
