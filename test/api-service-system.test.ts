// `mini-run system service`: what `docker stats`, `docker history`, `docker
// system df` and the prunes call (GET /containers/ID/stats,
// /images/NAME/history, /system/df, POST /*/prune), typed as a user types
// them with the docker CLI .ci/deps unpacks, and checked against what
// mini-run itself says of the same store. The file runs in a network
// namespace of its own (helpers/file-netns.ts).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { api, dockerClient, hasDockerCli, startService, type DockerRun, type RunningService } from './helpers/api-service.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark || !hasDockerCli)('system service: stats, history, system df and prune through the docker CLI (needs root, netavark, and the docker CLI .ci/deps --test unpacks)', () => {
  let env: TestEnv
  let service: RunningService
  let clientEnv: NodeJS.ProcessEnv
  let docker: DockerRun
  const lines = (text: string) => text.split('\n').filter(Boolean)

  beforeAll(async () => {
    env = await makeTestEnv()
    service = await startService(env, ['--time', '0'])
    ;({ env: clientEnv, run: docker } = dockerClient(env, service))
  })
  afterEach(() => {
    const ids = lines(env.run(['ps', '-a', '-q']).stdout)
    if (ids.length) env.run(['rm', '-f', ...ids])
    env.run(['volume', 'prune', '--all', '--force'])
  })
  afterAll(async () => {
    await service?.stop()
    env?.cleanup()
  })

  it('docker stats --no-stream: a busy container\'s CPU, its processes, its memory and the bytes its eth0 moved', () => {
    // two busy loops and a sleeper: three processes; traffic to the bridge's gateway on eth0
    const id = docker(['run', '-d', '--name', 'busy', BUSYBOX, 'sh', '-c', '(while :; do :; done) & (while :; do :; done) & ping -c 3 -i 0.2 "$(ip route | awk \'/default/ {print $3}\')" >/dev/null; exec sleep 60']).stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    const row = () => docker(['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.NetIO}}|{{.PIDs}}', 'busy'])
    // the pings are done once sh has become the sleeper: three processes
    let r = row()
    for (let i = 0; i < 50 && !/\|3$/.test(r.stdout.trim()); i++) r = row()
    expect(r.stderr).toBe('')
    const [name, cpu, mem, net, pids] = r.stdout.trim().split('|')
    expect(name).toBe('busy')
    // two loops on a two-core machine that runs the suite beside them: well above idle
    expect(Number.parseFloat(cpu!)).toBeGreaterThan(10)
    expect(mem).toMatch(/^[\d.]+[KMG]iB \/ [\d.]+[KMG]iB$/)
    expect(mem).not.toMatch(/^0B/)
    const [rx, tx] = net!.split(' / ')
    expect(rx).not.toBe('0B')
    expect(tx).not.toBe('0B')
    expect(pids).toBe('3')
    // the same container as mini-run counts it
    const own = JSON.parse(env.run(['stats', '--no-stream', '--format', 'json', 'busy']).stdout) as { PIDs: string }
    expect(own.PIDs).toBe(pids)
  })

  it('the stats stream: a sample a second with the one before as precpu; stream=false waits for two; a stopped one is zeros', async () => {
    docker(['run', '-d', '--name', 'streamed', '--network', 'none', BUSYBOX, 'sh', '-c', '(while :; do :; done) & exec sleep 60'])
    const frames = await new Promise<Array<Record<string, any>>>((resolve, reject) => {
      const got: Array<Record<string, any>> = []
      let text = ''
      const req = request({ socketPath: service.socket, path: '/v1.41/containers/streamed/stats' }, (res) => {
        res.on('data', (d: Buffer) => {
          text += d.toString()
          for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n')) {
            got.push(JSON.parse(text.slice(0, nl)))
            text = text.slice(nl + 1)
          }
          if (got.length >= 2) {
            req.destroy()
            resolve(got)
          }
        })
      })
      req.on('error', reject)
      req.end()
    })
    const [first, second] = frames
    expect(first!.name).toBe('/streamed')
    expect(first!.precpu_stats.cpu_usage.total_usage).toBe(0)
    expect(second!.precpu_stats.cpu_usage.total_usage).toBe(first!.cpu_stats.cpu_usage.total_usage)
    expect(second!.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(first!.cpu_stats.cpu_usage.total_usage)
    expect(second!.cpu_stats.system_cpu_usage).toBeGreaterThan(first!.cpu_stats.system_cpu_usage)
    expect(second!.cpu_stats.online_cpus).toBeGreaterThan(0)
    expect(Date.parse(second!.read) - Date.parse(first!.read)).toBeGreaterThanOrEqual(900)
    expect(second!.networks).toEqual({})
    const once = JSON.parse((await api(service.socket, 'GET', '/containers/streamed/stats?stream=0')).body)
    expect(once.precpu_stats.cpu_usage.total_usage).toBeGreaterThan(0)
    const oneShot = JSON.parse((await api(service.socket, 'GET', '/containers/streamed/stats?stream=0&one-shot=1')).body)
    expect(oneShot.precpu_stats.cpu_usage.total_usage).toBe(0)
    expect(oneShot.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0)
    const both = await api(service.socket, 'GET', '/containers/streamed/stats?stream=1&one-shot=1')
    expect(`${both.status} ${JSON.parse(both.body).message}`).toBe('400 cannot have stream=true and one-shot=true')
    docker(['stop', '-t', '0', 'streamed'])
    const stopped = JSON.parse((await api(service.socket, 'GET', '/containers/streamed/stats?stream=0')).body)
    expect(stopped).toMatchObject({ name: '/streamed', read: '0001-01-01T00:00:00Z', cpu_stats: { cpu_usage: { total_usage: 0 } } })
    expect(docker(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.PIDs}}', 'streamed']).stdout).toBe('streamed 0.00% 0\n')
    expect((await api(service.socket, 'GET', '/containers/nosuch/stats?stream=0')).status).toBe(404)
  })

  it('docker history: the rows and sizes mini-run history shows, the newest with the image\'s id and tag', async () => {
    const format = '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}'
    docker(['run', '--name', 'layered', '--network', 'none', BUSYBOX, 'sh', '-c', 'echo layer > /made'])
    expect(docker(['commit', '-m', 'one file', 'layered', 'localhost/test/history:1']).status).toBe(0)
    const theirs = docker(['history', '--no-trunc', '--format', format, 'localhost/test/history:1'])
    expect(theirs.stderr).toBe('')
    const ours = env.run(['history', '--no-trunc', '--format', format, 'localhost/test/history:1'])
    expect(theirs.stdout).toBe(ours.stdout)
    expect(lines(theirs.stdout).length).toBeGreaterThan(1)
    expect(lines(theirs.stdout)[0]).toMatch(/^sha256:[0-9a-f]{64}\|.*\|.*\|one file$/)
    const raw = JSON.parse((await api(service.socket, 'GET', '/images/localhost/test/history:1/history')).body) as Array<{ Id: string; Tags: string[] | null; Size: number }>
    expect(raw[0]!.Tags).toEqual(['localhost/test/history:1'])
    expect(raw.slice(1).every((r) => r.Id === '<missing>' && r.Tags === null)).toBe(true)
    expect(raw.map((r) => String(r.Size))).toEqual(lines(env.run(['history', '--no-human', '--format', '{{.Size}}', 'localhost/test/history:1']).stdout))
    expect((await api(service.socket, 'GET', '/images/nosuch:1/history')).status).toBe(404)
    env.run(['rmi', 'localhost/test/history:1'])
  })

  it('docker system df: the counts and sizes of mini-run system df; -v lists the image, the container and the volume', () => {
    docker(['volume', 'create', 'dfvol'])
    docker(['run', '--name', 'dfuser', '--network', 'none', '-v', 'dfvol:/data', BUSYBOX, 'sh', '-c', 'head -c 300000 /dev/zero > /data/blob; head -c 5000 /dev/zero > /rw'])
    const format = '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}'
    const theirs = docker(['system', 'df', '--format', format])
    expect(theirs.stderr).toBe('')
    const ours = env.run(['system', 'df', '--format', format])
    // the build cache's row counts records in Docker's and bytes no record holds in mini-run's: the other three
    const rows = (t: string) => lines(t).filter((l) => !l.startsWith('Build Cache'))
    expect(rows(theirs.stdout)).toEqual(rows(ours.stdout))
    expect(rows(theirs.stdout)).toContain('Local Volumes|1|1|300kB')
    expect(rows(theirs.stdout).find((l) => l.startsWith('Containers|'))).toMatch(/^Containers\|1\|0\|[\d.]+kB$/)
    const verbose = docker(['system', 'df', '-v'])
    expect(verbose.stdout).toMatch(/localhost\/test\/busybox +latest +[0-9a-f]{12} /)
    expect(verbose.stdout).toMatch(/dfvol +1 +300kB/)
    expect(verbose.stdout).toMatch(/ dfuser\n/)
  })

  it('docker container, volume, network and image prune: what mini-run\'s verbs would remove goes, the rest stays, the space is counted', async () => {
    docker(['run', '--name', 'stopped', '--network', 'none', BUSYBOX, 'sh', '-c', 'head -c 20000 /dev/zero > /f'])
    docker(['run', '-d', '--name', 'running', '--network', 'none', '-v', 'inuse:/data', BUSYBOX, 'sleep', '60'])
    const stoppedId = env.run(['inspect', '-f', '{{.Id}}', 'stopped']).stdout.trim()
    const pruned = docker(['container', 'prune', '-f'])
    expect(pruned.stderr).toBe('')
    expect(pruned.stdout).toMatch(new RegExp(`^Deleted Containers:\\n${stoppedId}\\n\\nTotal reclaimed space: 2\\d(\\.\\d+)?kB\\n$`))
    expect(lines(env.run(['ps', '-a', '--format', '{{.Names}}']).stdout)).toEqual(['running'])
    // volumes: API 1.41's prune takes every unused one, anonymous or named (Docker 20.10's); the one in use stays
    docker(['run', '--name', 'anon', '--network', 'none', '-v', '/anon', BUSYBOX, 'sh', '-c', 'head -c 3000 /dev/zero > /anon/f'])
    const anon = env.run(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', 'anon']).stdout.trim()
    expect(anon).toMatch(/^[0-9a-f]{64}$/)
    docker(['rm', 'anon'])
    docker(['volume', 'create', 'unused-named'])
    const volumes = docker(['volume', 'prune', '-f'])
    expect(volumes.stderr).toBe('')
    expect(lines(volumes.stdout).slice(1, 3).sort()).toEqual([anon, 'unused-named'].sort())
    expect(volumes.stdout).toMatch(/^Deleted Volumes:\n.*\n.*\n\nTotal reclaimed space: 3kB\n$/)
    expect(lines(env.run(['volume', 'ls', '-q']).stdout)).toEqual(['inuse'])
    // all=false, which API 1.41 never sends (mini-run's extension, as Docker 23's default): the anonymous ones alone
    docker(['volume', 'create', 'named-again'])
    expect(JSON.parse((await api(service.socket, 'POST', '/volumes/prune?filters=' + encodeURIComponent('{"all":["false"]}'))).body)).toEqual({ VolumesDeleted: null, SpaceReclaimed: 0 })
    expect(lines(env.run(['volume', 'ls', '-q']).stdout).sort()).toEqual(['inuse', 'named-again'])
    // networks: the unused one, of the label asked for
    docker(['network', 'create', '--label', 'prune=yes', 'unused-net'])
    docker(['network', 'create', 'kept-net'])
    expect(docker(['network', 'prune', '-f', '--filter', 'label=prune=yes']).stdout).toBe('Deleted Networks:\nunused-net\n\n')
    expect(env.run(['network', 'ls', '--format', '{{.Name}}']).stdout).toMatch(/kept-net/)
    expect(env.run(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toMatch(/unused-net/)
    env.run(['network', 'rm', 'kept-net'])
    // images: -a with a label takes the labelled image no container uses, not busybox
    docker(['commit', '-c', 'LABEL prune=yes', 'running', 'localhost/test/prunable:1'])
    const images = docker(['image', 'prune', '-a', '-f', '--filter', 'label=prune=yes'])
    expect(images.stderr).toBe('')
    expect(images.stdout).toMatch(/^Deleted Images:\nuntagged: localhost\/test\/prunable:1\ndeleted: sha256:[0-9a-f]{64}\n/)
    const left = lines(env.run(['images', '--format', '{{.Repository}}']).stdout)
    expect(left).toContain('localhost/test/busybox')
    expect(left).not.toContain('localhost/test/prunable')
    // a filter the daemon does not take: one line, nothing removed
    const bad = docker(['container', 'prune', '-f', '--filter', 'bogus=1'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^Error response from daemon: .*bogus.*\n$/)
    expect(lines(env.run(['ps', '-a', '--format', '{{.Names}}']).stdout)).toEqual(['running'])
  })

  it('docker ps -s and inspect -s: the writable layer\'s size and the image\'s, as mini-run ps -s and inspect -s show them', () => {
    docker(['run', '--name', 'sized', '--network', 'none', BUSYBOX, 'sh', '-c', 'head -c 70000 /dev/zero > /f'])
    const format = '{{.Names}} {{.Size}}'
    const theirs = docker(['ps', '-a', '-s', '--format', format])
    expect(theirs.stderr).toBe('')
    expect(theirs.stdout).toMatch(/^sized 7\d(\.\d+)?kB \(virtual [\d.]+MB\)\n$/)
    expect(theirs.stdout).toBe(env.run(['ps', '-a', '-s', '--format', format]).stdout)
    const inspect = '{{.SizeRw}} {{.SizeRootFs}}'
    expect(docker(['inspect', '-s', '-f', inspect, 'sized']).stdout).toBe(env.run(['inspect', '-s', '-f', inspect, 'sized']).stdout)
    expect(docker(['inspect', '-s', '-f', '{{.SizeRw}}', 'sized']).stdout).toMatch(/^7\d{4}\n$/)
  })

  it('docker update: the restart policy, CPU shares and pids limit, as mini-run update sets them; a field it cannot change is refused by name', async () => {
    docker(['run', '-d', '--name', 'upd', '--network', 'none', BUSYBOX, 'sleep', '60'])
    const shown = () => env.run(['inspect', '-f', '{{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'upd']).stdout
    expect(docker(['update', '--restart', 'on-failure:3', '--cpu-shares', '512', '--pids-limit', '50', 'upd'])).toMatchObject({ status: 0, stdout: 'upd\n', stderr: '' })
    expect(shown()).toBe('512 50 on-failure:3\n')
    const bad = docker(['update', '--kernel-memory', '10m', 'upd'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe("Error response from daemon: KernelMemory: mini-run's API does not take this field\n")
    expect(docker(['update', '--restart', 'no', 'upd']).status).toBe(0)
    expect(shown()).toBe('512 50 no:0\n')
    // over the API: a PidsLimit of 0 sent is unlimited, as moby reads it (Debian's docker sends none for
    // --pids-limit 0, which mini-run update also reads as not given); a retry count only with on-failure;
    // a body that changes nothing changes nothing
    const answer = async (body: unknown) => {
      const r = await api(service.socket, 'POST', '/v1.41/containers/upd/update', body)
      return `${r.status} ${r.body}`
    }
    env.run(['update', '--pids-limit', '-1', 'upd'])
    const unlimited = shown()
    env.run(['update', '--pids-limit', '50', 'upd'])
    expect(shown()).not.toBe(unlimited)
    expect(await answer({ PidsLimit: 0 })).toBe('200 {"Warnings":[]}')
    expect(shown()).toBe(unlimited)
    expect(await answer({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } })).toBe(`400 {"message":"maximum retry count cannot be used with restart policy 'always'"}`)
    expect(await answer({ CpuShares: 0, Memory: 0, RestartPolicy: { Name: '' } })).toBe('200 {"Warnings":[]}')
    expect(shown()).toBe(unlimited)
    const missing = docker(['update', '--cpu-shares', '256', 'nosuch'])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/No such container: nosuch/)
  })

  it('docker import: a root filesystem\'s tarball from stdin with -c and -m becomes an image that runs; a tarball that is none is one error', async () => {
    const tarball = join(env.dir, 'rootfs.tar')
    execFileSync('tar', ['-C', BUSYBOX_ROOTFS, '-cf', tarball, '.'])
    const made = docker(['import', '-c', 'CMD ["sh", "-c", "echo imported"]', '-m', 'from the test', '-', 'localhost/test/imported:1'], { input: readFileSync(tarball) })
    expect(made.stderr).toBe('')
    expect(made.status).toBe(0)
    expect(made.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/)
    expect(env.run(['images', '-q', '--no-trunc', 'localhost/test/imported:1']).stdout).toBe(made.stdout)
    expect(docker(['run', '--rm', '--network', 'none', 'localhost/test/imported:1'])).toMatchObject({ status: 0, stdout: 'imported\n' })
    expect(docker(['history', '--format', '{{.Comment}}', 'localhost/test/imported:1']).stdout).toBe('from the test\n')
    const bad = docker(['import', '-', 'localhost/test/bad:1'], { input: 'not a tarball' })
    expect(bad.status).toBe(1)
    expect(bad.stderr).toBe('Error response from daemon: not a root filesystem archive the store takes: layer tar is truncated at byte 13\n')
    expect(env.run(['images', '-q', 'localhost/test/bad:1']).stdout).toBe('')
    // a source is the body or a URL, as Docker's: a path is read as a host's name, never as a file of the service's
    const path = await api(service.socket, 'POST', `/v1.41/images/create?fromSrc=${encodeURIComponent(tarball)}&repo=localhost/test/bypath&tag=1`)
    expect(path.status).not.toBe(200)
    expect(env.run(['images', '-q', 'localhost/test/bypath:1']).stdout).toBe('')
    env.run(['rmi', 'localhost/test/imported:1'])
  })

  it('docker system prune: stopped containers, unused networks, dangling images and the build cache, in one answer', () => {
    docker(['run', '--name', 'done', '--network', 'none', BUSYBOX, 'true'])
    docker(['network', 'create', 'idle-net'])
    const r = docker(['system', 'prune', '-f'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/Deleted Containers:\n[0-9a-f]{64}\n/)
    expect(r.stdout).toMatch(/Deleted Networks:\nidle-net\n/)
    expect(r.stdout).toMatch(/Total reclaimed space: /)
    expect(env.run(['ps', '-a', '-q']).stdout).toBe('')
    expect(env.run(['network', 'ls', '--format', '{{.Name}}']).stdout).not.toMatch(/idle-net/)
    // the image a user still has is not dangling
    expect(lines(env.run(['images', '--format', '{{.Repository}}']).stdout)).toContain('localhost/test/busybox')
  })
})
