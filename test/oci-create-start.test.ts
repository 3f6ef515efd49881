// The OCI lifecycle on bundles (issue 11): create leaves the process waiting
// with everything but the execve done, start releases it, kill and delete;
// a refused config leaves nothing; --console-socket, hooks, a joined network
// namespace, an idmapped mount and the device cgroup, each with real
// containers. Root only.
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeOciEnv, type OciEnv } from './helpers/oci.js'
import { isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const CONSOLE_RECEIVER = fileURLToPath(new URL('./helpers/console-socket.py', import.meta.url))

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
  } catch {
    return ''
  }
}

function state(env: OciEnv, id: string): Record<string, unknown> | undefined {
  const r = env.oci(['state', id])
  return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined
}

describe.skipIf(!isRoot)('OCI create and start', () => {
  let env: OciEnv
  beforeAll(() => {
    env = makeOciEnv()
  })
  afterAll(() => env.cleanup())

  it('create leaves the process waiting before its execve; start runs the command; kill, then delete', async () => {
    const bundle = env.bundle('life', (c) => {
      c.process.args = ['/bin/sleep', '30']
    })
    const pidFile = join(env.dir, 'life.pid')
    const created = env.ociDetached(['create', '--bundle', bundle, '--pid-file', pidFile, 'life'])
    expect(created.stderr).toMatch(/ambient/) // runc's spec lists ambient capabilities it cannot raise: a warning
    expect(created.status).toBe(0)
    const pidText = readFileSync(pidFile, 'utf8')
    expect(pidText).toMatch(/^\d+$/) // no newline
    const pid = Number(pidText)
    expect(state(env, 'life')).toEqual({ ociVersion: '1.2.0', id: 'life', status: 'created', pid, bundle })
    // everything but the execve: the stage program still, in the container's namespaces and cgroup, reparented
    expect(cmdline(pid)).toBe('mini-run-stage')
    expect(readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(readlinkSync('/proc/self/ns/pid'))
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(`${env.cgroupParent}/life`)
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^PPid:\s+1$/m)

    expect(env.oci(['start', 'life']).status).toBe(0)
    await until('the container to exec its process', () => cmdline(pid) === '/bin/sleep 30')
    expect(state(env, 'life')!.status).toBe('running')
    const again = env.oci(['start', 'life'])
    expect([again.status, again.stderr]).toEqual([1, expect.stringContaining('cannot start an already running container')])

    const refused = env.oci(['delete', 'life'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('cannot delete container life that is not stopped: running')
    expect(state(env, 'life')!.status).toBe('running')

    expect(env.oci(['kill', 'life', 'KILL']).status).toBe(0)
    await until('life to be stopped', () => state(env, 'life')?.status === 'stopped')
    expect(state(env, 'life')).toEqual({ ociVersion: '1.2.0', id: 'life', status: 'stopped', bundle })
    expect(env.oci(['kill', 'life']).stderr).toContain('container not running')
    expect(env.oci(['delete', 'life']).status).toBe(0)
    expect(env.oci(['state', 'life']).stderr).toContain('container life does not exist')
    expect(env.oci(['delete', 'life']).status).toBe(1)
    expect(env.oci(['delete', '--force', 'life']).status).toBe(0) // runc: a forced delete of nothing succeeds
    expect(env.leftovers()).toEqual([])
  })

  it('create --explain prints the plan, the start gate in it, and creates nothing', () => {
    const bundle = env.bundle('explained')
    const r = env.oci(['create', '--explain', '--bundle', bundle, 'explained'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^# mini-run oci create --explain/)
    expect(r.stdout).toMatch(/mkfifo -m 0622 \S+\/explained\/exec\.fifo/)
    expect(r.stdout).toMatch(/\d+\. report ready, then open \/proc\/self\/fd\/<exec-fifo> O_WRONLY/)
    // the id after --explain is the id, not a format
    expect(env.oci(['create', '--bundle', bundle, '--explain', 'explained']).stdout).toBe(r.stdout)
    const json = JSON.parse(env.oci(['create', '--explain=json', '--bundle', bundle, 'explained']).stdout)
    expect(json.child.at(-2).op).toBe('wait_start')
    expect(env.leftovers()).toEqual([])
  })

  it('delete of a created container kills its waiting process (runc does, without --force)', async () => {
    const bundle = env.bundle('waiting', (c) => {
      c.process.args = ['/bin/sh', '-c', 'touch /should-not-run']
    })
    expect(env.ociDetached(['create', '--bundle', bundle, '--pid-file', join(env.dir, 'waiting.pid'), 'waiting']).status).toBe(0)
    const pid = Number(readFileSync(join(env.dir, 'waiting.pid'), 'utf8'))
    expect(env.oci(['delete', 'waiting']).status).toBe(0)
    await until('the waiting process to be gone', () => cmdline(pid) === '')
    expect(env.leftovers()).toEqual([])
  })

  it.each([
    ['an unknown capability', (c: Record<string, any>) => c.process.capabilities.bounding.push('CAP_TEST'), /config\.json: process\.capabilities\.bounding\[3\]: unknown capability "CAP_TEST"/],
    ['an unknown rlimit', (c: Record<string, any>) => c.process.rlimits.push({ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }), /process\.rlimits\[1\]\.type: unknown rlimit "RLIMIT_BOGUS"/],
    ['a bad ociVersion', (c: Record<string, any>) => (c.ociVersion = '2.0.0'), /ociVersion: "2.0.0" is not a version of the runtime spec 1\.x/],
    ['a relative mount destination', (c: Record<string, any>) => c.mounts.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' }), /mounts\[7\]\.destination: "data" must be an absolute path/],
    ['a sysctl of the host', (c: Record<string, any>) => (c.linux.sysctl = { 'vm.swappiness': '0' }), /linux\.sysctl\.vm\.swappiness: is not in a namespace the container has/],
    ['a createContainer hook', (c: Record<string, any>) => (c.hooks = { createContainer: [{ path: '/bin/true' }] }), /hooks\.createContainer: a createContainer hook .* is not supported/],
    ['a systemd cgroup path', (c: Record<string, any>) => (c.linux.cgroupsPath = 'system.slice:mini-run:x'), /systemd slice:scope/],
    ['a missing command', (c: Record<string, any>) => (c.process.args = ['/nonexistent']), /exec: "\/nonexistent": no such file or directory/],
  ])('refuses %s at create, leaving nothing', (name, edit, message) => {
    const id = `bad-${name.replace(/\W+/g, '-')}`
    const bundle = env.bundle(id, edit)
    const r = env.ociDetached(['create', '--bundle', bundle, '--pid-file', join(env.dir, `${id}.pid`), id])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(message)
    expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('mini-run: warning:'))).toHaveLength(1)
    expect(existsSync(join(env.dir, `${id}.pid`))).toBe(false)
    expect(env.leftovers()).toEqual([])
  })

  it('sends the pty master to --console-socket; the container\'s stdio is that terminal', async () => {
    const bundle = env.bundle('tty', (c) => {
      c.process.terminal = true
      c.process.args = ['/bin/sh', '-c', 'read line; echo "got $line on $(tty)"']
    })
    const socketPath = join(env.dir, 'console.sock')
    const receiver = spawn('python3', [CONSOLE_RECEIVER, socketPath, 'hello\n'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    receiver.stdout.on('data', (d) => (out += d))
    const exited = new Promise((r) => receiver.on('close', r))
    try {
      await until('the receiver to listen', () => /^listening$/m.test(out))
      const refused = env.ociDetached(['create', '--bundle', bundle, 'tty'])
      expect(refused.stderr).toContain('process.terminal needs --console-socket')
      expect(env.oci(['create', '--bundle', bundle, '--console-socket', socketPath, 'tty']).status).toBe(0)
      await until('the receiver to get the pty master', () => /^received /m.test(out))
      expect(out).toContain('received tty')
      expect(env.oci(['start', 'tty']).status).toBe(0)
      await exited
      expect(out).toContain('got hello on /dev/pts/0')
      await until('tty to be stopped', () => state(env, 'tty')?.status === 'stopped')
      expect(env.oci(['delete', 'tty']).status).toBe(0)
    } finally {
      receiver.kill()
    }
    expect(env.leftovers()).toEqual([])
  })

  it('runs hooks in order, each with the state on stdin', async () => {
    const log = join(env.dir, 'hooks.log')
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `printf '%s ' ${name} >> ${log}; cat >> ${log}; echo >> ${log}`], timeout: 10 })
    const bundle = env.bundle('hooks', (c) => {
      c.process.args = ['/bin/sleep', '1'] // still running when poststart reads its state
      c.hooks = { prestart: [hook('prestart')], createRuntime: [hook('createRuntime')], poststart: [hook('poststart')], poststop: [hook('poststop')] }
    })
    expect(env.ociDetached(['create', '--bundle', bundle, 'hooks']).status).toBe(0)
    expect(env.oci(['start', 'hooks']).status).toBe(0)
    await until('hooks to be stopped', () => state(env, 'hooks')?.status === 'stopped')
    expect(env.oci(['delete', 'hooks']).status).toBe(0)
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => {
      const [name, json] = [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]
      return { name, state: JSON.parse(json) as Record<string, unknown> }
    })
    expect(lines.map((l) => `${l.name}:${String(l.state.status)}`)).toEqual(['prestart:creating', 'createRuntime:creating', 'poststart:running', 'poststop:stopped'])
    for (const l of lines) expect(l.state).toMatchObject({ ociVersion: expect.any(String), id: 'hooks', bundle })
    expect(lines[0]!.state.pid).toBe(lines[1]!.state.pid)
    expect(env.leftovers()).toEqual([])
  })

  it('a failing prestart hook stops the create, leaving nothing', () => {
    const bundle = env.bundle('hookfail', (c) => {
      c.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no way >&2; exit 3'] }] }
    })
    const r = env.ociDetached(['create', '--bundle', bundle, 'hookfail'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/prestart hook 0 \(\/bin\/sh\): exit status 3: no way/)
    expect(env.leftovers()).toEqual([])
  })

  it('joins an existing network namespace by path', async () => {
    const holder = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' })
    try {
      await until('the holder\'s network namespace', () => readlinkSync(`/proc/${holder.pid}/ns/net`) !== readlinkSync('/proc/self/ns/net'))
      const nsPath = `/proc/${holder.pid}/ns/net`
      const bundle = env.bundle('netns', (c) => {
        c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) => (ns.type === 'network' ? { type: 'network', path: nsPath } : ns))
        c.process.args = ['/bin/sh', '-c', 'readlink /proc/self/ns/net']
        c.linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '80' }
      })
      const r = env.oci(['run', '--bundle', bundle, 'netns'])
      expect(r.status).toBe(0)
      expect(r.stdout.trim()).toBe(readlinkSync(nsPath))
      // the sysctl went to that namespace
      const inNs = spawnSync('nsenter', [`--net=${nsPath}`, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'], { encoding: 'utf8' })
      expect(inNs.stdout.trim()).toBe('80')
    } finally {
      holder.kill()
    }
    expect(env.leftovers()).toEqual([])
  })

  it('joins an existing PID namespace by path: its /proc shows that namespace\'s processes, not the runtime\'s', async () => {
    // unshare forks: its child is PID 1 of a namespace of its own
    const holder = spawn('unshare', ['--pid', '--fork', 'sleep', '61'], { stdio: 'ignore' })
    try {
      const childOf = () => Number(readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8').trim().split(' ')[0] || 0)
      await until('the holder\'s PID 1 to run its sleep', () => childOf() > 0 && cmdline(childOf()) === 'sleep 61')
      const nsPath = `/proc/${childOf()}/ns/pid`
      const bundle = env.bundle('pidns', (c) => {
        c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) => (ns.type === 'pid' ? { type: 'pid', path: nsPath } : ns))
        c.process.args = ['/bin/sh', '-c', 'readlink /proc/self/ns/pid; tr "\\0" " " < /proc/1/cmdline; echo; ls /proc | grep -c "^[0-9]"']
      })
      const r = env.oci(['run', '--bundle', bundle, 'pidns'])
      // (runc's spec lists ambient capabilities it cannot raise: a warning on stderr)
      expect(r.status, r.stderr).toBe(0)
      const [ns, init, count] = r.stdout.trim().split('\n')
      expect(ns).toBe(readlinkSync(nsPath))
      // the holder's sleep is PID 1 there, and the namespace holds it, the relay's child and what the shell runs
      expect(init!.trim()).toBe('sleep 61')
      expect(Number(count)).toBeLessThan(8)

      // exec joins that namespace too (not the runtime's, where the container's own process, a relay, is),
      // and kill KILL of the container ends its command, not only the relay the caller knows by its pid
      const running = env.bundle('pidns-live', (c) => {
        c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) => (ns.type === 'pid' ? { type: 'pid', path: nsPath } : ns))
        c.process.args = ['/bin/sleep', '47']
      })
      expect(env.ociDetached(['create', '--bundle', running, 'pidns-live']).status).toBe(0)
      expect(env.oci(['start', 'pidns-live']).status).toBe(0)
      const sleepers = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(Number(p)) === '/bin/sleep 47')
      await until('the container\'s sleep', () => sleepers().length === 1)
      const exec = env.oci(['exec', 'pidns-live', '/bin/sh', '-c', 'readlink /proc/self/ns/pid'])
      expect(exec.status, exec.stderr).toBe(0)
      expect(exec.stdout.trim()).toBe(readlinkSync(nsPath))
      expect(env.oci(['kill', 'pidns-live', 'KILL']).status).toBe(0)
      await until('the container\'s sleep to be killed', () => sleepers().length === 0)
      await until('pidns-live to be stopped', () => state(env, 'pidns-live')?.status === 'stopped')
      expect(env.oci(['delete', 'pidns-live']).status).toBe(0)
    } finally {
      holder.kill()
    }
    expect(env.leftovers()).toEqual([])
  })

  it('shows a bind mount\'s files with their owners through an idmap mount in a user namespace', () => {
    const data = join(env.dir, 'data')
    mkdirSync(data)
    writeFileSync(join(data, 'file'), 'x')
    chmodSync(env.dir, 0o755)
    const bundle = env.bundle('idmap', (c) => {
      c.linux.namespaces.push({ type: 'user' })
      c.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }]
      c.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }]
      delete c.linux.resources
      c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'cgroup')
      c.mounts.push({ destination: '/plain', type: 'bind', source: data, options: ['bind', 'ro'] })
      c.mounts.push({ destination: '/mapped', type: 'bind', source: data, options: ['bind', 'ro', 'idmap'] })
      c.process.args = ['/bin/sh', '-c', 'stat -c %u /plain/file /mapped/file']
    })
    expect(statSync(join(data, 'file')).uid).toBe(0)
    // the namespace's root may not mkdir in a rootfs of host root's: the mount points exist
    for (const d of ['plain', 'mapped']) mkdirSync(join(env.dir, 'rootfs', d), { recursive: true })
    const r = env.oci(['run', '--bundle', bundle, 'idmap'])
    expect(r.stderr).not.toMatch(/^mini-run: (?!warning)/m)
    // without the idmap, host root is unmapped in the namespace (the overflow id); with it, it is the container's root
    expect(r.stdout.trim().split('\n')).toEqual(['65534', '0'])
    expect(env.leftovers()).toEqual([])
  })

  it('sets the personality, the I/O priority and the scheduling policy before the command runs', () => {
    const bundle = env.bundle('sched', (c) => {
      c.linux.personality = { domain: 'LINUX32' }
      c.process.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }
      c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5 }
      c.process.args = ['/bin/sh', '-c', 'uname -m; ionice; grep -m1 "^policy" /proc/self/sched; cut -d" " -f19 /proc/self/stat']
    })
    const r = env.oci(['run', '--bundle', bundle, 'sched'])
    expect(r.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim())).toEqual(['i686', 'idle', 'policy : 3', '5', ''])
    expect(env.leftovers()).toEqual([])
  })

  it.runIf(existsSync('/dev/fuse') && existsSync('/dev/kmsg'))('lets the container open a device its rules allow, not one they do not', () => {
    const bundle = env.bundle('devices', (c) => {
      c.linux.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }, { path: '/dev/kmsg', type: 'c', major: 1, minor: 11 }]
      c.linux.resources.devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]
      c.process.args = ['/bin/sh', '-c', 'exec 3</dev/fuse && echo fuse-ok; exec 4</dev/kmsg && echo kmsg-ok; true']
    })
    const r = env.oci(['run', '--bundle', bundle, 'devices'])
    expect(r.stdout).toContain('fuse-ok')
    expect(r.stdout).not.toContain('kmsg-ok')
    expect(r.stderr).toMatch(/kmsg: Operation not permitted/)
    expect(env.leftovers()).toEqual([])
  })
})
