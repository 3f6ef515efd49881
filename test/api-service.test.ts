// `mini-run system service`: Docker's Engine API on a unix socket, used by
// its real clients as their users type them: the docker CLI (Debian's
// docker.io client, unpacked by .ci/deps) with DOCKER_HOST, the Docker SDK
// for Python, and docker-compose 1.x bringing up a stack that is then
// fetched through its published port. The file runs in a network namespace
// of its own (helpers/file-netns.ts): the bridge, its rules and the ports
// on 127.0.0.1 are the test's alone.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { DOCKER_CLI, dockerClient, hasDockerCli, startService, type DockerRun, type RunningService } from './helpers/api-service.js'
import { findHelper } from '../src/network/netavark.js'
import { until } from './helpers/until.js'

const netavark = findHelper('netavark') !== undefined
const PYTHON = '/usr/bin/python3'
const PTY_SCRIPT = fileURLToPath(new URL('./helpers/pty-script.py', import.meta.url))
const hasPythonSdk = spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0

describe.skipIf(!isRoot || !netavark || !hasDockerCli)('system service: the docker CLI through DOCKER_HOST (needs root, netavark, and the docker CLI .ci/deps --test unpacks)', () => {
  let env: TestEnv
  let service: RunningService
  let clientEnv: NodeJS.ProcessEnv
  let docker: DockerRun
  const page = async (port: number) => {
    let text = ''
    await until(`a page on 127.0.0.1:${port}`, async () => {
      text = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '')
      return text !== ''
    }, 15_000)
    return text
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    service = await startService(env, ['--time', '0'])
    ;({ env: clientEnv, run: docker } = dockerClient(env, service))
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
  })
  afterAll(async () => {
    await service?.stop()
    env?.cleanup()
  })

  it('version names the server; run gives the output, the streams apart and the exit code, and takes stdin', () => {
    const v = docker(['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}}'])
    expect(v.stderr).toBe('')
    expect(v.stdout.trim()).toBe('mini-run 1.41')
    const r = docker(['run', '--rm', '--network', 'none', BUSYBOX, 'sh', '-c', 'echo out; echo err >&2; exit 3'])
    expect(r).toMatchObject({ status: 3, stdout: 'out\n', stderr: 'err\n' })
    const cat = docker(['run', '-i', '--rm', '--network', 'none', BUSYBOX, 'sh', '-c', 'tr a-z A-Z; echo done'], { input: 'piped in\n' })
    expect(cat).toMatchObject({ status: 0, stdout: 'PIPED IN\ndone\n' })
    // --rm: nothing left
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('run -d, ps, exec, logs, inspect, stop and rm act on the container mini-run itself lists', () => {
    const id = docker(['run', '-d', '--name', 'api-web', '--network', 'none', '-e', 'GREETING=hi', '--label', 'tier=web', BUSYBOX, 'sh', '-c', 'echo started; exec sleep 60']).stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(env.run(['ps', '-q', '--no-trunc']).stdout.trim()).toBe(id)
    expect(docker(['ps', '--filter', 'label=tier=web', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^api-web Up /)
    const exec = docker(['exec', 'api-web', 'sh', '-c', 'echo "$GREETING from exec"; exit 4'])
    expect(exec).toMatchObject({ status: 4, stdout: 'hi from exec\n' })
    expect(docker(['logs', 'api-web']).stdout).toBe('started\n')
    expect(docker(['inspect', '-f', '{{.State.Status}} {{.Config.Labels.tier}}', 'api-web']).stdout.trim()).toBe('running web')
    expect(docker(['stop', '-t', '0', 'api-web']).status).toBe(0)
    expect(JSON.parse(env.run(['inspect', id]).stdout)[0].State.ExitCode).toBe(137)
    expect(docker(['rm', 'api-web']).status).toBe(0)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    const gone = docker(['rm', 'api-web'])
    expect(gone.status).toBe(1)
    expect(gone.stderr.trim()).toBe('Error: No such container: api-web')
  })

  it('docker cp both ways, diff, commit and export: the container\'s files through the archive endpoints', () => {
    // a name past ustar's 100 bytes: its tar has a pax header first, and the stat is still the file's
    const long = `${'n'.repeat(120)}.txt`
    docker(['run', '-d', '--network', 'none', '--name', 'files', BUSYBOX, 'sh', '-c', `mkdir -p /data/sub /long && echo one > /data/sub/f && echo far > /long/${long} && exec sleep 60`])
    const out = join(env.dir, 'cp-out')
    mkdirSync(out)
    // the directory appears once the shell made it: the copy is the test's poll
    let from = docker(['cp', 'files:/data', out])
    for (let i = 0; i < 50 && from.status !== 0; i++) from = docker(['cp', 'files:/data', out])
    expect(from.status, from.stderr).toBe(0)
    expect(readFileSync(join(out, 'data', 'sub', 'f'), 'utf8')).toBe('one\n')
    expect(docker(['cp', `files:/long/${long}`, out]).status).toBe(0)
    expect(readFileSync(join(out, long), 'utf8')).toBe('far\n')
    expect(docker(['cp', 'files:/data/sub/f', join(out, 'g')]).status).toBe(0)
    expect(readFileSync(join(out, 'g'), 'utf8')).toBe('one\n')
    writeFileSync(join(out, 'h'), 'two\n')
    expect(docker(['cp', join(out, 'h'), 'files:/data/']).status).toBe(0)
    expect(docker(['exec', 'files', 'cat', '/data/h']).stdout).toBe('two\n')
    expect(docker(['cp', 'files:/nope', out])).toMatchObject({ status: 1, stderr: 'Error: No such container:path: files:/nope\n' })
    expect(docker(['diff', 'files']).stdout).toBe(`A /data\nA /data/h\nA /data/sub\nA /data/sub/f\nA /long\nA /long/${long}\n`)
    expect(docker(['commit', '-c', 'CMD ["cat", "/data/h"]', 'files', 'api-snap:1']).stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/)
    expect(docker(['run', '--rm', '--network', 'none', 'api-snap:1']).stdout).toBe('two\n')
    const tar = spawnSync(DOCKER_CLI, ['export', 'files'], { env: clientEnv, maxBuffer: 64 << 20 })
    expect(tar.status).toBe(0)
    expect(spawnSync('tar', ['-t'], { input: tar.stdout, encoding: 'utf8' }).stdout.split('\n')).toContain('data/h')
    expect(docker(['rmi', 'api-snap:1']).status).toBe(0)
  })

  it('run -d -p -v: a page served from a bind-mounted directory, fetched through the published port', async () => {
    const www = join(env.dir, 'www')
    mkdirSync(www)
    writeFileSync(join(www, 'index.html'), 'served through the API\n')
    const r = docker(['run', '-d', '-p', '127.0.0.1:18080:80', '-v', `${www}:/www:ro`, BUSYBOX, 'httpd', '-f', '-p', '80', '-h', '/www'])
    expect(r.stderr).toBe('')
    expect(await page(18080)).toBe('served through the API\n')
    expect(docker(['port', r.stdout.trim()]).stdout).toBe('80/tcp -> 127.0.0.1:18080\n')
  })

  it('a terminal: docker run -it and docker exec -it, typed into on a pty, show the prompt, take the client\'s size and give the exit code', () => {
    const typed = (args: string[], line: string) => {
      const r = spawnSync(PYTHON, [PTY_SCRIPT, JSON.stringify([{ wait: '# ', send: `${line}\r` }]), DOCKER_CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...clientEnv, PTY_SIZE: '33,77' } })
      return JSON.parse(r.stdout) as { output: string; status: number | null; steps: number }
    }
    // the client's terminal size reaches the container's (POST /containers/ID/resize, which docker sends once it runs)
    const sized = 'for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(stty size)" = "33 77" ] \x26\x26 break; sleep 0.3; done'
    const run = typed(['run', '-it', '--rm', '--network', 'none', BUSYBOX, 'sh'], `echo $((6*7)); tty; ${sized}; echo "size $(stty size)"; exit 5`)
    expect(run).toMatchObject({ status: 5, steps: 1 })
    expect(run.output).toMatch(/\/ # .*\r\n42\r\n\/dev\/pts\/0\r\nsize 33 77\r\n/s)
    const id = docker(['run', '-d', '--network', 'none', BUSYBOX, 'sleep', '60']).stdout.trim()
    // and an exec's (POST /exec/ID/resize onto script(1)'s pty, which mini-run exec -it follows)
    const exec = typed(['exec', '-it', id, 'sh'], `echo $((6*8)); tty; ${sized}; echo "size $(stty size)"; exit 6`)
    expect(exec).toMatchObject({ status: 6, steps: 1 })
    expect(exec.output).toMatch(/\r\n48\r\n\/dev\/pts\/\d+\r\nsize 33 77\r\n/)
    // -t without -i: the command's terminal, its output raw
    expect(docker(['exec', '-t', id, 'sh', '-c', 'tty; exit 2'])).toMatchObject({ status: 2, stdout: expect.stringMatching(/^\/dev\/pts\/\d+\r\n$/) })
  })

  it('docker start -a of a stopped container: its next run\'s output, not the last one\'s again, and its exit code; docker events saw it', async () => {
    const since = Math.floor(Date.now() / 1000)
    const id = docker(['create', '--network', 'none', BUSYBOX, 'sh', '-c', 'echo run $(cat /n 2>/dev/null || echo 1); echo 2 > /n; exit 4']).stdout.trim()
    expect(docker(['start', '-a', id])).toMatchObject({ status: 4, stdout: 'run 1\n' })
    expect(docker(['start', '-a', id])).toMatchObject({ status: 4, stdout: 'run 2\n' })
    // the monitor logs its die a moment after the exit code is read: asked again until it is there
    const actions = () => docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000)), '--filter', `container=${id}`, '--format', '{{.Action}}']).stdout.split('\n').filter(Boolean)
    await until('the second die event', () => actions().length >= 5, 10_000, 250)
    expect(actions()).toEqual(['create', 'start', 'die', 'start', 'die'])
  })

  it('docker build (the classic builder\'s POST /build): a context with -f and --build-arg, the image run; -q prints its id; a failing step is one error, exit 1', () => {
    const ctx = join(env.dir, 'ctx')
    mkdirSync(join(ctx, 'sub'), { recursive: true })
    writeFileSync(join(ctx, 'msg'), 'from the context\n')
    writeFileSync(join(ctx, 'sub', 'Dockerfile.api'), `FROM ${BUSYBOX}\nARG WHO=nobody\nCOPY msg /msg\nRUN echo "built for $WHO" >> /msg\nCMD ["cat", "/msg"]\n`)
    const build = docker(['build', '-t', 'api-built:1', '-f', join(ctx, 'sub', 'Dockerfile.api'), '--build-arg', 'WHO=api', ctx])
    expect(build.status, build.stderr).toBe(0)
    expect(build.stdout).toMatch(/STEP 4\/5: RUN echo "built for \$WHO" >> \/msg\n.*Successfully built [0-9a-f]{12}\nSuccessfully tagged api-built:1\n$/s)
    expect(build.stdout.match(/Successfully tagged/g)).toHaveLength(1)
    expect(docker(['run', '--rm', '--network', 'none', 'api-built:1'])).toMatchObject({ status: 0, stdout: 'from the context\nbuilt for api\n' })
    const quiet = docker(['build', '-q', '-f', join(ctx, 'sub', 'Dockerfile.api'), '--build-arg', 'WHO=api', ctx])
    expect(quiet.stdout.trim()).toBe(JSON.parse(env.run(['image', 'inspect', 'api-built:1']).stdout)[0].Id)
    const failing = docker(['build', '-'], { input: `FROM ${BUSYBOX}\nRUN exit 3\n` })
    expect(failing.status).toBe(1)
    expect(failing.stderr.trim().split('\n').filter((l) => l.includes('exited with code 3'))).toEqual(['Dockerfile:2: RUN /bin/sh -c exit 3: the command exited with code 3'])
    // save and load through the API: the tar out, the image back after its removal
    const saved = spawnSync(DOCKER_CLI, ['save', 'api-built:1'], { env: clientEnv, maxBuffer: 64 << 20 })
    expect(saved.status, String(saved.stderr)).toBe(0)
    expect(docker(['rmi', 'api-built:1']).status).toBe(0)
    expect(docker(['load'], { input: saved.stdout })).toMatchObject({ status: 0, stdout: 'Loaded image: api-built:1\n' })
    expect(docker(['run', '--rm', '--network', 'none', 'api-built:1']).stdout).toBe('from the context\nbuilt for api\n')
    expect(docker(['rmi', 'api-built:1']).status).toBe(0)
  })

  it('a command the image does not have: Docker\'s message and 127; --rm leaves nothing', () => {
    const r = docker(['run', '--rm', '--network', 'none', BUSYBOX, 'no-such-command'])
    expect(r.status).toBe(127)
    expect(r.stderr).toContain('docker: Error response from daemon: exec "no-such-command": executable file not found in $PATH.')
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it('an image the store does not have: the pull is tried, and its failure is one line, exit 125', () => {
    const r = docker(['run', '--rm', '127.0.0.1:1/nothing-here', 'true'])
    expect(r.status).toBe(125)
    expect(r.stderr).toContain("Unable to find image '127.0.0.1:1/nothing-here:latest' locally")
    expect(r.stderr).toMatch(/docker: .*127\.0\.0\.1:1.*ECONNREFUSED/)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it.skipIf(!hasPythonSdk)('the Docker SDK for Python (python3-docker): run, detach, exec, list by label, wait, NotFound', () => {
    const script = `
import docker, json
c = docker.DockerClient(base_url=${JSON.stringify(`unix://${service.socket}`)})
out = {}
out['ping'] = c.ping()
out['run'] = c.containers.run(${JSON.stringify(BUSYBOX)}, ['sh', '-c', 'echo from-sdk; echo e >&2'], network_mode='none', remove=True, stderr=True).decode()
ct = c.containers.run(${JSON.stringify(BUSYBOX)}, ['sleep', '60'], detach=True, name='sdk1', network_mode='none', labels={'app': 'sdk'}, environment={'A': 'b'})
out['exec'] = list(ct.exec_run(['sh', '-c', 'echo $A; exit 5']))
out['exec'][1] = out['exec'][1].decode()
out['listed'] = [x.name for x in c.containers.list(filters={'label': 'app=sdk'})]
out['none'] = [x.name for x in c.containers.list(filters={'label': ['app=sdk', 'other=1']})]
ct.kill()
out['wait'] = ct.wait()
ct.remove()
try:
    c.containers.get('sdk1')
except docker.errors.NotFound:
    out['gone'] = True
try:
    c.containers.run(${JSON.stringify(BUSYBOX)}, ['sh', '-c', 'exit 7'], network_mode='none', remove=True)
except docker.errors.ContainerError as e:
    out['failed'] = e.exit_status
# not here, so the SDK pulls it: the pull's own error, as its answer's status (moby's, before a line of it)
try:
    c.containers.run('127.0.0.1:1/nothing-here', ['true'])
except docker.errors.APIError as e:
    out['pull refused'] = [type(e).__name__, e.status_code, 'ECONNREFUSED' in str(e)]
print(json.dumps(out))
`
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 120_000, env: clientEnv })
    expect(r.stderr).toBe('')
    expect(JSON.parse(r.stdout)).toEqual({
      ping: true,
      run: 'from-sdk\ne\n',
      exec: [5, 'b\n'],
      listed: ['sdk1'],
      none: [],
      wait: { StatusCode: 137, Error: null },
      gone: true,
      failed: 7,
      'pull refused': ['APIError', 500, true],
    })
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it.skipIf(!hasPythonSdk)('the Docker SDK for Python: stats, attach with logs, update, history, df and the prunes, as its users call them', () => {
    const script = `
import docker, json, time
c = docker.DockerClient(base_url=${JSON.stringify(`unix://${service.socket}`)})
out = {}
ct = c.containers.run(${JSON.stringify(BUSYBOX)}, ['sh', '-c', 'echo hello; while [ ! -e /go ]; do sleep 0.1; done; echo bye'], detach=True, name='sdk2', network_mode='none')
s = ct.stats(stream=False)
out['stats'] = [s['name'], s['pids_stats']['current'] >= 1, s['precpu_stats']['cpu_usage']['total_usage'] > 0, s['memory_stats']['usage'] > 0]
ct.update(restart_policy={'Name': 'on-failure', 'MaximumRetryCount': 2})
ct.reload()
out['policy'] = ct.attrs['HostConfig']['RestartPolicy']
# logs=1&stream=0 (this SDK sends stream as asked): what it wrote so far, at once, while it runs;
# once its first line is in the log (a loaded machine's monitor may be behind)
for _ in range(200):
    if ct.logs() == b'hello\\n':
        break
    time.sleep(0.05)
out['attach'] = ct.attach(logs=True, stream=False).decode()
ct.exec_run(['touch', '/go'])
out['exit'] = ct.wait()['StatusCode']
out['logs'] = ct.logs().decode()
out['history'] = [h['Id'] for h in c.images.get(${JSON.stringify(BUSYBOX)}).history()][:1]
df = c.df()
out['df'] = [len(df['Images']), [x['Names'] for x in df['Containers']], 'LayersSize' in df]
out['pruned'] = c.containers.prune()['ContainersDeleted'] == [ct.id]
# what the file's other tests left is theirs: the answers' shapes
out['networks'] = sorted(c.networks.prune().keys())
out['images'] = sorted(c.images.prune().keys())
out['volumes'] = sorted(c.volumes.prune().keys())
print(json.dumps(out))
`
    // the images the file's other tests made count too
    const images = new Set(env.run(['images', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean)).size
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 120_000, env: clientEnv })
    expect(r.stderr).toBe('')
    const id = JSON.parse(env.run(['images', '--no-trunc', '--format', '{{json .}}', BUSYBOX]).stdout).ID as string
    const got = JSON.parse(r.stdout)
    expect(got.stats).toEqual(['/sdk2', true, true, true])
    expect(got.policy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 })
    expect([got.attach, got.logs, got.exit]).toEqual(['hello\n', 'hello\nbye\n', 0])
    expect(got.history).toEqual([id])
    expect(got.df).toEqual([images, [['/sdk2']], true])
    expect(got.pruned).toBe(true)
    expect(got.networks).toEqual(['NetworksDeleted'])
    expect(got.images).toEqual(['ImagesDeleted', 'SpaceReclaimed'])
    expect(got.volumes).toEqual(['SpaceReclaimed', 'VolumesDeleted'])
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
  })

  it.skipIf(!hasCompose)('docker-compose 1.x: a stack with a built image, a network and a volume, fetched through its port; down leaves nothing', async () => {
    const project = join(env.dir, 'shop')
    mkdirSync(project)
    writeFileSync(
      join(project, 'docker-compose.yml'),
      [
        'version: "3"',
        'services:',
        '  web:',
        `    image: ${BUSYBOX}`,
        '    command: sh -c \'until wget -q -O /www/index.html http://writer/; do sleep 0.2; done; exec httpd -f -p 80 -h /www\'',
        '    ports: ["127.0.0.1:18081:80"]',
        '    volumes: ["pages:/www"]',
        '  writer:',
        '    build: ./writer',
        '    command: httpd -f -p 80 -h /srv',
        'volumes:',
        '  pages: {}',
        '',
      ].join('\n'),
    )
    mkdirSync(join(project, 'writer'))
    writeFileSync(join(project, 'writer', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN mkdir -p /srv && echo "page from writer, by name" > /srv/index.html\n`)
    const compose = (args: string[]) => {
      const r = spawnSync('docker-compose', args, { cwd: project, encoding: 'utf8', timeout: 120_000, env: clientEnv })
      return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) }
    }
    const up = compose(['up', '-d'])
    expect(up.stderr).toMatch(/Creating network "shop_default"/)
    expect(up.stderr).toMatch(/Building writer/)
    expect(up.status, up.stderr).toBe(0)
    // web reached writer by its service name on the project's network, and serves its page from the volume
    expect(await page(18081)).toBe('page from writer, by name\n')
    const ps = compose(['ps', '--services', '--filter', 'status=running'])
    expect(ps.stdout.split('\n').filter(Boolean).sort()).toEqual(['web', 'writer'])
    const listed = compose(['ps'])
    expect(listed.stdout.match(/shop_web_1/g)).toHaveLength(1)
    const down = compose(['down', '-v'])
    expect(down.status, down.stderr).toBe(0)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.run(['network', 'ls', '--format', '{{.Name}}']).stdout.split('\n').filter(Boolean).sort()).toEqual(['bridge', 'host', 'none'])
    expect(env.run(['volume', 'ls', '-q']).stdout).toBe('')
    expect(env.run(['rmi', 'shop_writer']).status).toBe(0)
  })

  it('the service ends on SIGTERM, with its socket gone, and what it started lives on', async () => {
    const id = docker(['run', '-d', '--network', 'none', BUSYBOX, 'sleep', '60']).stdout.trim()
    const r = await service.stop()
    expect(r.status).toBe(0)
    expect(readdirSync(env.dir)).not.toContain('docker.sock')
    expect(JSON.parse(env.run(['inspect', id]).stdout)[0].State.Status).toBe('running')
    service = await startService(env, ['--time', '0'])
    expect(docker(['rm', '-f', id]).status).toBe(0)
  })
})
