// `mini-run system service` run by an ordinary user with subordinate ids, as
// `podman system service` runs rootless: the user's own socket under
// $XDG_RUNTIME_DIR, the docker CLI run as the same user against it, and the
// containers it makes are the user's rootless ones (uid 0 inside is the
// user outside, the image's other ids their subordinate ones), listed by
// the user's own `mini-run ps`. --network none: pasta's network needs a
// namespace set up as network-rootless.test.ts does, and is tested there.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { createTestUser, subidsMissing, type TestUser } from './helpers/test-user.js'
import { BUSYBOX_OCI } from './helpers/test-env.js'
import { DOCKER_CLI, hasDockerCli } from './helpers/api-service.js'
import { until } from './helpers/until.js'

const missing = subidsMissing() ?? (hasDockerCli ? undefined : 'the docker CLI .ci/deps --test unpacks is missing')
const IMAGE = 'localhost/mini-run/busybox:latest'

describe.skipIf(missing)(`system service as an ordinary user${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let tmp: string
  let user: TestUser
  let staged: StagedCli
  let docker: string
  let socket: string
  let service: ChildProcess | undefined
  let serviceEnd: Promise<number | null>
  const env = () => ({ HOME: user.home, XDG_RUNTIME_DIR: user.runtimeDir, USER: user.name, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(user.home, '.docker') })
  const as = (argv: string[]) => user.run(argv, 60_000)
  const dockerAs = (args: string[]) => user.run(['env', ...Object.entries(env()).map(([k, v]) => `${k}=${v}`), docker, ...args], 60_000)

  beforeAll(async () => {
    tmp = openTempDir('mini-run-api-rootless-')
    user = createTestUser({ subids: true, tmpDir: tmp })
    staged = stageCli(tmp)
    // the client and the image where the user can read them (the checkout may be root's alone)
    docker = join(tmp, 'docker')
    copyFileSync(DOCKER_CLI, docker)
    chmodSync(docker, 0o755)
    const oci = join(tmp, 'busybox-oci')
    execFileSync('cp', ['-a', BUSYBOX_OCI, oci])
    execFileSync('chmod', ['-R', 'a+rX', oci])
    expect(as([staged.cli, 'load', '-i', oci]).status).toBe(0)
    socket = join(user.runtimeDir, 'docker.sock')
    service = spawn('setpriv', ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--', '/bin/sh', '-c', 'cd "$HOME" && exec "$@"', 'sh', staged.cli, 'system', 'service', '--time', '0', `unix://${socket}`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env() },
      stdio: 'ignore',
    })
    serviceEnd = new Promise((resolve) => service!.once('exit', (code) => resolve(code)))
    await until('the rootless service\'s socket', () => existsSync(socket) && dockerAs(['version', '--format', '{{.Server.APIVersion}}']).status === 0, 30_000, 100)
  })
  afterAll(async () => {
    if (service?.exitCode === null) {
      service.kill('SIGTERM')
      await serviceEnd
    }
    user?.remove()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('docker run: uid 0 inside is the user outside, the image\'s other ids their subordinate ones; the exit code comes back', () => {
    const r = dockerAs(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'id -u; cat /proc/self/uid_map; exit 3'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(3)
    const [uid, ...maps] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '))
    expect(uid).toBe('0')
    expect(maps).toEqual([`0 ${user.uid} 1`, `1 ${user.subids!.start} ${user.subids!.size}`])
    // --rm: nothing left, in the user's own list
    expect(as([staged.cli, 'ps', '-a', '-q']).stdout).toBe('')
  })

  it('run -d, exec, logs, stats, a named volume written as another id, stop, rm and prune, each as the user\'s mini-run sees it', async () => {
    const id = dockerAs(['run', '-d', '--name', 'svc', '--network', 'none', '-v', 'data:/data', IMAGE, 'sh', '-c', 'chown 1234:1234 /data; echo up; exec sleep 60']).stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    // the chown done: it says so after it
    await until('the container\'s chown', () => dockerAs(['logs', 'svc']).stdout === 'up\n', 20_000, 100)
    expect(as([staged.cli, 'ps', '-q', '--no-trunc']).stdout.trim()).toBe(id)
    expect(dockerAs(['exec', '-u', '1234', 'svc', 'sh', '-c', 'id -u > /data/who; cat /data/who'])).toMatchObject({ status: 0, stdout: '1234\n' })
    expect(dockerAs(['logs', 'svc']).stdout).toBe('up\n')
    const stats = dockerAs(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', 'svc'])
    expect(stats).toMatchObject({ status: 0, stdout: 'svc 1\n' })
    expect(dockerAs(['stop', '-t', '0', 'svc']).status).toBe(0)
    expect(dockerAs(['rm', 'svc']).status).toBe(0)
    // the volume's file belongs to the user's subordinate id 1234 on disk: removed in the user's namespace
    const volumes = dockerAs(['volume', 'prune', '-f'])
    expect(volumes).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Deleted Volumes:\ndata\n/) })
    expect(as([staged.cli, 'volume', 'ls', '-q']).stdout).toBe('')
    expect(as([staged.cli, 'ps', '-a', '-q']).stdout).toBe('')
  })

  it('the service ends on SIGTERM and its socket goes with it', async () => {
    service!.kill('SIGTERM')
    expect(await serviceEnd).toBe(0)
    expect(existsSync(socket)).toBe(false)
  })
})
