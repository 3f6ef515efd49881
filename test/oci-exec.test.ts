// OCI exec (issue 11): a process in a running container, from arguments
// (with --env, --cwd, --user) or a process.json as containerd and conmon
// pass it; --detach with --pid-file; --tty over a console socket; exit
// statuses; refused in a container that does not run. Root only.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeOciEnv, type OciEnv } from './helpers/oci.js'
import { isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const CONSOLE_RECEIVER = fileURLToPath(new URL('./helpers/console-socket.py', import.meta.url))

describe.skipIf(!isRoot)('OCI exec', () => {
  let env: OciEnv
  beforeAll(() => {
    env = makeOciEnv()
    const bundle = env.bundle('box', (c) => {
      c.process.args = ['/bin/sleep', '120']
      c.process.env.push('FROM_CONFIG=yes')
    })
    expect(env.ociDetached(['run', '--detach', '--bundle', bundle, 'box']).status).toBe(0)
  })
  afterAll(() => env.cleanup())

  it('runs a command in the container\'s namespaces, with its environment and the flags\' changes', () => {
    const r = env.oci(['exec', '--env', 'ADDED=1', '--cwd', '/tmp', '--user', '1234:4321', 'box', '/bin/sh', '-c', 'echo $FROM_CONFIG $ADDED $(pwd) $(id -u):$(id -g) $(tr "\\0" " " < /proc/1/cmdline)'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('yes 1 /tmp 1234:4321 /bin/sleep 120\n')
  })

  it('returns the command\'s exit status, 127 for a command that does not exist', () => {
    expect(env.oci(['exec', 'box', '/bin/sh', '-c', 'exit 7']).status).toBe(7)
    const missing = env.oci(['exec', 'box', '/no/such'])
    expect(missing.status).toBe(127)
    expect(missing.stderr).toMatch(/no\/such/)
  })

  it('takes a process.json (--process), and with --detach returns at once, the pid in --pid-file', async () => {
    const proc = join(env.dir, 'process.json')
    writeFileSync(proc, JSON.stringify({
      user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', 'echo $$ > /tmp/exec-pid; sleep 100'], env: ['PATH=/bin'], cwd: '/',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
    }))
    const pidFile = join(env.dir, 'exec.pid')
    const started = Date.now()
    const r = env.ociDetached(['exec', '--process', proc, '--detach', '--pid-file', pidFile, 'box'])
    expect(r.status).toBe(0)
    expect(Date.now() - started).toBeLessThan(20_000)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^CapBnd:\s+0000000000000020$/m)
    const ps = JSON.parse(env.oci(['ps', '--format', 'json', 'box']).stdout) as number[]
    expect(ps).toContain(pid)
    expect(ps.length).toBeGreaterThanOrEqual(3)
    process.kill(pid, 'SIGKILL')
  })

  it('gives a --tty process a pty whose master goes to --console-socket', async () => {
    const socketPath = join(env.dir, 'exec-console.sock')
    const receiver = spawn('python3', [CONSOLE_RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    receiver.stdout.on('data', (d) => (out += d))
    const exited = new Promise((r) => receiver.on('close', r))
    try {
      await until('the receiver to listen', () => /^listening$/m.test(out))
      const r = env.ociDetached(['exec', '--tty', '--console-socket', socketPath, '--detach', 'box', '/bin/sh', '-c', 'tty; stty size'])
      expect(r.stderr).toBe('')
      await exited
      expect(out).toMatch(/received tty[\s\S]*\/dev\/pts\/\d+/)
    } finally {
      receiver.kill()
    }
    const refused = env.oci(['exec', '--tty', '--detach', 'box', '/bin/true'])
    expect(refused.stderr).toContain('cannot allocate tty if mini-run will detach without setting console socket')
  })

  it('is refused in a container that has stopped', async () => {
    const bundle = env.bundle('done', (c) => (c.process.args = ['/bin/true']))
    expect(env.oci(['run', '--keep', '--bundle', bundle, 'done']).status).toBe(0)
    const r = env.oci(['exec', 'done', '/bin/true'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('cannot exec in a stopped container')
    expect(env.oci(['delete', 'done']).status).toBe(0)
  })
})
