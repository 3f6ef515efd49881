// Bridge networking as root: -p from 127.0.0.1 (TCP and UDP), user networks
// with names and aliases, isolation, the /etc files, errors that leave
// nothing, and teardown after a crash. Everything runs in a network
// namespace of the test's own (helpers/netns.ts): the bridge, the iptables
// rules and aardvark-dns live there, and traffic goes only to its
// 127.0.0.1 and to the containers' addresses.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { GET, HTTPD, makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
const UDP_ECHO = fileURLToPath(new URL('helpers/udp-echo.c', import.meta.url))

/** Send a datagram from this namespace's side and wait for the answer (node's dgram, run in the namespace). */
const UDP_CLIENT = `const s = require('dgram').createSocket('udp4');
const [host, port] = process.argv.slice(1);
s.on('message', (m) => { process.stdout.write(String(m)); process.exit(0) });
setTimeout(() => process.exit(1), 1000);
s.send('datagram', Number(port), host);`

describe.skipIf(!isRoot || !netavark)('network: bridge (needs root, netavark and aardvark-dns)', () => {
  let env: TestEnv
  let ns: Netns
  let mr: (args: string[]) => ReturnType<Netns['miniRun']>
  const g = () => ['--root', env.storeRoot, '--state', env.stateRoot]
  const run = (args: string[]) => mr(['run', '--cgroup-parent', env.cgroupParent, ...args])
  const detached = (args: string[]) => {
    const r = run(['-d', ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.trim()
  }
  /** The page at host:port, from the namespace (polled: the server may still be starting). */
  const fetchPage = async (host: string, port: number) => {
    let page = ''
    await until(`a page from ${host}:${port}`, () => (page = ns.exec(['sh', '-c', GET(host, port).replace(/nc /, 'busybox nc ')]).stdout) !== '', 15_000)
    return page
  }
  const leases = () => {
    try {
      return JSON.parse(readFileSync(join(env.stateRoot, 'network', 'leases.json'), 'utf8')) as Record<string, unknown>
    } catch {
      return {}
    }
  }
  const dnsEntries = () => {
    const dir = join(env.stateRoot, 'network', 'aardvark-dns')
    return existsSync(dir) ? readdirSync(dir).filter((f) => f !== 'aardvark.pid') : []
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    mr = (args) => ns.miniRun([...g(), ...args])
    // the first container on a network makes netavark's scaffolding (its
    // FORWARD jump and empty chains), which stays: compare against after one
    expect(run(['--rm', BUSYBOX, 'true']).status).toBe(0)
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('-p reaches httpd in the container from 127.0.0.1; ps, port and inspect show where', async () => {
    const id = detached(['-p', '8080:80', '-p', '127.0.0.1::81', BUSYBOX, ...HTTPD])
    expect(await fetchPage('127.0.0.1', 8080)).toBe(`hello from ${id.slice(0, 12)}\n`)
    const port = mr(['port', id])
    expect(port.stdout).toMatch(/^80\/tcp -> 0\.0\.0\.0:8080\n81\/tcp -> 127\.0\.0\.1:\d+\n$/)
    expect(mr(['port', id, '80']).stdout).toBe('0.0.0.0:8080\n')
    const none = mr(['port', id, '1234'])
    expect([none.status, none.stdout, none.stderr]).toEqual([1, '', `mini-run: no public port '1234/tcp' published for ${id}\n`])
    const ps = mr(['ps']).stdout.split('\n')
    expect(ps[0]).toMatch(/PORTS/)
    expect(ps[1]).toMatch(/0\.0\.0\.0:8080->80\/tcp, 127\.0\.0\.1:\d+->81\/tcp/)
    const info = JSON.parse(mr(['inspect', id]).stdout)[0].NetworkSettings
    expect(info.IPAddress).toMatch(/^10\.91\.\d+\.\d+$/)
    expect(info.Gateway).toBe('10.91.0.1')
    expect(info.MacAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)
    expect(info.Ports['80/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: '8080' }])
    // and the container's own address answers too
    expect(await fetchPage(info.IPAddress, 80)).toBe(`hello from ${id.slice(0, 12)}\n`)
    const ip = mr(['exec', id, 'ip', '-4', 'addr', 'show', 'eth0']).stdout
    expect(ip).toContain(`inet ${info.IPAddress}/16`)
    // hairpin: the container reaches its own published port at the host's address, and so does another container
    const viaHost = (args: string[]) => mr([...args, 'sh', '-c', `for i in 1 2 3; do out=$(${GET(info.Gateway, 8080)}); [ -n "$out" ] && echo "$out" && exit 0; sleep 0.3; done; exit 1`])
    expect(viaHost(['exec', id]).stdout).toBe(`hello from ${id.slice(0, 12)}\n`)
    expect(viaHost(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX]).stdout).toBe(`hello from ${id.slice(0, 12)}\n`)
  })

  it('-p 5001:5000/udp reaches a UDP server in the container, and its answer comes back', async () => {
    const bin = join(env.dir, 'bin')
    execFileSync('mkdir', ['-p', bin])
    execFileSync('cc', ['-static', '-O2', '-o', join(bin, 'udp-echo'), UDP_ECHO])
    detached(['-p', '5001:5000/udp', '-v', `${bin}:/t:ro`, BUSYBOX, '/t/udp-echo', '5000'])
    let answer = ''
    await until('an answer over UDP', () => (answer = ns.exec([process.execPath, '-e', UDP_CLIENT, '127.0.0.1', '5001']).stdout) !== '', 15_000)
    expect(answer).toBe('echo:datagram')
  })

  it('--network none has only lo (its /etc files, Docker\'s, in network-none-hosts.test.ts); host the host\'s interfaces', () => {
    const none = run(['--rm', '--network', 'none', BUSYBOX, 'ls', '/sys/class/net'])
    expect(none.stdout).toBe('lo\n')
    const host = run(['--rm', '--network', 'host', BUSYBOX, 'ls', '/sys/class/net'])
    expect(host.stdout.split('\n').filter(Boolean).sort()).toEqual(ns.snapshot().links)
  })

  it('the default bridge after its first container: a veth pair of mini-run\'s own, no netavark; the host and other containers reach it; nothing left', async () => {
    // beforeAll's first container made the bridge with netavark, and its anchor port
    const before = { ...ns.snapshot(), leases: leases() }
    expect(before.links).toEqual(expect.arrayContaining(['mini-run0', 'mini-run0-pin', 'mini-run0-pip']))
    // a netavark that fails: these containers must not need it
    const noNetavark = { env: { MINI_RUN_NETAVARK: '/bin/false' } }
    const start = ns.miniRun([...g(), 'run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, ...HTTPD], noNetavark)
    expect(start.stderr).toBe('')
    const id = start.stdout.trim()
    const state = JSON.parse(readFileSync(join(env.stateRoot, id, 'state.json'), 'utf8'))
    expect(state.network.veth).toMatch(/^veth[0-9a-f]{11}$/)
    // its veth goes with the namespace, which nothing pins (netavark's path pins it)
    expect(existsSync(join(env.stateRoot, id, 'netns'))).toBe(false)
    const info = JSON.parse(mr(['inspect', id]).stdout)[0].NetworkSettings
    expect(info.IPAddress).toMatch(/^10\.91\.\d+\.\d+$/)
    expect(info.Gateway).toBe('10.91.0.1')
    // Docker's: 02:42 and the address's four bytes
    expect(info.MacAddress).toBe(`02:42:${info.IPAddress.split('.').map((b: string) => Number(b).toString(16).padStart(2, '0')).join(':')}`)
    expect(mr(['exec', id, 'cat', '/sys/class/net/eth0/address']).stdout).toBe(`${info.MacAddress}\n`)
    // from the host's side, through the bridge
    expect(await fetchPage(info.IPAddress, 80)).toBe(`hello from ${id.slice(0, 12)}\n`)
    // from another container on the bridge, which also reaches the gateway
    const client = ns.miniRun([...g(), 'run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', `${GET(info.IPAddress)}; ip route; ping -c 1 -W 2 10.91.0.1 >/dev/null && echo gateway`], noNetavark)
    expect(client.stderr).toBe('')
    expect(client.stdout).toMatch(new RegExp(`^hello from ${id.slice(0, 12)}\\ndefault via 10\\.91\\.0\\.1 dev eth0 *\\n10\\.91\\.0\\.0/16 dev eth0 scope link +src 10\\.91\\.\\d+\\.\\d+ *\\ngateway\\n$`))
    expect(mr(['rm', '-f', id]).status).toBe(0)
    // the veth pair goes with the container's namespace, which the kernel frees in the background
    await until('the veth pairs to go', () => JSON.stringify(ns.snapshot()) === JSON.stringify({ links: before.links, rules: before.rules }), 20_000)
    expect(leases()).toEqual(before.leases)
  })

  it('a step that fails in the child while the runtime attaches the network (they overlap): one line, 125, nothing left', async () => {
    // the child's filesystem steps run while the runtime attaches the network
    // (plan-sync.ts overlapsNetwork): this one fails at mkdir /proc, before the
    // child's wait on the sync pipe; the attach or the byte after it then
    // fails too (the child is gone), and the child's own report is what shows
    const root = mkdtempSync('/var/tmp/mini-run-overlap-')
    try {
      cpSync(BUSYBOX_ROOTFS, root, { recursive: true })
      rmSync(join(root, 'proc'), { recursive: true, force: true })
      writeFileSync(join(root, 'proc'), '')
      const before = { ...ns.snapshot(), leases: leases() }
      const explain = run(['--explain', '--network', 'bridge', '--rootfs', root, 'true']).stdout
      expect(explain).toMatch(/^## While the child sets up its filesystem$/m)
      expect(explain).toMatch(/^\d+\. read one byte from <sync>, the sync pipe: wait until the runtime has attached the network/m)
      for (let i = 0; i < 3; i++) {
        const r = run(['--rm', '--network', 'bridge', '--rootfs', root, 'true'])
        expect(r.stderr).toBe('mini-run: mkdir /proc: Not a directory\n')
        expect(r.status).toBe(125)
      }
      expect(mr(['ps', '-a', '-q']).stdout).toBe('')
      expect(leases()).toEqual(before.leases)
      await until('the veth pairs to go', () => JSON.stringify(ns.snapshot()) === JSON.stringify({ links: before.links, rules: before.rules }), 20_000)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a container on the default bridge starts again at once after it exits: a veth of a new name each time', () => {
    const name = 'again'
    expect(run(['--name', name, BUSYBOX, 'sh', '-c', 'ip -4 addr show eth0 | grep -c inet']).stdout).toBe('1\n')
    const veths = new Set<string>()
    for (let i = 0; i < 5; i++) {
      // the namespace of the run before may still be going: the kernel frees it in the background
      const again = mr(['start', '-a', name])
      expect(again.stderr).toBe('')
      expect(again.stdout).toBe('1\n')
      veths.add(JSON.parse(readFileSync(join(env.stateRoot, mr(['inspect', '-f', '{{.Id}}', name]).stdout.trim(), 'state.json'), 'utf8')).network.veth)
    }
    expect(veths.size).toBe(5)
    expect(mr(['rm', name]).status).toBe(0)
  })

  it('concurrent runs on the default bridge (four at a time): every one has its address and reaches the gateway; nothing is left', async () => {
    const before = { ...ns.snapshot(), leases: leases() }
    const worker = async () => {
      const ips: string[] = []
      for (let i = 0; i < 8; i++) {
        const r = await ns.miniRunAsync([...g(), 'run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'ping -c 1 -W 2 10.91.0.1 >/dev/null && ip -4 -o addr show eth0']).done
        expect(r.stderr).toBe('')
        expect(r.status).toBe(0)
        ips.push(/inet (10\.91\.\d+\.\d+)\//.exec(r.stdout)?.[1] ?? `none: ${r.stdout}`)
      }
      return ips
    }
    const all = (await Promise.all([0, 1, 2, 3].map(worker))).flat()
    expect(all.every((ip) => /^10\.91\./.test(ip))).toBe(true)
    await until('the veth pairs to go', () => JSON.stringify(ns.snapshot()) === JSON.stringify({ links: before.links, rules: before.rules }), 30_000)
    expect(leases()).toEqual(before.leases)
  }, 120_000)

  it('network prune takes the default bridge, its anchor and its rules down once no container is on it', () => {
    // a namespace and a state of its own: the bridge starts absent
    const own = makeNetns()
    const state = join(env.dir, 'prune-state')
    try {
      const m = (args: string[]) => own.miniRun(['--root', env.storeRoot, '--state', state, ...args])
      const before = own.snapshot()
      for (let i = 0; i < 2; i++) expect(m(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true']).status).toBe(0)
      expect(own.snapshot().links).toEqual(expect.arrayContaining(['mini-run0', 'mini-run0-pin']))
      // a prune killed half-way left its stand-in's namespace mounted: the next prune copes
      const pin = join(state, 'network', 'stand-in.netns')
      expect(own.exec(['sh', '-c', `mkdir -p ${state}/network && touch ${pin} && unshare --net=${pin} true`]).status).toBe(0)
      // an isolated network in use while the default bridge goes: its isolation stays
      expect(m(['network', 'create', 'iso']).status).toBe(0)
      const iso = m(['run', '-d', '--network', 'iso', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
      expect(m(['network', 'prune', '-f']).status).toBe(0)
      expect(own.snapshot().links).not.toContain('mini-run0')
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(pin)
      expect(own.exec(['iptables', '-t', 'filter', '-C', 'FORWARD', '-j', 'NETAVARK_ISOLATION_1']).status).toBe(0)
      expect(m(['rm', '-f', iso]).status).toBe(0)
      expect(m(['network', 'rm', 'iso']).status).toBe(0)
      for (let i = 0; i < 2; i++) expect(m(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'true']).status).toBe(0)
      expect(own.snapshot().links).toEqual(expect.arrayContaining(['mini-run0', 'mini-run0-pin']))
      const id = m(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
      expect(m(['network', 'prune', '-f']).status).toBe(0)
      // in use: it stays, and the container keeps its way out
      expect(own.snapshot().links).toEqual(expect.arrayContaining(['mini-run0', 'mini-run0-pin']))
      expect(m(['exec', id, 'sh', '-c', 'ping -c 1 -W 2 10.91.0.1 >/dev/null && echo gateway']).stdout).toBe('gateway\n')
      expect(m(['rm', '-f', id]).status).toBe(0)
      // the bridge deleted by hand: the anchor is a port of nothing, netavark makes the bridge
      // again, and the anchor is made a port of the new one
      expect(own.exec(['ip', 'link', 'del', 'mini-run0']).status).toBe(0)
      expect(m(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'ping -c 1 -W 2 10.91.0.1 >/dev/null && echo gateway']).stdout).toBe('gateway\n')
      expect(own.exec(['ip', '-o', 'link', 'show', 'mini-run0-pin']).stdout).toContain('master mini-run0 ')
      const fast = m(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
      expect(JSON.parse(readFileSync(join(state, fast, 'state.json'), 'utf8')).network.veth).toMatch(/^veth/)
      expect(m(['exec', fast, 'sh', '-c', 'ping -c 1 -W 2 10.91.0.1 >/dev/null && echo gateway']).stdout).toBe('gateway\n')
      expect(m(['rm', '-f', fast]).status).toBe(0)
      const prune = m(['network', 'prune', '-f'])
      expect(prune.stderr).toBe('')
      expect(prune.status).toBe(0)
      const after = own.snapshot()
      expect(after.links).toEqual(before.links)
      // what stays is netavark's scaffolding, as after a network's last container: no rule names the network
      expect(after.rules.filter((r) => /10\.91\.|mini-run0|NETAVARK-[0-9A-F]{8}/.test(r))).toEqual([])
      expect(existsSync(join(state, 'network', 'stand-in.netns'))).toBe(false)
      // and the next container brings it all back
      expect(m(['run', '--rm', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'ping -c 1 -W 2 10.91.0.1 >/dev/null && echo gateway']).stdout).toBe('gateway\n')
      expect(m(['network', 'prune', '-f']).status).toBe(0)
    } finally {
      own.close([state])
    }
  })

  it('a bridge keeps its address while containers come and go: the gateway, their DNS server, stays where they saw it', () => {
    // sysfs shows the network namespace of whoever mounts it: mounted afresh in the test's
    const bridge = () => ns.exec(['unshare', '--mount', 'sh', '-c', 'mount -t sysfs none /sys && cat /sys/class/net/mini-run0/addr_assign_type /sys/class/net/mini-run0/address']).stdout
    const a = detached([BUSYBOX, 'sleep', '60'])
    const before = bridge()
    // NET_ADDR_SET (3), not the lowest of its ports' addresses, which changes as containers come and
    // go and left the others' neighbour entry for their DNS server stale (names stopped resolving)
    expect(before.split('\n')[0]).toBe('3')
    const b = detached([BUSYBOX, 'sleep', '60'])
    expect(mr(['rm', '-f', a]).status).toBe(0)
    expect(bridge()).toBe(before)
    expect(mr(['rm', '-f', b]).status).toBe(0)
  })

  it('containers on a user network reach each other by name and alias, in both start orders; other networks cannot', async () => {
    expect(mr(['network', 'create', 'front']).status).toBe(0)
    expect(mr(['network', 'create', '--subnet', '10.93.7.0/24', '--gateway', '10.93.7.254', 'back']).status).toBe(0)
    expect(mr(['network', 'ls', '--format', '{{.Name}} {{.Driver}}', '-f', 'name=^front$', '-f', 'name=^back$']).stdout).toBe('back bridge\nfront bridge\n')
    const subnet = (n: string) => mr(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', n]).stdout
    expect(subnet('front')).toBe('10.92.0.0/24\n')
    expect(subnet('back')).toBe('10.93.7.0/24\n')
    const first = detached(['--name', 'first', '--network', 'front', '--network-alias', 'web', BUSYBOX, ...HTTPD])
    // started second, resolves the first by name and by alias
    await fetchPage(JSON.parse(mr(['inspect', first]).stdout)[0].NetworkSettings.IPAddress, 80) // up
    const second = run(['--rm', '--name', 'second', '--network', 'front', BUSYBOX, 'sh', '-c', `${GET('first')} && ${GET('web')}`])
    expect(second.stderr).toBe('')
    expect(second.stdout).toBe(`hello from ${first.slice(0, 12)}\n`.repeat(2))
    // started first, resolves one started after it
    const later = detached(['--name', 'later', '--network', 'front', BUSYBOX, ...HTTPD])
    let back = ''
    // "later" has the address "second" gave back, and the MAC that goes with it (Docker's 02:42 and
    // the address), which first still has for it; with netavark's random MAC, first sent to the old
    // one until its neighbour entry went stale, 8-12 s. The MAC is asserted below, not the time
    await until('the later container to answer the first by name', () => (back = mr(['exec', first, 'sh', '-c', GET('later')]).stdout) !== '', 15_000)
    expect(back).toBe(`hello from ${later.slice(0, 12)}\n`)
    const ipLater = JSON.parse(mr(['inspect', later]).stdout)[0].NetworkSettings.IPAddress as string
    const macLater = `02:42:${ipLater.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join(':')}`
    expect(mr(['exec', later, 'cat', '/sys/class/net/eth0/address']).stdout).toBe(`${macLater}\n`)
    // another network: no name, and no route through the bridges either
    const ipFirst = JSON.parse(mr(['inspect', first]).stdout)[0].NetworkSettings.IPAddress as string
    const other = run(['--rm', '--network', 'back', BUSYBOX, 'sh', '-c', `cat /etc/resolv.conf; nslookup first >/dev/null 2>&1 && echo resolved; test -n "$(${GET(ipFirst)})" || echo unreachable; ip -4 addr show eth0`])
    expect(other.stdout).toContain('nameserver 10.93.7.254\n')
    expect(other.stdout).not.toContain('resolved')
    expect(other.stdout).toContain('unreachable')
    expect(other.stdout).toMatch(/inet 10\.93\.7\.\d+\/24/)
    // the default bridge cannot reach it either
    expect(run(['--rm', BUSYBOX, 'sh', '-c', `test -n "$(${GET(ipFirst)})" || echo unreachable`]).stdout).toBe('unreachable\n')
    const refused = mr(['network', 'rm', 'front'])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^mini-run: network front is in use by container (first|later) \([0-9a-f]{12}\): remove it first\n$/)
  })

  it('stays isolated when another network loses its last container (netavark 1.4 drops the isolation jump then)', async () => {
    for (const n of ['iso-a', 'iso-b', 'iso-c']) mr(['network', 'create', n])
    const a = detached(['--network', 'iso-a', BUSYBOX, ...HTTPD])
    detached(['--network', 'iso-b', BUSYBOX, 'sleep', '60'])
    const c = detached(['--network', 'iso-c', BUSYBOX, 'sleep', '60'])
    expect(mr(['rm', '-f', c]).status).toBe(0)
    const ipA = JSON.parse(mr(['inspect', a]).stdout)[0].NetworkSettings.IPAddress as string
    await fetchPage(ipA, 80) // it serves
    const b = mr(['ps', '-q']).stdout.split('\n').find((x) => x && !a.startsWith(x))!
    expect(mr(['exec', b, 'sh', '-c', `test -n "$(${GET(ipA)})" || echo unreachable`]).stdout).toBe('unreachable\n')
    expect(ns.exec(['iptables', '-t', 'filter', '-C', 'FORWARD', '-j', 'NETAVARK_ISOLATION_1']).status).toBe(0)
  })

  it('a published port is reached at the host\'s address from another network too, as Docker\'s proxy takes it; the container\'s own address stays out of reach', async () => {
    mr(['network', 'create', '--subnet', '10.93.20.0/24', 'pub-a'])
    mr(['network', 'create', '--subnet', '10.93.21.0/24', 'pub-b'])
    const server = detached(['--network', 'pub-a', '-p', '8090:80', BUSYBOX, ...HTTPD])
    await fetchPage('127.0.0.1', 8090) // up
    // a network whose first container comes after: netavark puts its isolation rule first, and ours goes back in front
    const client = detached(['--network', 'pub-b', BUSYBOX, 'sleep', '60'])
    const rules = ns.exec(['iptables', '-S', 'NETAVARK_ISOLATION_1']).stdout.split('\n').filter((l) => l.startsWith('-A '))
    expect(rules[0]).toContain('--ctstate DNAT')
    const try3 = (host: string, port: number) => `for i in 1 2 3; do out=$(${GET(host, port)}); [ -n "$out" ] && echo "$out" && exit 0; sleep 0.3; done; echo unreachable`
    const hello = `hello from ${server.slice(0, 12)}\n`
    // its network's gateway, as host-gateway names it, and the default bridge's
    expect(mr(['exec', client, 'sh', '-c', try3('10.93.21.1', 8090)]).stdout).toBe(hello)
    expect(run(['--rm', BUSYBOX, 'sh', '-c', try3('10.91.0.1', 8090)]).stdout).toBe(hello)
    const ipServer = JSON.parse(mr(['inspect', server]).stdout)[0].NetworkSettings.IPAddress as string
    expect(mr(['exec', client, 'sh', '-c', `test -n "$(${GET(ipServer)})" || echo unreachable`]).stdout).toBe('unreachable\n')
    // with these networks' last containers their rules go; ours stays only in front of another network's
    mr(['rm', '-f', server, client])
    mr(['network', 'rm', 'pub-a', 'pub-b'])
    const left = ns.exec(['iptables', '-S', 'NETAVARK_ISOLATION_1']).stdout.split('\n').filter((l) => l.startsWith('-A '))
    if (left.length) expect(left.slice(1).every((l) => l.includes(' -j NETAVARK_ISOLATION_2'))).toBe(true)
    expect(left.length).not.toBe(1)
  })

  it('writes /etc/hosts, resolv.conf and hostname from --hostname, --dns, --dns-search, --add-host; takes --ip and --mac-address', () => {
    mr(['network', 'create', '--subnet', '10.94.0.0/24', 'fixed'])
    const r = run(['--rm', '--network', 'fixed', '--ip', '10.94.0.77', '--mac-address', '02:42:ac:11:00:77', '--hostname', 'box', '--name', 'named',
      '--dns', '192.0.2.53', '--dns-search', 'example.test', '--add-host', 'db:10.1.2.3', BUSYBOX,
      'sh', '-c', 'cat /etc/hostname /etc/hosts /etc/resolv.conf; ip -4 addr show eth0; cat /sys/class/net/eth0/address'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toContain('box\n127.0.0.1\tlocalhost\n')
    // Docker's order: --add-host's lines, then the container's own, of its
    // hostname only (a user network's DNS server answers the name)
    expect(r.stdout).toContain('ff02::2\tip6-allrouters\n10.1.2.3\tdb\n10.94.0.77\tbox\n')
    // the default bridge the same: its own line is the hostname (a dotted one and its first label), never the name
    const plain = run(['--rm', '--name', 'named', BUSYBOX, 'sh', '-c', 'tail -n 1 /etc/hosts; hostname'])
    expect(plain.stderr).toBe('')
    const [line, hostname] = plain.stdout.trimEnd().split('\n')
    expect(hostname).toMatch(/^[0-9a-f]{12}$/)
    expect(line).toMatch(new RegExp(`^\\d+\\.\\d+\\.\\d+\\.\\d+\\t${hostname}$`))
    const dotted = run(['--rm', '--name', 'named', '--hostname', 'box.example.test', BUSYBOX, 'tail', '-n', '1', '/etc/hosts'])
    expect(dotted.stdout).toMatch(/^\d+\.\d+\.\d+\.\d+\tbox\.example\.test box\n$/)
    // a user network's own DNS server answers, forwarding to --dns
    expect(r.stdout).toContain('search example.test\nnameserver 10.94.0.1\n')
    expect(r.stdout).toContain('inet 10.94.0.77/24')
    expect(r.stdout).toContain('02:42:ac:11:00:77\n')
    const taken = detached(['--network', 'fixed', '--ip', '10.94.0.78', BUSYBOX, 'sleep', '60'])
    const clash = run(['--rm', '--network', 'fixed', '--ip', '10.94.0.78', BUSYBOX, 'true'])
    expect(clash.stderr).toBe(`mini-run: address 10.94.0.78 on network fixed is already in use by container ${taken.slice(0, 12)}\n`)
    expect(clash.status).toBe(125)
  })

  it('refuses a busy port, a bad -p, an unknown network and an overlapping subnet with one line, leaving nothing', () => {
    const id = detached(['-p', '8081:80', BUSYBOX, 'sleep', '60'])
    // one of the host's own addresses, the bridge's among them, is taken
    const own = detached(['-p', '10.91.0.1:8084:80', '-p', '127.0.0.5:8085:80', BUSYBOX, 'sleep', '60'])
    expect(mr(['port', own]).stdout).toBe('80/tcp -> 10.91.0.1:8084\n80/tcp -> 127.0.0.5:8085\n')
    expect(mr(['rm', '-f', own]).status).toBe(0)
    const before = { ...ns.snapshot(), leases: leases(), dns: dnsEntries() }
    const cases: [string[], RegExp][] = [
      [['-p', '8081:80'], /^mini-run: Bind for 0\.0\.0\.0:8081 failed: port is already allocated\n$/],
      [['-p', '70000:80'], /^mini-run: invalid -p "70000:80": "70000" is not a port \(1-65535\)\n$/],
      [['-p', '80/sctp'], /^mini-run: invalid -p "80\/sctp": the protocol must be tcp or udp, not "sctp"\n$/],
      [['--network', 'nosuch'], /^mini-run: network nosuch not found\n$/],
      // an address this namespace does not have (TEST-NET-3: never routed)
      [['-p', '203.0.113.9:8083:80'], /^mini-run: Bind for 203\.0\.113\.9:8083 failed: cannot assign requested address \(203\.0\.113\.9 is not an address of this host\)\n$/],
    ]
    for (const [args, message] of cases) {
      const r = run(['--rm', ...args, BUSYBOX, 'true'])
      expect(r.stderr).toMatch(message)
      expect(r.status).toBe(125)
    }
    // a port a host process listens on
    const listener = ns.exec(['sh', '-c', 'busybox nc -l -p 8082 >/dev/null 2>&1 & echo $!']).stdout.trim()
    try {
      let busy = run(['--rm', '-p', '8082:80', BUSYBOX, 'true'])
      for (let i = 0; i < 20 && busy.status === 0; i++) busy = run(['--rm', '-p', '8082:80', BUSYBOX, 'true'])
      expect(busy.stderr).toMatch(/^mini-run: Bind for 0\.0\.0\.0:8082 failed: port is already in use on the host \(a tcp socket on 0\.0\.0\.0:8082\)\n$/)
    } finally {
      ns.exec(['kill', listener])
    }
    // a subnet the host already routes
    ns.exec(['ip', 'link', 'add', 'mr-taken', 'type', 'bridge'])
    ns.exec(['ip', 'addr', 'add', '10.95.0.1/24', 'dev', 'mr-taken'])
    ns.exec(['ip', 'link', 'set', 'mr-taken', 'up'])
    try {
      const clash = mr(['network', 'create', '--subnet', '10.95.0.0/16', 'clash'])
      expect(clash.stderr).toBe("mini-run: network clash: subnet 10.95.0.0/16 overlaps the host's route to 10.95.0.0/24 on mr-taken: choose another --subnet\n")
      expect(clash.status).toBe(1)
      const dflt = run(['--rm', BUSYBOX, 'true'])
      expect(dflt.status).toBe(0)
      const moved = ns.miniRun([...g(), 'run', '--rm', BUSYBOX, 'true'], { env: { ...process.env, MINI_RUN_BRIDGE_SUBNET: '10.95.0.0/16' } })
      expect(moved.stderr).toBe("mini-run: network bridge: subnet 10.95.0.0/16 overlaps the host's route to 10.95.0.0/24 on mr-taken: set MINI_RUN_BRIDGE_SUBNET to a free subnet\n")
    } finally {
      ns.exec(['ip', 'link', 'del', 'mr-taken'])
    }
    expect({ ...ns.snapshot(), leases: leases(), dns: dnsEntries() }).toEqual(before)
    expect(mr(['rm', '-f', id]).status).toBe(0)
  })

  it('network connect gives a running container another network, with its names there; disconnect takes it away; its -p moves to the network that remains', async () => {
    mr(['network', 'create', 'left'])
    mr(['network', 'create', 'right'])
    const before = { ...ns.snapshot(), leases: leases() }
    const id = detached(['--name', 'mover', '--network', 'left', '-p', '127.0.0.1:18320:80', BUSYBOX, ...HTTPD])
    expect(mr(['network', 'connect', '--alias', 'api', 'right', 'mover']).status).toBe(0)
    expect(mr(['exec', id, 'ip', '-4', 'addr', 'show', 'eth1']).stdout).toMatch(/inet 10\.92\.\d+\.\d+\/24/)
    let page = ''
    await until('the alias on the new network', () => (page = run(['--rm', '--network', 'right', BUSYBOX, 'sh', '-c', GET('api')]).stdout) !== '', 15_000)
    expect(page).toBe(`hello from ${id.slice(0, 12)}\n`)
    expect(JSON.parse(mr(['inspect', id]).stdout)[0].NetworkSettings.Networks.right.Aliases).toContain('api')
    expect(mr(['network', 'disconnect', 'right', 'mover']).status).toBe(0)
    expect(mr(['exec', id, 'sh', '-c', 'ip -4 addr show eth1 2>/dev/null || echo gone']).stdout).toBe('gone\n')
    expect(run(['--rm', '--network', 'right', BUSYBOX, 'sh', '-c', 'nslookup api >/dev/null 2>&1 && echo resolved || echo unknown']).stdout).toBe('unknown\n')
    // the network its port was published through disconnected, another with a way out left: the port
    // forwards through that one (Docker moves the mappings), and nothing of the first one's mapping is left
    expect(mr(['network', 'connect', 'right', 'mover']).status).toBe(0)
    const gone = mr(['network', 'disconnect', 'left', 'mover'])
    expect([gone.status, gone.stderr]).toEqual([0, ''])
    expect(mr(['port', id]).stdout).toBe('80/tcp -> 127.0.0.1:18320\n')
    expect(await fetchPage('127.0.0.1', 18320)).toBe(`hello from ${id.slice(0, 12)}\n`)
    const nat = ns.exec(['iptables-save', '-t', 'nat']).stdout
    expect(nat).not.toContain(`dnat name: left id: ${id}`)
    expect(nat).toContain(`dnat name: right id: ${id}`)
    expect(mr(['rm', '-f', id]).status).toBe(0)
    expect({ ...ns.snapshot(), leases: leases() }).toEqual(before)
  })

  it('network connect of a container on the default bridge\'s own veth: its namespace is pinned then, and all of it goes with rm -f', async () => {
    mr(['network', 'create', 'joined'])
    const before = { ...ns.snapshot(), leases: leases() }
    const id = detached(['--name', 'fast', BUSYBOX, ...HTTPD])
    expect(existsSync(join(env.stateRoot, id, 'netns'))).toBe(false)
    // what a connect killed between the pin's file and its mount leaves: made again, not taken for a pin
    writeFileSync(join(env.stateRoot, id, 'netns'), '')
    expect(mr(['network', 'connect', '--alias', 'web', 'joined', 'fast']).status).toBe(0)
    expect(existsSync(join(env.stateRoot, id, 'netns'))).toBe(true)
    expect(mr(['exec', id, 'ip', '-4', 'addr', 'show', 'eth1']).stdout).toMatch(/inet 10\.\d+\.\d+\.\d+\/24/)
    let page = ''
    await until('the alias on the joined network', () => (page = run(['--rm', '--network', 'joined', BUSYBOX, 'sh', '-c', GET('web')]).stdout) !== '', 15_000)
    expect(page).toBe(`hello from ${id.slice(0, 12)}\n`)
    // and still on the default bridge
    const ip = JSON.parse(mr(['inspect', id]).stdout)[0].NetworkSettings.Networks.bridge.IPAddress
    expect(await fetchPage(ip, 80)).toBe(`hello from ${id.slice(0, 12)}\n`)
    expect(mr(['rm', '-f', id]).status).toBe(0)
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(join(env.stateRoot, id))
    await until('the veth pairs to go', () => JSON.stringify(ns.snapshot()) === JSON.stringify({ links: before.links, rules: before.rules }), 20_000)
    expect(leases()).toEqual(before.leases)
    expect(dnsEntries()).toEqual([])
    expect(mr(['network', 'rm', 'joined']).status).toBe(0)
  })

  it('network connect of a foreground container: its exit undoes what connect added too (its name in the DNS, the network\'s rules)', async () => {
    mr(['network', 'create', 'later'])
    const before = { ...ns.snapshot(), leases: leases(), dns: dnsEntries() }
    // it ends once the test has seen it by its alias on the network connect added (a file in a bind of the test's)
    const signal = mkdtempSync(join(env.dir, 'signal-'))
    const fg = ns.miniRunAsync([...g(), 'run', '--rm', '--name', 'fg', '--cgroup-parent', env.cgroupParent, '-v', `${signal}:/signal`, BUSYBOX, 'sh', '-c', 'until [ -e /sys/class/net/eth1 ] && [ -e /signal/end ]; do sleep 0.1; done; echo joined'])
    await until('the foreground container to run', () => mr(['inspect', '-f', '{{.State.Status}}', 'fg']).stdout.trim() === 'running', 15_000)
    expect(mr(['network', 'connect', '--alias', 'late', 'later', 'fg']).status).toBe(0)
    expect(dnsEntries()).toEqual(['later'])
    await until('its alias on the network', () => run(['--rm', '--network', 'later', BUSYBOX, 'sh', '-c', 'nslookup late >/dev/null 2>&1 && echo found']).stdout === 'found\n', 15_000)
    writeFileSync(join(signal, 'end'), '')
    const r = await fg.done
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('joined\n')
    expect(r.status).toBe(0)
    // the network's bridge and rules went with its last container, as netavark does
    await until('the veth pairs and the network\'s bridge to go', () => JSON.stringify(ns.snapshot()) === JSON.stringify({ links: before.links, rules: before.rules }), 20_000)
    expect({ leases: leases(), dns: dnsEntries() }).toEqual({ leases: before.leases, dns: before.dns })
    expect(mr(['network', 'rm', 'later']).status).toBe(0)
  })

  it('kill -9 of the monitor, then rm -f: no veth, rule, lease or DNS entry is left', async () => {
    mr(['network', 'create', 'crash'])
    const before = { ...ns.snapshot(), leases: leases(), dns: dnsEntries() }
    const id = detached(['--network', 'crash', '--network-alias', 'svc', '-p', '8090:80', BUSYBOX, 'sleep', '60'])
    expect(dnsEntries()).toEqual(['crash'])
    expect(ns.snapshot().links.length).toBeGreaterThan(before.links.length)
    process.kill(JSON.parse(mr(['inspect', id]).stdout)[0].MonitorPid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 200))
    expect(mr(['rm', '-f', id]).status).toBe(0)
    expect({ ...ns.snapshot(), leases: leases(), dns: dnsEntries() }).toEqual(before)
  })

  it('a detached container gives its address and ports back when it exits (the monitor runs internal cleanup)', async () => {
    const id = detached(['-p', '8091:80', BUSYBOX, 'sh', '-c', 'sleep 0.3'])
    await until('the container to exit and its network to go', () => !(id in leases()), 15_000)
    expect(mr(['port', id]).stdout).toBe('')
    expect(run(['--rm', '-p', '8091:80', BUSYBOX, 'true']).status).toBe(0)
  })

  it('48 run -d -p / rm -f cycles, four at a time, leave interfaces, rules and leases as they were', async () => {
    const before = { ...ns.snapshot(), leases: leases(), dns: dnsEntries() }
    // four at a time: the leases, the locks and netavark's rules meet concurrent runs
    const worker = async (w: number) => {
      for (let i = 0; i < 12; i++) {
        const r = await ns.miniRunAsync([...g(), 'run', '-d', '--cgroup-parent', env.cgroupParent, '-p', `${9000 + w}:80`, BUSYBOX, 'sleep', '60']).done
        expect(r.stderr).toBe('')
        const rm = await ns.miniRunAsync([...g(), 'rm', '-f', r.stdout.trim()]).done
        expect(rm.status).toBe(0)
      }
    }
    await Promise.all([0, 1, 2, 3].map(worker))
    expect({ ...ns.snapshot(), leases: leases(), dns: dnsEntries() }).toEqual(before)
  }, 300_000)

  it('--explain shows the default bridge\'s own steps: the veth over rtnetlink, else netavark', () => {
    const parent = run(['--explain', BUSYBOX, 'true']).stdout.split('# The container process')[0]!
    expect(parent).toMatch(/if mini-run0 has its anchor mini-run0-pin, by rtnetlink: ip link add veth<random> master mini-run0 up type veth peer name eth0 netns \/proc\/<pid>\/ns\/net/)
    expect(parent).toMatch(/then in the container's namespace: ip addr add <lease>\/16 dev eth0; ip link set eth0 up; ip route add default via 10\.91\.0\.1/)
    // the pin is netavark's alone: the fast path's veth goes with the namespace
    expect(parent).toMatch(/then else: mount --bind \/proc\/<pid>\/ns\/net \S+\/netns\n\s+then else: netavark --config/)
    // a teaching text: every line fits a terminal's width twice over
    expect(parent.split('\n').filter((l) => l.length > 200)).toEqual([])
  })

  it('--explain shows the parent\'s network steps: the lease, the netns pin, netavark with its JSON, the files', () => {
    const r = run(['--explain', '-p', '8080:80', BUSYBOX, 'true'])
    expect(r.status).toBe(0)
    const parent = r.stdout.split('# The container process')[0]!
    expect(parent).toMatch(/take a lease in .*leases\.json under flock: a free address in bridge \(10\.91\.0\.0\/16\); host ports for 0\.0\.0\.0:8080->80\/tcp/)
    expect(parent).toMatch(/mount --bind \/proc\/<pid>\/ns\/net .*\/netns/)
    expect(parent).toMatch(/netavark --config .* setup <netns pin> < NetworkOptions JSON \(bridge: bridge mini-run0, eth0, gateway 10\.91\.0\.1/)
    expect(parent.indexOf('netavark')).toBeLessThan(parent.indexOf('write one byte to the sync pipe'))
    // after netavark, hairpin on its port: published ports only
    expect(parent.indexOf('bridge link set dev <host end of eth0> hairpin on')).toBeGreaterThan(parent.indexOf('netavark --config'))
    expect(run(['--explain', '--network', 'bridge', BUSYBOX, 'true']).stdout).not.toContain('hairpin')
  })
})
