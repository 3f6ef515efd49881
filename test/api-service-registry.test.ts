// `docker login`, `docker push` and `docker pull` of a registry that wants
// credentials, through `mini-run system service`: Debian's docker-registry
// on 127.0.0.1 behind the tests' proxy, which answers Bearer challenges and
// hands out tokens only to alice. As with Docker's daemon, the service keeps
// nobody's credentials: /auth checks them, the client stores them, and each
// pull and push brings them in X-Registry-Auth. The file runs in a network
// namespace of its own (helpers/file-netns.ts).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { DOCKER_CLI, hasDockerCli, startService, type RunningService } from './helpers/api-service.js'
import { registryUnavailable, startProxy, startRegistry, type RegistryProxy, type RegistryServer } from './helpers/registry-server.js'

const unavailable = registryUnavailable() ?? (hasDockerCli ? undefined : 'the docker CLI .ci/deps --test unpacks is missing')
const alice = { username: 'alice', password: 's3cret:with:colons' }

describe.skipIf(!isRoot || unavailable)(`system service: docker login, push and pull with credentials (needs root${unavailable ? `; skipped: ${unavailable}` : ''})`, () => {
  let env: TestEnv
  let service: RunningService
  let registry: RegistryServer
  let proxy: RegistryProxy
  let clientEnv: NodeJS.ProcessEnv
  // asynchronous: the registry's proxy answers from this process, so its event loop must run meanwhile
  const docker = (args: string[], input?: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(DOCKER_CLI, args, { env: clientEnv, timeout: 60_000 })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (status) => resolve({ status, stdout, stderr }))
      child.stdin.end(input)
    })
  // a command on a pty of its own, answering each prompt as it comes (python3's pty), asynchronously as docker()
  const onTerminal = (argv: string[], answers: Array<[string, string]>) =>
    new Promise<{ status: number | null; output: string }>((resolve, reject) => {
      const script = `
import json, os, pty, select, sys, time
answers = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b''
deadline = time.time() + 20
while time.time() < deadline:
    if select.select([fd], [], [], 0.1)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        if answers and out.decode(errors='replace').rstrip().endswith(answers[0][0].rstrip()):
            os.write(fd, (answers.pop(0)[1] + '\\n').encode())
sys.stdout.write(out.decode(errors='replace'))
done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:
    os.kill(pid, 9)
    status = os.waitpid(pid, 0)[1]
sys.exit(os.waitstatus_to_exitcode(status))
`
      const child = spawn('python3', ['-c', script, JSON.stringify(answers), ...argv], { env: clientEnv, timeout: 90_000 })
      let output = ''
      child.stdout.on('data', (d: Buffer) => (output += d.toString()))
      child.stderr.on('data', (d: Buffer) => (output += d.toString()))
      child.on('error', reject)
      child.on('close', (status) => resolve({ status, output }))
    })
  // the requests' configurations, under the state root (api-registry.ts): none outlives its request
  const scratchDirs = () => (existsSync(join(env.stateRoot, 'api-auth')) ? readdirSync(join(env.stateRoot, 'api-auth')) : [])
  const header = (auth: object) => Buffer.from(JSON.stringify(auth)).toString('base64url')
  /** A raw request with X-Registry-Auth: the status and the JSON lines of the answer. */
  const withAuth = (method: string, path: string, auth: string) =>
    new Promise<{ status: number; lines: Array<Record<string, any>> }>((resolve, reject) => {
      const req = request({ socketPath: service.socket, method, path, agent: false, headers: { 'X-Registry-Auth': auth } }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, lines: body.split('\n').filter(Boolean).map((l) => JSON.parse(l)) }))
      })
      req.on('error', reject)
      req.end()
    })

  beforeAll(async () => {
    env = await makeTestEnv()
    registry = await startRegistry()
    proxy = await startProxy(registry)
    proxy.auth = { kind: 'bearer', credentials: alice }
    service = await startService(env, ['--time', '0'])
    clientEnv = { PATH: process.env.PATH, HOME: env.dir, DOCKER_HOST: `unix://${service.socket}`, DOCKER_CONFIG: join(env.dir, 'docker-config') }
  })
  afterAll(async () => {
    await service?.stop()
    await proxy?.stop()
    await registry?.stop()
    env?.cleanup()
  })

  it('login checks the credentials through the service and the client keeps them; a wrong password is refused in one line', async () => {
    const wrong = await docker(['login', '-u', alice.username, '--password-stdin', proxy.host], 'wrong\n')
    expect(wrong.status).toBe(1)
    expect(wrong.stderr).toBe(`Error response from daemon: ${proxy.host}: credentials of alice refused by http://${proxy.host}: {"details":"incorrect username or password"}\n`)
    const ok = await docker(['login', '-u', alice.username, '--password-stdin', proxy.host], `${alice.password}\n`)
    expect(ok.stderr).toMatch(/^WARNING! Your password will be stored unencrypted/)
    expect(ok).toMatchObject({ status: 0, stdout: 'Login Succeeded\n' })
    const stored = JSON.parse(readFileSync(join(env.dir, 'docker-config', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> }
    expect(Buffer.from(stored.auths[proxy.host]!.auth, 'base64').toString()).toBe(`${alice.username}:${alice.password}`)
    // the service's side kept nothing: its scratch configuration is gone
    expect(scratchDirs()).toEqual([])
  })

  it('push and pull carry the client\'s credentials; after logout the registry refuses the pull, and nothing of them stays with the service', async () => {
    const ref = `${proxy.host}/private/app:1`
    expect((await docker(['tag', BUSYBOX, ref])).status).toBe(0)
    proxy.reset()
    proxy.auth = { kind: 'bearer', credentials: alice }
    const pushed = await docker(['push', ref])
    expect(pushed.stderr).toBe('')
    expect(pushed.status).toBe(0)
    expect(pushed.stdout).toMatch(new RegExp(`^The push refers to repository \\[${proxy.host}/private/app\\]\\n`, 'm'))
    expect(pushed.stdout).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+$/m)
    // alice's token, from her Basic credentials at the token endpoint
    expect(proxy.tokenRequests.some((r) => r.headers.authorization === `Basic ${Buffer.from(`${alice.username}:${alice.password}`).toString('base64')}`)).toBe(true)
    expect((await docker(['rmi', ref])).status).toBe(0)
    const pulled = await docker(['pull', ref])
    expect(pulled.stderr).toBe('')
    expect(pulled.status).toBe(0)
    expect(env.run(['images', '--format', '{{.Repository}}:{{.Tag}}', `${proxy.host}/private/app`]).stdout).toBe(`${ref}\n`)
    expect((await docker(['rmi', ref])).status).toBe(0)
    expect((await docker(['logout', proxy.host])).status).toBe(0)
    // refused before a line of the pull: a 401, on which docker asks for a login (none without a terminal)
    const refused = await docker(['pull', ref])
    expect(refused.status).toBe(1)
    expect(refused.stdout).toMatch(/Please login prior to pull:/)
    expect(refused.stderr).toBe('Error: Cannot perform an interactive login from a non TTY device\n')
    expect(env.run(['images', '-q', `${proxy.host}/private/app`]).stdout).toBe('')
    // on a terminal, the login it asks for is sent with the pull again, which then goes through
    const prompted = await onTerminal([DOCKER_CLI, 'pull', ref], [['Username: ', alice.username], ['Password: ', alice.password]])
    expect(prompted.output).toMatch(/Please login prior to pull:/)
    expect(prompted.output).toMatch(new RegExp(`Downloaded newer image for ${proxy.host}/private/app:1`))
    expect(prompted.status).toBe(0)
    // the pull's heading once, in Docker's form ({"status": "Pulling from REPO", "id": TAG})
    expect(prompted.output.match(/Pulling from/g)).toHaveLength(1)
    expect(env.run(['images', '--format', '{{.Repository}}:{{.Tag}}', `${proxy.host}/private/app`]).stdout).toBe(`${ref}\n`)
    expect((await docker(['rmi', ref])).status).toBe(0)
    expect(scratchDirs()).toEqual([])
    expect(existsSync(join(env.dir, 'docker-config', 'config.json'))).toBe(true)
  })

  it('the API itself: a name with its tag pushes that tag, with the digest as {"aux"}; a wrong password, a token alone and a header that is no JSON, each as Docker answers', async () => {
    const ref = `${proxy.host}/private/raw:2`
    expect((await docker(['tag', BUSYBOX, ref])).status).toBe(0)
    const good = header({ username: alice.username, password: alice.password, serveraddress: proxy.host })
    const pushed = await withAuth('POST', `/v1.41/images/${ref}/push`, good)
    expect(pushed.status).toBe(200)
    expect(pushed.lines.find((l) => l.error)).toBeUndefined()
    const aux = pushed.lines.find((l) => l.aux)?.aux
    expect(aux).toMatchObject({ Tag: '2', Digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), Size: expect.any(Number) })
    expect(pushed.lines.some((l) => l.status === `2: digest: ${aux.Digest} size: ${aux.Size}`)).toBe(true)
    // credentials named for another registry are not sent to this one: anonymous, refused
    const elsewhere = await withAuth('POST', `/v1.41/images/${ref}/push`, header({ username: alice.username, password: alice.password, serveraddress: 'registry.example' }))
    expect(elsewhere.lines.at(-1)?.error).toMatch(/anonymous access refused/)
    // a pull refused before its first line: the answer's status, as moby's
    const wrong = await withAuth('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(`${proxy.host}/private/raw`)}&tag=2`, header({ username: alice.username, password: 'wrong' }))
    expect(wrong.status).toBe(401)
    expect(wrong.lines).toEqual([{ message: expect.stringMatching(/credentials of alice refused/) }])
    const missing = await withAuth('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(`${proxy.host}/private/raw`)}&tag=nosuch`, good)
    expect(missing.status).toBe(404)
    expect(missing.lines).toEqual([{ message: expect.stringMatching(/nosuch/) }])
    // no tag: latest, which this repository does not have (its first line would be "Using default tag", before the manifest)
    const untagged = await withAuth('POST', `/v1.41/images/create?fromImage=${encodeURIComponent(`${proxy.host}/private/raw`)}`, good)
    expect(untagged.status).toBe(404)
    expect(untagged.lines).toEqual([{ message: expect.stringMatching(/latest/) }])
    const token = await withAuth('POST', `/v1.41/images/${ref}/push`, header({ identitytoken: 'abc' }))
    expect(token).toMatchObject({ status: 400, lines: [{ message: 'X-Registry-Auth: identity and registry tokens are not supported: log in with a username and password' }] })
    // no JSON: no credentials, as moby reads it
    const garbled = await withAuth('POST', `/v1.41/images/${ref}/push`, 'not-json')
    expect(garbled.status).toBe(200)
    expect(garbled.lines.at(-1)?.error).toMatch(/anonymous access refused/)
    expect(scratchDirs()).toEqual([])
    expect((await docker(['rmi', ref])).status).toBe(0)
  })
})
