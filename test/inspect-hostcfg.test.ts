// inspect's HostConfig and Config as Docker shows them: the user's flags as
// given, Config.Env without the HOME and HOSTNAME mini-run adds; exec -u's
// HOME from its passwd entry. And the --security-opt values Docker takes on
// a host without AppArmor or SELinux (apparmor=unconfined, label=disable),
// accepted as no-ops.
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'

describe.skipIf(!isRoot)('inspect HostConfig/Config, exec HOME (needs root)', () => {
  const cli = useCliEnv()
  const { ok } = cli

  it('shows the flags as given: CapAdd, CapDrop, Init, Ulimits, ExtraHosts, Dns, DnsSearch, DnsOptions, GroupAdd, SecurityOpt, Config.User, OpenStdin', () => {
    ok(['create', '--name', 'h1', '--init', '--cap-add', 'NET_ADMIN', '--ulimit', 'nofile=10:20', '--add-host', 'a:1.2.3.4', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2',
      '--group-add', '100', '--security-opt', 'no-new-privileges', '-i', '-u', '1000', BUSYBOX, 'true'])
    const j = JSON.parse(ok(['inspect', 'h1']))[0]
    expect(j.HostConfig).toMatchObject({ CapAdd: ['NET_ADMIN'], CapDrop: null, Init: true, Ulimits: [{ Name: 'nofile', Hard: 20, Soft: 10 }], ExtraHosts: ['a:1.2.3.4'], Dns: ['1.1.1.1'],
      DnsSearch: ['example.com'], DnsOptions: ['ndots:2'], GroupAdd: ['100'], SecurityOpt: ['no-new-privileges'] })
    expect(j.Config.User).toBe('1000')
    expect(j.Config.OpenStdin).toBe(true)
    ok(['create', '--name', 'h2', '--cap-drop', 'chown', BUSYBOX, 'true'])
    const k = JSON.parse(ok(['inspect', 'h2']))[0]
    expect(k.HostConfig).toMatchObject({ CapAdd: null, CapDrop: ['chown'], Ulimits: null, ExtraHosts: null, Dns: [], DnsSearch: [], DnsOptions: [], GroupAdd: null, SecurityOpt: null })
    expect(k.Config.OpenStdin).toBe(false)
    expect(k.HostConfig.Init).toBeUndefined()
    expect(k.Config.User).toBe('')
  })

  it('--annotation: in the container\'s spec, shown as HostConfig.Annotations (a Go map: keys in order, left out when none); an empty key refused as Docker\'s daemon refuses it', () => {
    ok(['create', '--name', 'a1', '--annotation', 'org.example.z=last', '--annotation', 'org.example.a=first', '--annotation', 'bare', '--annotation', 'eq=a=b', BUSYBOX, 'true'])
    const text = ok(['inspect', 'a1'])
    const annotations = { 'bare': '', 'eq': 'a=b', 'org.example.a': 'first', 'org.example.z': 'last' }
    expect(JSON.parse(text)[0].HostConfig.Annotations).toEqual(annotations)
    // after VolumesFrom, as the Go struct has it, and in its key order
    expect(text).toContain(`"VolumesFrom": null,\n            "Annotations": {\n                "bare": "",\n                "eq": "a=b",\n                "org.example.a": "first",\n                "org.example.z": "last"\n            },\n`)
    ok(['create', '--name', 'a2', BUSYBOX, 'true'])
    expect(Object.keys(JSON.parse(ok(['inspect', 'a2']))[0].HostConfig)).not.toContain('Annotations')
    const bad = cli.env.run(['run', '--rm', '--annotation', '=v', BUSYBOX, 'true'])
    expect([bad.status, bad.stderr]).toEqual([125, 'mini-run: invalid Annotations: the empty string is not permitted as an annotation key\n'])
  })

  it('splits the process\'s words into Config.Entrypoint and Config.Cmd, as Docker shows them', () => {
    const words = (name: string) => {
      const j = JSON.parse(ok(['inspect', name]))[0]
      return [j.Config.Entrypoint, j.Config.Cmd]
    }
    ok(['create', '--name', 'e1', BUSYBOX, 'echo', 'hi'])
    expect(words('e1')).toEqual([null, ['echo', 'hi']])
    ok(['create', '--name', 'e2', '--entrypoint', 'echo', BUSYBOX, 'a', 'b'])
    expect(words('e2')).toEqual([['echo'], ['a', 'b']])
    ok(['create', '--name', 'e3', '--entrypoint', 'true', BUSYBOX])
    expect(words('e3')).toEqual([['true'], null])
    // an image's own entrypoint, and the Cmd given after it
    ok(['commit', '-c', 'ENTRYPOINT ["echo", "ep"]', '-c', 'CMD ["cmdarg"]', 'e1', 'test/ep:1'])
    ok(['create', '--name', 'e4', 'test/ep:1'])
    expect(words('e4')).toEqual([['echo', 'ep'], ['cmdarg']])
    ok(['create', '--name', 'e5', 'test/ep:1', 'other'])
    expect(words('e5')).toEqual([['echo', 'ep'], ['other']])
    expect(ok(['start', '-a', 'e5'])).toBe('ep other\n')
  })

  it('Docker\'s HostConfig fields: resources, Privileged, ReadonlyRootfs, PortBindings, Binds (as given), NetworkMode, RestartPolicy', () => {
    const id = ok(['create', '--name', 'r1', '-m', '64m', '--cpus', '0.5', '-c', '512', '--pids-limit', '100', '--privileged', '--read-only',
      '-p', '8080:80', '-p', '127.0.0.1::53/udp', '-p', '9000-9001:90-91', '-v', './rel:/r:ro', '-v', 'named:/n', '-v', '/anon',
      '--restart', 'on-failure:3', BUSYBOX, 'true'], { cwd: cli.env.dir }).trim()
    const h = JSON.parse(ok(['inspect', 'r1']))[0].HostConfig
    expect(h).toMatchObject({
      Memory: 64 * 1024 ** 2, MemorySwap: 128 * 1024 ** 2, MemoryReservation: 0, NanoCpus: 500_000_000, CpuShares: 512, CpusetCpus: '', PidsLimit: 100,
      Privileged: true, ReadonlyRootfs: true, NetworkMode: 'bridge', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, AutoRemove: false,
      Binds: [`${join(cli.env.dir, 'rel')}:/r:ro`, 'named:/n'],
    })
    // keys sorted, as Go marshals a map
    expect(JSON.stringify(h.PortBindings)).toBe(JSON.stringify({
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '90/tcp': [{ HostIp: '', HostPort: '9000' }],
      '91/tcp': [{ HostIp: '', HostPort: '9001' }],
    }))
    expect(ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', 'r1'])).toBe('67108864 500000000 100\n')
    // not started yet: the network its start joins (ps's Networks too, from state.json: a FIFO as config.json would hang it)
    const config = join(cli.env.stateRoot, id, 'config.json')
    const saved = readFileSync(config)
    rmSync(config)
    execFileSync('mkfifo', [config])
    try {
      expect(ok(['ps', '-a', '--filter', 'name=r1', '--format', '{{.Networks}}'], { timeout: 20_000 })).toBe('bridge\n')
    } finally {
      rmSync(config)
      writeFileSync(config, saved)
    }
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    ok(['create', '--name', 'r2', '--network', 'none', '--memory-swap', '-1', '-m', '32m', '--pids-limit', '-1', BUSYBOX, 'true'])
    expect(JSON.parse(ok(['inspect', 'r2']))[0].HostConfig).toMatchObject({ NetworkMode: 'none', Memory: 32 * 1024 ** 2, MemorySwap: -1, PidsLimit: null })
  })

  it('no flags: Docker\'s zero values (PortBindings {}, Binds and PidsLimit null); a container of an older mini-run, with no record of its flags, inspects too', () => {
    const id = ok(['create', '--name', 'z1', '--network', 'host', BUSYBOX, 'true']).trim()
    const zero = { OomScoreAdj: 0, Memory: 0, MemorySwap: 0, MemoryReservation: 0, NanoCpus: 0, CpuShares: 0, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, CgroupnsMode: 'private', PidsLimit: null, Privileged: false, ReadonlyRootfs: false, PortBindings: {}, Binds: null, NetworkMode: 'host', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false }
    expect(JSON.parse(ok(['inspect', 'z1']))[0].HostConfig).toMatchObject(zero)
    expect(ok(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{json .HostConfig.PortBindings}}', 'z1'])).toBe('0 <nil> {}\n')
    // as an older mini-run wrote it: no startInput.given (config.json holds startInput)
    const oldId = ok(['create', '--name', 'old', '-m', '64m', '-p', '8080:80', '-v', '/tmp:/t', BUSYBOX, 'true']).trim()
    const file = join(cli.env.stateRoot, oldId, 'config.json')
    const config = JSON.parse(readFileSync(file, 'utf8'))
    expect(config.startInput.given.publish).toEqual(['8080:80'])
    delete config.startInput.given
    writeFileSync(file, JSON.stringify(config))
    expect(JSON.parse(ok(['inspect', 'old']))[0].HostConfig).toMatchObject({ Memory: 64 * 1024 ** 2, PortBindings: {}, Binds: null, Privileged: false, NetworkMode: 'bridge' })
    expect(id).toMatch(/^[0-9a-f]{64}$/)
  })

  it('--oom-score-adj: the container\'s processes get it, inspect shows it; a value out of the kernel\'s range is refused', () => {
    expect(ok(['run', '--rm', '--network', 'none', '--oom-score-adj', '500', BUSYBOX, 'sh', '-c', 'cat /proc/self/oom_score_adj'])).toBe('500\n')
    ok(['create', '--name', 'oom1', '--network', 'none', '--oom-score-adj', '300', BUSYBOX, 'true'])
    expect(ok(['inspect', '-f', '{{.HostConfig.OomScoreAdj}}', 'oom1'])).toBe('300\n')
    // kept for a later start: the spec holds it
    expect(ok(['start', '-a', 'oom1'])).toBe('')
    for (const [value, message] of [['1001', 'Invalid value 1001, range for oom score adj is [-1000, 1000]'], ['x', 'invalid argument "x" for "--oom-score-adj" flag: not an integer']]) {
      const r = cli.env.run(['run', '--rm', '--oom-score-adj', value!, BUSYBOX, 'true'])
      expect([r.status, r.stderr]).toEqual([125, `mini-run: ${message}\n`])
    }
  })

  it('the /etc files bound over the image\'s (ResolvConfPath, HostnamePath, HostsPath), and --device, --device-cgroup-rule as given', () => {
    const id = ok(['create', '--name', 'files', '--network', 'none', '--device', '/dev/null:/dev/nothing:r', '--device', '/dev/zero', '--device-cgroup-rule', 'c 1:3 rw', BUSYBOX, 'true']).trim()
    const c = JSON.parse(ok(['inspect', 'files']))[0]
    for (const [key, file] of [['ResolvConfPath', 'resolv.conf'], ['HostnamePath', 'hostname'], ['HostsPath', 'hosts']]) {
      expect(c[key]).toBe(join(cli.env.storeRoot, 'containers', id, file))
    }
    ok(['start', 'files'])
    expect(readFileSync(c.HostnamePath, 'utf8')).toBe(`${id.slice(0, 12)}\n`)
    expect(c.HostConfig.Devices).toEqual([
      { PathOnHost: '/dev/null', PathInContainer: '/dev/nothing', CgroupPermissions: 'r' },
      { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' },
    ])
    expect(c.HostConfig.DeviceCgroupRules).toEqual(['c 1:3 rw'])
  })

  it('Config.Env has the image\'s and the user\'s variables; the process has HOME, HOSTNAME and -t\'s TERM; exec -u takes HOME from passwd', () => {
    ok(['run', '-d', '--name', 'e1', '--cgroup-parent', cli.env.cgroupParent, '-h', 'hh', '-e', 'A=1', BUSYBOX, 'sleep', '60'])
    const envOf = (name: string) => JSON.parse(ok(['inspect', '-f', '{{json .Config.Env}}', name])) as string[]
    expect(envOf('e1').filter((e) => /^(HOME|HOSTNAME)=/.test(e))).toEqual([])
    expect(envOf('e1')).toContain('A=1')
    expect(ok(['exec', 'e1', 'sh', '-c', 'echo $HOME $HOSTNAME'])).toBe('/root hh\n')
    // the image's passwd: nobody's home is /nonexistent
    expect(ok(['exec', '-u', 'nobody', 'e1', 'sh', '-c', 'echo $HOME'])).toBe('/nonexistent\n')
    expect(ok(['exec', '-u', 'nobody', '-e', 'HOME=/x', 'e1', 'sh', '-c', 'echo $HOME'])).toBe('/x\n')
    // the container's -e HOME is the user's: kept for every exec
    ok(['run', '-d', '--name', 'e2', '--cgroup-parent', cli.env.cgroupParent, '-e', 'HOME=/given', BUSYBOX, 'sleep', '60'])
    expect(envOf('e2')).toContain('HOME=/given')
    expect(ok(['exec', '-u', 'nobody', 'e2', 'sh', '-c', 'echo $HOME'])).toBe('/given\n')
    // -t's TERM is the process's, as Docker's daemon environment: not in Config.Env; -e TERM is
    ok(['create', '-t', '--name', 'e3', BUSYBOX, 'true'])
    expect(envOf('e3').filter((e) => e.startsWith('TERM='))).toEqual([])
    ok(['create', '-t', '--name', 'e4', '-e', 'TERM=vt100', BUSYBOX, 'true'])
    expect(envOf('e4')).toContain('TERM=vt100')
  })

  it('--security-opt apparmor=unconfined, label=disable and label:disable are accepted; an unknown one is refused', () => {
    ok(['create', '--name', 's1', '--security-opt', 'apparmor=unconfined', '--security-opt', 'label=disable', '--security-opt', 'label:disable', BUSYBOX, 'true'])
    const bad = cli.env.run(['create', '--security-opt', 'apparmor=docker-default', BUSYBOX, 'true'])
    expect(bad.status).toBe(125)
    expect(bad.stderr).toMatch(/--security-opt apparmor=docker-default: not supported/)
  })
})
