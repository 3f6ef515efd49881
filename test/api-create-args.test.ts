// POST /containers/create's body as `mini-run create`'s command line
// (src/api/create-args.ts): pure, no root.
import { describe, expect, it } from 'vitest'
import { createArgs, isZero } from '../src/api/create-args.js'
import { containerSummary, summaryPorts } from '../src/api/container-summary.js'
import { ApiError } from '../src/api/cli-call.js'

describe('create-args', () => {
  it('a body as docker/cli sends it (every field, most at zero) gives only the flags that mean something', () => {
    const body = {
      Hostname: '', User: 'nobody', Env: ['A=1', 'B=two words'], Cmd: ['sh', '-c', 'echo hi'], Image: 'busybox', Volumes: { '/data': {} },
      WorkingDir: '/tmp', Entrypoint: null, Labels: { tier: 'web' }, Tty: false, OpenStdin: true, AttachStdin: true, ExposedPorts: { '80/tcp': {} },
      HostConfig: {
        Binds: ['/srv:/srv:ro'], LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '' }] },
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, AutoRemove: true, MemorySwappiness: -1, Memory: 67108864, NanoCpus: 1500000000,
        ConsoleSize: [0, 0], Tmpfs: { '/run': 'size=1m' }, Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }],
      },
      NetworkingConfig: { EndpointsConfig: {} },
    }
    expect(createArgs(body, { name: 'web' })).toEqual([
      'create', '--pull', 'never', '--name', 'web',
      '--user', 'nobody', '--env', 'A=1', '--env', 'B=two words', '--volume', '/data', '--workdir', '/tmp', '--label', 'tier=web', '--interactive', '--expose', '80/tcp',
      '--volume', '/srv:/srv:ro', '--publish', '127.0.0.1:8080:80/tcp', '--publish', '53/udp', '--restart', 'on-failure:3', '--rm', '--memory', '67108864', '--cpus', '1.5',
      '--tmpfs', '/run:size=1m', '--ulimit', 'nofile=100:200',
      '--', 'busybox', 'sh', '-c', 'echo hi',
    ])
  })

  it('an entrypoint: its first word is --entrypoint, the rest go before the command; [] clears the image\'s', () => {
    expect(createArgs({ Image: 'i', Entrypoint: ['/bin/sh', '-c'], Cmd: ['date'] }, {}).slice(3)).toEqual(['--entrypoint', '/bin/sh', '--', 'i', '-c', 'date'])
    expect(createArgs({ Image: 'i', Entrypoint: [] }, {}).slice(3)).toEqual(['--entrypoint', '', '--', 'i'])
  })

  it("a user network's aliases and address become --network's fields; an IPv6 host address is bracketed", () => {
    const args = createArgs(
      { Image: 'i', HostConfig: { NetworkMode: 'shop', PortBindings: { '80/tcp': [{ HostIp: '::1', HostPort: '80' }] } }, NetworkingConfig: { EndpointsConfig: { shop: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.9.0.5' } } } } },
      {},
    )
    expect(args.slice(3)).toEqual(['--publish', '[::1]:80:80/tcp', '--network', 'name=shop,alias=web,ip=10.9.0.5', '--', 'i'])
  })

  it('a field mini-run cannot take is refused by its name, a 400; no image is a 400', () => {
    const refused = (body: Record<string, unknown>) => {
      try {
        createArgs(body, {})
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError)
        return `${(err as ApiError).status} ${(err as Error).message}`
      }
      return 'accepted'
    }
    expect(refused({ Image: 'i', HostConfig: { VolumeDriver: 'flocker' } })).toBe("400 HostConfig.VolumeDriver: mini-run's API does not take this field")
    expect(refused({ Image: 'i', OnBuild: ['RUN x'] })).toBe("400 Config.OnBuild: mini-run's API does not take this field")
    expect(refused({ Image: 'i', HostConfig: { Runtime: 'nvidia' } })).toBe('400 HostConfig.Runtime: mini-run is its own runtime, not nvidia')
    expect(refused({ Cmd: ['true'] })).toBe('400 Config.Image: an image is required')
    expect(refused({ Image: 'i', HostConfig: { Runtime: 'runc', OnBuild: null } })).toBe('accepted')
  })

  it('values stay values: a flag-like value is never read as a flag, a bare KEY (unset at the client) is dropped, exec-form health checks quoted', () => {
    const args = createArgs(
      { Image: 'i', Hostname: '--network', Env: ['--privileged', 'A=--privileged'], HostConfig: { NetworkMode: 'n' }, NetworkingConfig: { EndpointsConfig: { n: { Aliases: ['a'], NetworkID: '', IPAddress: '' } } }, Healthcheck: { Test: ['CMD', 'curl', '-f', "http://x/it's"], Interval: 2e9 } },
      {},
    )
    expect(args.slice(3)).toEqual(['--hostname', '--network', '--env', 'A=--privileged', '--health-cmd', "curl -f 'http://x/it'\\''s'", '--health-interval', '2000ms', '--network', 'name=n,alias=a', '--', 'i'])
    const refused = (body: Record<string, unknown>) => {
      try {
        createArgs(body, {})
        return 'accepted'
      } catch (err) {
        return (err as Error).message
      }
    }
    expect(refused({ Image: 'i', HostConfig: { Mounts: [{ Type: 'bind', Source: '/a,readonly=false', Target: '/b' }] } })).toBe('HostConfig.Mounts[0].Source: "/a,readonly=false" has a comma or =, which mini-run\'s option could not keep apart')
    expect(refused({ Image: 'i', NetworkingConfig: { EndpointsConfig: { n: { Aliases: ['a,ip=1.2.3.4'] } } } })).toMatch(/^NetworkingConfig.EndpointsConfig.n.Aliases: "a,ip=1.2.3.4" has a comma/)
    expect(refused({ Image: 'i', NetworkingConfig: { EndpointsConfig: { n: { Links: ['db:db'] } } } })).toBe("NetworkingConfig.EndpointsConfig.n.Links: mini-run's API does not take this field")
  })

  it('zero is null, "", 0, false, [] and {} of zeros, recursively', () => {
    expect([null, undefined, '', 0, false, [], {}, { Type: '', Config: {} }, [0, 0].filter(Boolean)].every(isZero)).toBe(true)
    expect([1, 'x', true, ['a'], { a: 1 }, [0, 0]].some(isZero)).toBe(false)
  })
})

describe('container-summary', () => {
  it("a list item from inspect: names with their slash, the command line, ports published and only exposed", () => {
    const inspect = {
      Id: 'abc', Name: '/web', Image: 'sha256:1', Path: 'httpd', Args: ['-f'], Created: '2026-12-06T07:00:00.5Z',
      Config: { Image: 'busybox', Labels: { a: 'b' }, ExposedPorts: { '80/tcp': {}, '443/tcp': {} } },
      HostConfig: { NetworkMode: 'bridge' }, NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '443/tcp': null }, Networks: {} }, Mounts: [],
    }
    expect(summaryPorts(inspect)).toEqual([{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }])
    expect(containerSummary(inspect, { text: 'Up 2 seconds', state: 'running' })).toMatchObject({
      Id: 'abc', Names: ['/web'], Image: 'busybox', ImageID: 'sha256:1', Command: 'httpd -f', Created: 1796540400, State: 'running', Status: 'Up 2 seconds', Labels: { a: 'b' },
    })
  })
})
