// A container is a process in new namespaces: it is PID 1, sees only its own
// processes, has its own hostname, only a loopback interface, and none of the
// host's mounts.
import { readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('run: namespaces (needs root: creates namespaces, mounts and cgroups)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('runs the command as PID 1 and shows only the container\'s processes', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c', 'echo $$; ps -o pid,comm; exit 0']))
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const [pid, header, ...procs] = r.stdout.trim().split('\n')
    expect(pid).toBe('1')
    expect(header).toMatch(/PID\s+COMMAND/)
    // sh (PID 1) and ps itself, nothing of the host
    expect(procs.map((l) => l.trim().split(/\s+/))).toEqual([['1', 'sh'], [expect.any(String), 'ps']])
  })

  it('has its own hostname, the id prefix by default or --hostname', () => {
    const def = env.run(env.runArgs([BUSYBOX, 'hostname']))
    expect(def.stdout.trim()).toMatch(/^[0-9a-f]{12}$/)
    const named = env.run(env.runArgs(['--hostname', 'box1', BUSYBOX, 'sh', '-c', 'hostname; echo $HOSTNAME']))
    expect(named.stdout).toBe('box1\nbox1\n')
    expect(env.run(env.runArgs([BUSYBOX, 'hostname'])).stdout.trim()).not.toBe('box1')
  })

  // Docker's --domainname and --sysctl: the UTS namespace's domain name, and
  // kernel parameters of the container's own namespaces, set before the
  // command runs; the host's stay as they were. One that would change the
  // host is refused in one line, with 125, and nothing is left.
  it('sets --domainname and --sysctl in its own namespaces, shows them in inspect, and refuses a parameter of the host\'s', () => {
    const hostDomain = readFileSync('/proc/sys/kernel/domainname', 'utf8')
    const hostShmmni = readFileSync('/proc/sys/kernel/shmmni', 'utf8')
    const read = 'cat /proc/sys/kernel/domainname /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/fs/mqueue/msg_max'
    const flags = ['--domainname', 'example.org', '--sysctl', 'kernel.shmmni=2048', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=80', '--sysctl', 'fs.mqueue.msg_max=20']
    const r = env.run(env.runArgs(['--network', 'none', ...flags, BUSYBOX, 'sh', '-c', read]))
    expect(r).toMatchObject({ status: 0, stderr: '' })
    expect(r.stdout).toBe('example.org\n2048\n80\n20\n')
    expect([readFileSync('/proc/sys/kernel/domainname', 'utf8'), readFileSync('/proc/sys/kernel/shmmni', 'utf8')]).toEqual([hostDomain, hostShmmni])
    // made by create, set again at each start, and shown as Docker shows them
    const id = env.run(['create', '--network', 'none', ...flags, BUSYBOX, 'sh', '-c', read]).stdout.trim()
    try {
      expect(env.run(['start', '-a', id]).stdout).toBe('example.org\n2048\n80\n20\n')
      const info = JSON.parse(env.run(['inspect', id]).stdout)[0]
      expect(info.Config.Domainname).toBe('example.org')
      expect(info.HostConfig.Sysctls).toEqual({ 'kernel.shmmni': '2048', 'net.ipv4.ip_unprivileged_port_start': '80', 'fs.mqueue.msg_max': '20' })
    } finally {
      env.run(['rm', '-f', id])
    }
    // the refused ones with the host's own values: were a check ever lost, the host would be left as it was
    const host = (key: string) => readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim()
    for (const [args, line] of [
      [['--sysctl', `vm.swappiness=${host('vm.swappiness')}`], 'mini-run: --sysctl vm.swappiness: not a parameter of a namespace the container has of its own'],
      [['--network', 'host', '--sysctl', `net.ipv4.ip_forward=${host('net.ipv4.ip_forward')}`], "mini-run: --sysctl net.ipv4.ip_forward: the container shares the host's network namespace"],
      [['--uts', 'host', '--domainname', 'x'], 'mini-run: --domainname cannot be used with --uts host'],
    ] as const) {
      const refused = env.run(env.runArgs([...args, BUSYBOX, 'true']))
      expect(refused.status).toBe(125)
      expect(refused.stderr.startsWith(line)).toBe(true)
      expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1)
    }
  })

  // Docker's daemon's defaults in a network namespace of the container's
  // own: any user may listen on a port below 1024 and ping (ICMP sockets);
  // not with the host's network, whose parameters stay the host's
  it("lets any user bind a port below 1024 in a network of the container's own, as Docker's defaults do; not with --network host", () => {
    const read = 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range'
    // listening: port 80 (0050) in state LISTEN (0A) in the kernel's tables (IPv4 or IPv6), while nc waits
    const listening = "grep -qE ':0050 0+:0000 0A' /proc/net/tcp /proc/net/tcp6 && echo listened"
    const own = env.run(env.runArgs(['--network', 'none', '-u', '1000', BUSYBOX, 'sh', '-c', `${read}; nc -l -p 80 & sleep 0.3; ${listening}; kill $!`]))
    expect(own).toMatchObject({ status: 0, stderr: '' })
    expect(own.stdout).toBe('0\n0\t2147483647\nlistened\n')
    const host = env.run(env.runArgs(['--network', 'host', BUSYBOX, 'sh', '-c', read]))
    expect(host.stdout).toBe(`${readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')}${readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8')}`)
    // the user's --sysctl wins; inspect shows only the user's
    const id = env.run(['create', '--network', 'none', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=80', '--sysctl', 'net.ipv4.ping_group_range=0 2147483647', BUSYBOX, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']).stdout.trim()
    try {
      expect(env.run(['start', '-a', id]).stdout).toBe('80\n')
      // the user's as given, a value the defaults have too included
      expect(JSON.parse(env.run(['inspect', id]).stdout)[0].HostConfig.Sysctls).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '80', 'net.ipv4.ping_group_range': '0 2147483647' })
    } finally {
      env.run(['rm', '-f', id])
    }
    // ports published with the host's network are dropped, with Docker's warning
    const published = env.run(env.runArgs(['--network', 'host', '-p', '8080:80', BUSYBOX, 'echo', 'ran']))
    expect(published).toMatchObject({ status: 0, stdout: 'ran\n', stderr: 'mini-run: Published ports are discarded when using host network mode\n' })
    // -P, and --network none, drop them without a word, as Docker's daemon does
    for (const args of [['--network', 'host', '-P', '--expose', '80'], ['--network', 'none', '-p', '8080:80']]) {
      expect(env.run(env.runArgs([...args, BUSYBOX, 'echo', 'ran']))).toMatchObject({ status: 0, stdout: 'ran\n', stderr: '' })
    }
  })

  it('has only lo, and lo is up, with --network none', () => {
    const r = env.run(env.runArgs(['--network', 'none', BUSYBOX, 'sh', '-c', 'ls /sys/class/net; ip -o link']))
    expect(r.status).toBe(0)
    const [ifaces] = r.stdout.split('\n')
    expect(ifaces).toBe('lo')
    expect(r.stdout).toMatch(/1: lo: <LOOPBACK,UP,LOWER_UP>/)
    expect(r.stdout).not.toMatch(/^2:/m)
  })

  it('does not see the host\'s mounts', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'cat', '/proc/self/mountinfo']))
    expect(r.status).toBe(0)
    const targets = r.stdout.trim().split('\n').map((l) => l.split(' ')[4])
    expect(targets[0]).toBe('/')
    // the network's own /etc files (src/network/etc-files.ts) are bound in, as in Docker
    const own = /^\/etc\/(hosts|resolv\.conf|hostname)$/
    for (const t of targets) expect(t).toMatch(own.test(t!) ? own : /^\/(proc|dev|sys)?(\/|$)/)
    // (the overlay's own options name its host directories, as in Docker; no host mount is listed)
    expect(targets.filter((t) => /^\/(work|var|home|run|boot|etc|usr)(\/|$)/.test(t!) && !own.test(t!))).toEqual([])
  })

  it('sees the host\'s processes nowhere, even by pid', () => {
    const r = env.run(env.runArgs([BUSYBOX, 'sh', '-c', `test -e /proc/${process.pid} && echo visible || echo hidden`]))
    expect(r.stdout.trim()).toBe('hidden')
  })

  it('shares the host\'s network (and hostname), PID, IPC or UTS namespace on request, and nothing else', () => {
    const ns = (kind: string) => readlinkSync(`/proc/self/ns/${kind}`)
    const probe = 'for n in net pid ipc uts mnt; do readlink /proc/self/ns/$n; done; hostname; ls /sys/class/net | tr "\\n" " "'
    const lines = (args: string[]) => env.run(env.runArgs([...args, BUSYBOX, 'sh', '-c', probe])).stdout.split('\n')
    const net = lines(['--network', 'host'])
    expect(net[0]).toBe(ns('net'))
    expect(net.slice(1, 5)).not.toContain(ns('pid'))
    expect(net.slice(1, 5)).not.toContain(ns('mnt'))
    expect(net[5]).toBe(hostname()) // Docker's --network host shows the host's name
    // this process's own namespace (the suite runs in one: /sys/class/net here shows the sysfs's, not ours)
    const ours = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean)
    expect(net[6]!.trim().split(' ').sort()).toEqual(ours.sort())
    const pid = env.run(env.runArgs(['--pid', 'host', BUSYBOX, 'sh', '-c', `readlink /proc/self/ns/pid; test -e /proc/${process.pid} && echo sees-host`]))
    expect(pid.stdout).toBe(`${ns('pid')}\nsees-host\n`)
    const ipcUts = lines(['--ipc', 'host', '--uts', 'host'])
    expect([ipcUts[2], ipcUts[3], ipcUts[5]]).toEqual([ns('ipc'), ns('uts'), hostname()])
    expect(ipcUts[0]).not.toBe(ns('net'))
    // --ipc host shares POSIX shared memory as well: the host's /dev/shm
    const shm = `/dev/shm/mini-run-test-${process.pid}`
    writeFileSync(shm, 'shared\n')
    try {
      expect(env.run(env.runArgs(['--ipc', 'host', BUSYBOX, 'cat', shm])).stdout).toBe('shared\n')
      expect(env.run(env.runArgs([BUSYBOX, 'sh', '-c', `test -e ${shm} || echo private`])).stdout).toBe('private\n')
    } finally {
      rmSync(shm, { force: true })
    }
  })

  it('--cgroupns host shares the host\'s cgroup namespace: /proc/self/cgroup shows the whole path; private (the default) its own root', () => {
    const cgroupLines = (args: string[]) => {
      const r = env.run(env.runArgs([...args, BUSYBOX, 'sh', '-c', 'readlink /proc/self/ns/cgroup; grep "^0::" /proc/self/cgroup']))
      expect([r.status, r.stderr]).toEqual([0, ''])
      return r.stdout.split('\n')
    }
    const own = readlinkSync('/proc/self/ns/cgroup')
    const host = cgroupLines(['--cgroupns', 'host'])
    expect(host[0]).toBe(own)
    // its leaf under the test's cgroup parent, as the host sees it
    expect(host[1]).toMatch(new RegExp(`^0::/.*${env.cgroupParent}/[0-9a-f]{64}$`))
    for (const args of [[], ['--cgroupns', 'private']]) expect(cgroupLines(args).slice(0, 2)).toEqual([expect.not.stringMatching(own), '0::/'])
    const id = env.run(env.runArgs(['-d', '--cgroupns', 'host', BUSYBOX, 'true']).filter((a) => a !== '--rm')).stdout.trim()
    expect(env.run(['inspect', '-f', '{{.HostConfig.CgroupnsMode}}', id]).stdout).toBe('host\n')
    // --explain says which tree /sys/fs/cgroup shows, and creates no cgroup namespace
    const plan = env.run(env.runArgs(['--explain', '--cgroupns', 'host', BUSYBOX, 'true'])).stdout
    expect(plan).toContain('with --cgroupns host it shows the whole tree')
    expect(plan).not.toMatch(/CLONE_NEWCGROUP/)
    expect(env.run(['rm', '-f', id]).status).toBe(0)
  })

  it('refuses what it cannot share: other network modes, --hostname in the host\'s UTS namespace, a user namespace', () => {
    const cases: [string[], string][] = [
      [['--cgroupns', 'container:x'], 'mini-run: --cgroupns container:x is not supported: use private or host\n'],
      [['--userns', 'auto', '--cgroupns', 'host'], "mini-run: --cgroupns host needs the host's user namespace: not with --userns=auto\n"],
      [['--network', 'slirp4netns'], "mini-run: --network slirp4netns is not supported: use bridge, none, host, container:NAME, or a network's name\n"],
      [['--network', 'container:x'], 'mini-run: no such container: x\n'],
      [['--uts', 'host', '--hostname', 'x'], 'mini-run: --hostname cannot be used with --uts host: it would rename the host\n'],
      [['--userns', 'auto', '--network', 'host'], "mini-run: --network host needs the host's user namespace: not with --userns=auto\n"],
    ]
    for (const [args, message] of cases) {
      const r = env.run(env.runArgs([...args, BUSYBOX, 'true']))
      expect(r.stderr).toBe(message)
      expect(r.status).toBe(125)
    }
    expect(hostname()).not.toBe('x')
  })
})
