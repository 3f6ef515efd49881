// Rootless limits where the host delegates a cgroup v2 subtree to the user,
// as systemd does for user@UID.service: the subtree's directory and its
// cgroup.procs, cgroup.subtree_control and cgroup.threads belong to the
// user, and the user's session runs in a leaf below it. Then a rootless
// container gets a leaf of its own in that subtree and --memory and
// --pids-limit hold; outside it, limits are refused in one line.
import { spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openTempDir, stageCli, type StagedCli } from '../helpers/as-user.js'
import { BUSYBOX_OCI } from '../helpers/test-env.js'
import { describeOnKernel } from './kernel-test-env.js'

const USER = 40_202 // an ordinary uid: no passwd entry, no subordinate ids (the single-id mapping)

describeOnKernel('rootless containers in a delegated cgroup v2 subtree', (env) => {
  let tmp: string
  let staged: StagedCli
  let delegated: string
  const home = () => join(tmp, 'home')

  /** mini-run as USER, in the delegated subtree's session leaf (root moves the shell there, as systemd's user manager runs in its own). */
  const asUser = (args: string[], inside = true) => {
    const argv = ['setpriv', '--reuid', String(USER), '--regid', String(USER), '--clear-groups', '--', staged.cli, ...args]
    const script = inside ? 'echo $$ > "$0/cgroup.procs" && exec "$@"' : 'exec "$@"'
    const r = spawnSync('sh', ['-c', script, join(delegated, 'session'), ...argv], {
      encoding: 'utf8',
      cwd: '/',
      timeout: 170_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home(), XDG_RUNTIME_DIR: join(tmp, 'run') },
    })
    // the single-id warning of every image run (no /etc/subuid range for this uid) is not what these tests look at
    const stderr = (r.stderr ?? '').replace(/^mini-run: no subordinate ids for uid \d+ in \/etc\/subuid: .*\n/m, '')
    return { status: r.status, stdout: r.stdout ?? '', stderr }
  }

  beforeAll(() => {
    tmp = openTempDir('mini-run-vm-rootless-')
    staged = stageCli(tmp)
    for (const dir of ['home', 'run']) {
      mkdirSync(join(tmp, dir), { mode: 0o700 })
      chownSync(join(tmp, dir), USER, USER)
    }
    spawnSync('cp', ['-a', BUSYBOX_OCI, join(tmp, 'busybox-oci')])
    spawnSync('chmod', ['-R', 'a+rX', join(tmp, 'busybox-oci')])
    // what systemd does for user@UID.service (Delegate=yes): the controllers
    // reach the subtree, whose directory and interface files are the user's
    writeFileSync(join(env.cgroupRoot, 'cgroup.subtree_control'), '+memory +pids +cpu')
    delegated = join(env.cgroupRoot, `mini-run-test-delegated-${process.pid}`)
    mkdirSync(join(delegated, 'session'), { recursive: true })
    for (const dir of [delegated, join(delegated, 'session')]) {
      for (const path of [dir, ...['cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads'].map((f) => join(dir, f))]) chownSync(path, USER, USER)
    }
    const load = asUser(['load', '-i', join(tmp, 'busybox-oci')])
    expect(load.stderr).toBe('')
    // a copy, a chmod and a load under emulation: over the 180 s default once on a loaded host
  }, 400_000)
  afterAll(() => {
    asUser(['rm', '-f', ...asUser(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)])
    for (const dir of [join(delegated, 'session'), delegated]) {
      try {
        rmdirSync(dir)
      } catch {
        // a container's leaf still in it: the test failed, and says so
      }
    }
    rmSync(tmp, { recursive: true, force: true })
  })

  const IMAGE = 'localhost/mini-run/busybox:latest'

  it('gives a detached container its own leaf in the subtree, with its --memory and --pids-limit', () => {
    const r = asUser(['run', '-d', '--memory', '32m', '--pids-limit', '20', IMAGE, 'sleep', '600'])
    expect(r.stderr).toBe('')
    const id = r.stdout.trim()
    const leaf = join(delegated, 'mini-run', id)
    const info = JSON.parse(asUser(['inspect', id]).stdout)[0] as { CgroupPath: string; State: { Pid: number } }
    expect(info.CgroupPath).toBe(leaf)
    expect(readFileSync(join(leaf, 'memory.max'), 'utf8').trim()).toBe(String(32 * 1024 * 1024))
    expect(readFileSync(join(leaf, 'pids.max'), 'utf8').trim()).toBe('20')
    expect(readFileSync(join(leaf, 'cgroup.procs'), 'utf8').trim()).toBe(String(info.State.Pid))
    expect(asUser(['rm', '-f', id]).status).toBe(0)
    expect(existsSync(leaf)).toBe(false)
    // mini-run's parent goes with its last leaf; the delegation stays
    expect(existsSync(join(delegated, 'mini-run'))).toBe(false)
    expect(existsSync(delegated)).toBe(true)
  })

  it('--memory 32m: the OOM killer ends a hog inside, exit 137, and mini-run lives on to say so', () => {
    const r = asUser(['run', '--rm', '--memory', '32m', IMAGE, 'sh', '-c', 'echo hogging; exec tail /dev/zero'])
    expect(r.stdout).toBe('hogging\n')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(137)
  })

  it('--pids-limit holds: forks past it fail inside', () => {
    // the subshell forks until the kernel refuses (ash then exits it with status 2); the rest
    // reads the files with builtins only, as the sleeps still hold every pid the limit allows
    const r = asUser(['run', '--rm', '--pids-limit', '8', IMAGE, 'sh', '-c',
      '(for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 5 & done) 2>/dev/null; '
      + 'read max < /sys/fs/cgroup/pids.max; echo "$max"; while read k v; do [ "$k" = max ] && echo "$v"; done < /sys/fs/cgroup/pids.events; exit 0'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const [max, refused] = r.stdout.trim().split('\n')
    expect(max).toBe('8')
    expect(Number(refused)).toBeGreaterThan(0)
  })

  it('outside the subtree: no leaf, and limits are refused naming why', () => {
    const plain = asUser(['run', '--rm', IMAGE, 'true'], false)
    expect(plain).toMatchObject({ status: 0, stderr: '' })
    const limited = asUser(['run', '--rm', '--memory', '32m', IMAGE, 'true'], false)
    expect(limited.status).toBe(125)
    expect(limited.stderr).toMatch(/^mini-run: resource limits need a cgroup v2 hierarchy that mini-run may write: no cgroup v2 subtree is delegated to you: your cgroup \/\S* belongs to root/m)
  })
})
