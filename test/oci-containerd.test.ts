// containerd (Debian's 1.6) with mini-run as the runc of its runc shim
// (issue 11): a containerd of this test's own (socket, root and state under
// a temp dir, the CRI plugin off), driven with ctr: `ctr run --runc-binary`
// (the shim's BinaryName option, which a RuntimeClass reaches through the
// CRI config), a detached task with exec, ps, pause, resume, kill, delete,
// and an error as containerd reports it (it reads the last error of
// mini-run's --log JSON). Stopped and removed whatever happens.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binDir, cliEnv } from './helpers/cli.js'
import { cgroupRoots } from './helpers/oci.js'
import { BUSYBOX_OCI, isRoot } from './helpers/test-env.js'

const hasContainerd = spawnSync('containerd', ['--version']).status === 0 && spawnSync('ctr', ['--version']).status === 0

describe.skipIf(!isRoot || !hasContainerd)('containerd with mini-run as its runc', () => {
  let dir: string
  let daemon: ChildProcess | undefined
  const ns = `mini-run-test-${process.pid}`
  const image = 'mini-run-test/busybox:1'
  // containerd 1.6's shims and ctr keep sockets and FIFOs under /run/containerd whatever the config says
  const hadRunDir = existsSync('/run/containerd')

  function ctr(args: string[]) {
    const r = spawnSync('ctr', ['--address', join(dir, 'sock'), '--namespace', ns, ...args], { encoding: 'utf8', timeout: 90_000, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
  }
  const runtime = () => ['--runc-binary', join(binDir(), 'mini-run'), '--runc-root', join(dir, 'runc-root')]

  beforeAll(async () => {
    dir = mkdtempSync('/var/tmp/mini-run-containerd-test-')
    writeFileSync(join(dir, 'config.toml'), [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${dir}/sock"`,
    ].join('\n') + '\n')
    daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'ignore'], env: cliEnv() })
    for (let i = 0; i < 100 && !existsSync(join(dir, 'sock')); i++) await new Promise((r) => setTimeout(r, 100))
    expect(existsSync(join(dir, 'sock'))).toBe(true)
    spawnSync('tar', ['-cf', join(dir, 'image.tar'), '-C', BUSYBOX_OCI, '.'])
    const imported = ctr(['image', 'import', '--index-name', image, join(dir, 'image.tar')])
    expect(imported.stderr).toBe('')
  }, 120_000)

  afterAll(async () => {
    if (dir && existsSync(join(dir, 'sock'))) {
      for (const task of ctr(['task', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['task', 'delete', '--force', task])
      for (const c of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(['container', 'delete', c])
    }
    if (daemon?.pid && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r))
      daemon.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (daemon.exitCode === null) daemon.kill('SIGKILL')
    }
    // a shim of ours outlives containerd: stop them by pid
    for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        if (cmd.startsWith('/usr/bin/containerd-shim') && dir && cmd.includes(join(dir, 'sock'))) process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone
      }
    }
    if (dir) {
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(dir))
      for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m])
      rmSync(dir, { recursive: true, force: true })
    }
    if (!hadRunDir) rmSync('/run/containerd', { recursive: true, force: true })
    // ctr's containers live in /<namespace>/<id> cgroups: the parent is this test's
    for (const root of cgroupRoots()) removeTree(join(root, ns))
  }, 120_000)

  it('ctr run --rm: the output, through create, start and delete', () => {
    const r = ctr(['run', '--rm', ...runtime(), image, 'c-rm', '/bin/sh', '-c', 'echo via-containerd; cat /proc/self/cgroup'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^via-containerd\n/)
    expect(r.stdout).toContain(`/${ns}/c-rm`)
    expect(readdirSync(join(dir, 'runc-root', ns))).toEqual([])
  })

  it('a detached task: exec, ps, pause, resume, kill, delete', async () => {
    expect(ctr(['run', '-d', ...runtime(), image, 'c-d', '/bin/sh', '-c', 'sleep 100']).status).toBe(0)
    expect(existsSync(join(dir, 'runc-root', ns, 'c-d'))).toBe(true)
    const exec = ctr(['task', 'exec', '--exec-id', 'e1', 'c-d', '/bin/sh', '-c', 'echo execd; exit 5'])
    expect(exec.stdout).toBe('execd\n')
    expect(exec.status).toBe(5)
    const ps = ctr(['task', 'ps', 'c-d']).stdout.trim().split('\n')
    expect(ps[0]).toMatch(/^PID\s+INFO/)
    expect(ps).toHaveLength(2)
    expect(ctr(['task', 'pause', 'c-d']).status).toBe(0)
    expect(ctr(['task', 'ls']).stdout).toMatch(/c-d\s+\d+\s+PAUSED/)
    expect(ctr(['task', 'resume', 'c-d']).status).toBe(0)
    expect(ctr(['task', 'ls']).stdout).toMatch(/c-d\s+\d+\s+RUNNING/)
    expect(ctr(['task', 'kill', '--signal', 'SIGKILL', 'c-d']).status).toBe(0)
    for (let i = 0; i < 50 && !/c-d\s+\d+\s+STOPPED/.test(ctr(['task', 'ls']).stdout); i++) await new Promise((r) => setTimeout(r, 100))
    expect(ctr(['task', 'ls']).stdout).toMatch(/c-d\s+\d+\s+STOPPED/)
    expect(ctr(['task', 'delete', 'c-d']).status).toBe(0)
    expect(ctr(['container', 'delete', 'c-d']).status).toBe(0)
    expect(existsSync(join(dir, 'runc-root', ns, 'c-d'))).toBe(false)
    expect(cgroupRoots().map((r) => join(r, ns, 'c-d')).filter((c) => existsSync(c))).toEqual([])
  })

  it('reports a failed create with mini-run\'s own message, from its JSON log', () => {
    const r = ctr(['run', '--rm', ...runtime(), image, 'c-bad', '/no/such/command'])
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain('OCI runtime create failed: exec: "/no/such/command": no such file or directory')
    ctr(['container', 'delete', 'c-bad'])
    expect(readdirSync(join(dir, 'runc-root', ns))).toEqual([])
  })
})

function removeTree(path: string): void {
  if (!existsSync(path)) return
  for (const e of readdirSync(path, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(path, e.name))
  try {
    rmdirSync(path)
  } catch {
    // still in use
  }
}
