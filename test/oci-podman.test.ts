// podman (Debian's 4.3) with mini-run as its OCI runtime (issue 11):
// `podman --runtime $(command -v mini-run)`, cgroupfs, no events, the
// ulimits this machine needs. run --rm, run -d + exec + logs + stop + rm,
// run -it under a pty. Its storage, run dirs and cgroup parent are this
// test's, and are removed whatever happens.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binDir, cliEnv } from './helpers/cli.js'
import { cgroupRoots } from './helpers/oci.js'
import { BUSYBOX_ROOTFS, isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const hasPodman = spawnSync('podman', ['--version']).status === 0 && spawnSync('conmon', ['--version']).status === 0

describe.skipIf(!isRoot || !hasPodman)('podman --runtime mini-run', () => {
  let dir: string
  let podman: string[]
  const parent = `/mini-run-podman-test-${process.pid}`
  const runtime = () => join(binDir(), 'mini-run')
  /** mini-run's --root, which podman passes with each call (--runtime-flag) */
  const ociRoot = () => join(dir, 'oci-root')
  const created: string[] = []
  // podman puts conmon under libpod_parent: it goes too, unless it was there before
  const hadLibpodParent = cgroupRoots().some((d) => existsSync(join(d, 'libpod_parent')))

  function p(args: string[], input?: string) {
    const r = spawnSync('podman', [...podman, ...args], { encoding: 'utf8', timeout: 90_000, env: cliEnv(), ...(input !== undefined ? { input } : { stdio: ['ignore', 'pipe', 'pipe'] }) })
    return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
  }
  const run = (flags: string[], command: string[]) =>
    p(['run', ...flags, '--network', 'none', '--cgroup-parent', parent, '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--rootfs', BUSYBOX_ROOTFS, ...command])

  beforeAll(() => {
    dir = mkdtempSync('/var/tmp/mini-run-podman-test-')
    // its own network config dir: the host's /etc/cni/net.d may name plugins that are not
    // installed (podman Recommends them), and podman warns about that on stderr at every command
    podman = [
      ...['--runtime', runtime(), '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'],
      // the runtime's state under the test's dir (mini-run's --root), not the default /run/mini-run-oci, which would outlive the test
      ...['--runtime-flag', `root=${ociRoot()}`],
      ...['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--tmpdir', join(dir, 'tmp'), '--network-config-dir', join(dir, 'net')],
    ]
  })

  afterAll(() => {
    p(['rm', '--all', '--force', '--time', '0'])
    // podman unmounts what it mounted on rm; anything left under the dir goes before it is removed
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(dir))
    for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m])
    rmSync(dir, { recursive: true, force: true })
    for (const base of cgroupRoots()) {
      for (const name of [parent.slice(1), ...(hadLibpodParent ? [] : ['libpod_parent'])]) removeTree(join(base, name))
    }
  })

  it('run --rm: the command\'s output and exit status, through create, start and delete', () => {
    const r = run(['--rm'], ['/bin/sh', '-c', 'echo via-podman; cat /proc/1/cmdline | tr "\\0" " "; exit 3'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('via-podman\n/bin/sh -c echo via-podman; cat /proc/1/cmdline | tr "\\0" " "; exit 3 ')
    expect(r.status).toBe(3)
  })

  it('run -d, exec, logs, stop, rm', async () => {
    const d = run(['-d'], ['/bin/sh', '-c', 'echo logged; sleep 60'])
    expect(d.status).toBe(0)
    const id = d.stdout.trim()
    created.push(id)
    expect(existsSync(join(ociRoot(), id))).toBe(true)
    const exec = p(['exec', id, '/bin/sh', '-c', 'echo exec-ok; cat /proc/self/cgroup'])
    expect(exec.stdout).toMatch(/^exec-ok\n/)
    expect(exec.stdout).toContain(`${parent}/libpod-${id}`)
    // run -d returns once the container runs, not once it has printed
    await until('the container\'s line in its log', () => /^logged$/m.test(p(['logs', id]).stdout))
    expect(p(['logs', id]).stdout).toBe('logged\n')
    expect(p(['inspect', '--format', '{{.State.Status}}', id]).stdout.trim()).toBe('running')
    expect(p(['stop', '--time', '1', id]).status).toBe(0)
    expect(p(['inspect', '--format', '{{.State.Status}}', id]).stdout.trim()).toBe('exited')
    expect(p(['rm', id]).status).toBe(0)
    expect(existsSync(join(ociRoot(), id))).toBe(false)
    expect(cgroupRoots().map((r) => join(r, parent, `libpod-${id}`)).filter((c) => existsSync(c))).toEqual([])
  })

  it('run -it: a terminal of its own, what is typed reaches it, its exit status comes back', () => {
    const script = [
      'import os, pty, select, sys, time',
      'pid, m = pty.fork()',
      'if pid == 0:',
      '    os.execvp(sys.argv[1], sys.argv[1:])',
      'out = b""; end = time.time() + 60; typed = False',
      'while time.time() < end:',
      '    r, _, _ = select.select([m], [], [], 0.2)',
      '    if not r: continue',
      '    try: data = os.read(m, 4096)',
      '    except OSError: break',
      '    if not data: break',
      '    out += data',
      '    if not typed and b"# " in out:',
      '        os.write(m, b"tty; echo typed-$((6*7)); exit 4\\r"); typed = True',
      '_, st = os.waitpid(pid, 0)',
      'sys.stdout.write(out.decode(errors="replace")); sys.exit(os.waitstatus_to_exitcode(st))',
    ].join('\n')
    const r = spawnSync('python3', ['-c', script, 'podman', ...podman, 'run', '--rm', '-it', '--network', 'none', '--cgroup-parent', parent,
      '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096', '--rootfs', BUSYBOX_ROOTFS, '/bin/sh'], { encoding: 'utf8', timeout: 90_000, env: cliEnv() })
    expect(r.stdout).toMatch(/\/dev\/pts\/0\r\ntyped-42\r\n/)
    expect(r.status).toBe(4)
  })

  it('leaves nothing of its containers in mini-run\'s state', () => {
    const left = existsSync(ociRoot()) ? readdirSync(ociRoot()).filter((e) => created.includes(e)) : []
    expect(left).toEqual([])
  })
})

function removeTree(path: string): void {
  if (!existsSync(path)) return
  for (const e of readdirSync(path, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(path, e.name))
  try {
    rmdirSync(path)
  } catch {
    // still in use: the next run's cleanup tries again
  }
}
