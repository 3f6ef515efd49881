// The service itself, over raw HTTP on its socket: who may connect, what a
// second service or a stale socket meets, the idle time, and Docker's
// answers for bad requests (a JSON message, the status a client acts on).
import { connect } from 'node:net'
import { request } from 'node:http'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { api, startService, type RunningService } from './helpers/api-service.js'
import { until } from './helpers/until.js'

describe.skipIf(!isRoot)('system service: the socket and the answers (needs root)', () => {
  let env: TestEnv
  let service: RunningService
  beforeAll(async () => {
    env = await makeTestEnv()
    service = await startService(env, ['-t', '0'])
  })
  afterAll(async () => {
    await service?.stop()
    env?.cleanup()
  })

  it("the socket is its owner's alone; a second service on it is refused in one line, and the first goes on", async () => {
    expect(statSync(service.socket).mode & 0o777).toBe(0o600)
    const second = env.run(['system', 'service', '-t', '0', `unix://${service.socket}`])
    expect(second.status).toBe(1)
    expect(second.stderr).toBe(`mini-run: ${service.socket}: a service is already listening there\n`)
    const ping = await api(service.socket, 'GET', '/_ping')
    expect(ping).toMatchObject({ status: 200, body: 'OK' })
    expect(ping.headers['api-version']).toBe('1.41')
  })

  it('Docker\'s answers: 404 with a message for what does not exist, 400 for a client too new or a field refused, 405 for a wrong method', async () => {
    const answer = async (method: string, path: string, body?: unknown) => {
      const r = await api(service.socket, method, path, body)
      return `${r.status} ${JSON.parse(r.body).message}`
    }
    expect(await answer('GET', '/v1.41/containers/nosuch/json')).toBe('404 No such container: nosuch')
    expect(await answer('GET', '/v1.41/images/nosuch:1/json')).toBe('404 No such image: nosuch:1')
    expect(await answer('GET', '/v1.41/nothing')).toBe('404 page not found: /nothing')
    expect(await answer('GET', '/v1.99/_ping')).toBe('400 client version 1.99 is too new. Maximum supported API version is 1.41')
    expect(await answer('PUT', '/containers/json')).toBe('405 PUT is not allowed on /containers/json')
    expect(await answer('POST', '/containers/create', { Image: BUSYBOX, HostConfig: { VolumeDriver: 'flocker' } })).toBe("400 HostConfig.VolumeDriver: mini-run's API does not take this field")
    expect(await answer('POST', '/containers/create', { Image: 'nosuch:1' })).toBe('404 No such image: nosuch:1')
    expect(await answer('POST', '/containers/create', '{not json')).toMatch(/^400 invalid JSON body/)
    // nothing was made by the refusals
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('create, start, wait and delete over raw HTTP; the list and inspect say what mini-run says', async () => {
    const made = await api(service.socket, 'POST', '/v1.41/containers/create?name=raw', { Image: BUSYBOX, Cmd: ['sh', '-c', 'exit 6'], HostConfig: { NetworkMode: 'none' } })
    expect(made.status).toBe(201)
    const { Id } = JSON.parse(made.body) as { Id: string }
    expect(env.run(['ps', '-a', '-q', '--no-trunc']).stdout.trim()).toBe(Id)
    const listed = JSON.parse((await api(service.socket, 'GET', '/containers/json?all=1')).body)
    expect(listed).toMatchObject([{ Id, Names: ['/raw'], Image: BUSYBOX, Command: 'sh -c exit 6', State: 'created', Status: 'Created' }])
    expect((await api(service.socket, 'POST', `/containers/${Id}/start`)).status).toBe(204)
    expect(JSON.parse((await api(service.socket, 'POST', `/containers/raw/wait`)).body)).toEqual({ StatusCode: 6, Error: null })
    expect((await api(service.socket, 'POST', `/containers/raw/stop`)).status).toBe(304)
    const inspect = JSON.parse((await api(service.socket, 'GET', '/containers/raw/json')).body)
    expect(inspect).toEqual(JSON.parse(env.run(['inspect', 'raw']).stdout)[0])
    // a value is a value: a new name like a flag is refused as a name, not read as --help
    const renamed = await api(service.socket, 'POST', '/containers/raw/rename?name=--help')
    expect(renamed.status).toBe(400)
    expect(JSON.parse(renamed.body).message).toMatch(/^invalid .*--help/i)
    expect(env.run(['ps', '-a', '--format', '{{.Names}}']).stdout).toBe('raw\n')
    expect((await api(service.socket, 'DELETE', '/containers/raw')).status).toBe(204)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('exec create: 409 for a paused or stopped container, in Docker\'s words; 201 once it runs again', async () => {
    const run = env.run(['run', '-d', '--name', 'held', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '100'])
    expect(run.status).toBe(0)
    const id = run.stdout.trim()
    try {
      const exec = async () => {
        const r = await api(service.socket, 'POST', '/v1.41/containers/held/exec', { Cmd: ['true'] })
        return r.status === 201 ? 201 : `${r.status} ${JSON.parse(r.body).message}`
      }
      expect(env.run(['pause', 'held']).status).toBe(0)
      expect(await exec()).toBe(`409 Container ${id} is paused, unpause the container before exec`)
      expect(env.run(['unpause', 'held']).status).toBe(0)
      expect(await exec()).toBe(201)
      expect(env.run(['stop', '-t', '0', 'held']).status).toBe(0)
      expect(await exec()).toBe(`409 Container ${id} is not running`)
    } finally {
      env.run(['rm', '-f', 'held'])
    }
  })

  it('a detached exec: Running with its pid while its command runs, then its exit code; started twice, a 409; its events carry its Id', async () => {
    const run = env.run(['run', '-d', '--name', 'bg', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '100'])
    expect(run.status).toBe(0)
    try {
      const made = await api(service.socket, 'POST', '/v1.41/containers/bg/exec', { Cmd: ['sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; exit 7'] })
      expect(made.status).toBe(201)
      const { Id } = JSON.parse(made.body) as { Id: string }
      const inspect = async () => JSON.parse((await api(service.socket, 'GET', `/v1.41/exec/${Id}/json`)).body) as { Running: boolean; ExitCode: number | null; Pid: number }
      expect(await inspect()).toMatchObject({ Running: false, ExitCode: null })
      expect((await api(service.socket, 'POST', `/v1.41/exec/${Id}/start`, { Detach: true })).status).toBe(200)
      // it waits for the test's mark: running, with the pid of its process on the host
      const running = await inspect()
      expect(running).toMatchObject({ Running: true, ExitCode: null })
      expect(readFileSync(`/proc/${running.Pid}/cgroup`, 'utf8')).toContain(run.stdout.trim())
      const again = await api(service.socket, 'POST', `/v1.41/exec/${Id}/start`, { Detach: true })
      expect(`${again.status} ${JSON.parse(again.body).message}`).toBe(`409 exec instance ${Id} has already been started`)
      expect(env.run(['exec', 'bg', 'touch', '/tmp/go']).status).toBe(0)
      await until('the detached exec ended', async () => (await inspect()).Running === false)
      expect(await inspect()).toMatchObject({ Running: false, ExitCode: 7, Pid: running.Pid })
      const events = env.run(['events', '--since', '0', '--until', (Date.now() / 1000 + 0.5).toFixed(3), '--filter', 'event=exec_start', '--format', '{{.Actor.Attributes.execID}}'])
      expect(events.stdout.split('\n')).toContain(Id)
    } finally {
      env.run(['rm', '-f', 'bg'])
    }
  })

  it('resize sets the size of a container\'s terminal, which its processes see; a bad size is a 400, a stopped container a 409', async () => {
    const run = env.run(['run', '-d', '-t', '--name', 'term', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '100'])
    expect(run.status).toBe(0)
    try {
      const size = () => env.run(['exec', 'term', 'sh', '-c', 'stty size < /proc/1/fd/0']).stdout
      for (const [h, w] of [[33, 77], [50, 140]]) {
        expect((await api(service.socket, 'POST', `/v1.41/containers/term/resize?h=${h}&w=${w}`)).status).toBe(200)
        await until(`the terminal at ${h}x${w}`, () => size() === `${h} ${w}\n`)
      }
      const answer = async (path: string) => {
        const r = await api(service.socket, 'POST', path)
        return `${r.status} ${JSON.parse(r.body).message}`
      }
      expect(await answer('/containers/term/resize?h=x&w=80')).toBe('400 invalid terminal size: h=x')
      expect(await answer('/containers/term/resize?h=24&w=70000')).toBe('400 invalid terminal size: w=70000')
      expect(size()).toBe('50 140\n')
      expect(env.run(['stop', '-t', '0', 'term']).status).toBe(0)
      expect(await answer('/containers/term/resize?h=24&w=80')).toMatch(/^409 Container [0-9a-f]{64} is not running$/)
    } finally {
      env.run(['rm', '-f', 'term'])
    }
  })

  it('attach with logs=1: what the container wrote so far (and no more with stream=0); with stream=1 and no input, the log followed to its exit', async () => {
    // the second line waits for the test's word (/go), so the first checks see a container that runs
    const run = env.run(['run', '-d', '--name', 'talk', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo one; echo err >&2; until [ -e /go ]; do sleep 0.1; done; echo two'])
    expect(run.status).toBe(0)
    try {
      // Docker's multiplexed frames: [stream, 0, 0, 0, size (big-endian)], then the bytes
      const demux = (body: string) => {
        const bytes = Buffer.from(body)
        const out: Record<number, string> = { 1: '', 2: '' }
        for (let at = 0; at + 8 <= bytes.length; at += 8 + bytes.readUInt32BE(at + 4)) out[bytes[at]!] += bytes.subarray(at + 8, at + 8 + bytes.readUInt32BE(at + 4)).toString()
        return out
      }
      await until('the first lines in the log', () => {
        const logs = env.run(['logs', 'talk'])
        return logs.stdout === 'one\n' && logs.stderr === 'err\n'
      })
      const sofar = await api(service.socket, 'POST', '/v1.41/containers/talk/attach?logs=1&stream=0&stdout=1&stderr=1')
      expect(sofar.status).toBe(200)
      expect(demux(sofar.body)).toEqual({ 1: 'one\n', 2: 'err\n' })
      expect(env.run(['inspect', '-f', '{{.State.Running}}', 'talk']).stdout).toBe('true\n')
      expect((await api(service.socket, 'POST', '/v1.41/containers/talk/attach?stdout=1&stderr=1')).body).toBe('')
      // the word once the answer has begun (the attach is there), then the rest to the exit
      let body = ''
      const followed = new Promise<void>((resolve, reject) => {
        const req = request({ socketPath: service.socket, method: 'POST', path: '/v1.41/containers/talk/attach?logs=1&stream=1&stdout=1', agent: false }, (res) => {
          expect(env.run(['exec', 'talk', 'touch', '/go']).status).toBe(0)
          res.on('data', (d: Buffer) => (body += d.toString()))
          res.on('end', resolve)
        })
        req.on('error', reject)
        req.end()
      })
      await followed
      expect(demux(body)).toEqual({ 1: 'one\ntwo\n', 2: '' })
      expect(env.run(['inspect', '-f', '{{.State.Running}}', 'talk']).stdout).toBe('false\n')
    } finally {
      env.run(['rm', '-f', 'talk'])
    }
  })

  it('a stale socket is replaced; --time ends an idle service and removes its socket; tcp:// is refused', async () => {
    const path = join(env.dir, 'stale.sock')
    // a socket nobody answers on: what a killed service leaves
    const holder = await startService(env, ['-t', '0'], path)
    process.kill(holder.pid, 'SIGKILL')
    await holder.stop()
    expect(existsSync(path)).toBe(true)
    const idle = await startService(env, ['--time', '1'], path)
    expect((await api(path, 'GET', '/_ping')).status).toBe(200)
    // its keep-alive connections closed (5 s, Node's server), then 1 s idle
    await until('the idle service to end', () => !existsSync(path), 15_000)
    expect((await idle.ended).status).toBe(0)
    await expect(new Promise((resolve, reject) => connect(path).once('connect', resolve).once('error', reject))).rejects.toThrow(/ENOENT/)
    const tcp = env.run(['system', 'service', 'tcp://127.0.0.1:2375'])
    expect(tcp.status).toBe(1)
    expect(tcp.stderr).toBe('mini-run: tcp://127.0.0.1:2375: mini-run serves its API on a unix socket only (a TCP socket would give anyone who reaches it root)\n')
  })
})
