// The pure parts of networking, without root: -p specs and Docker's PORTS
// text, /proc parsers, subnets, netavark's input, pasta's arguments, the
// /etc files, and the leases (IPAM and host ports) in a temp state dir.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { hostsFile, hostsNamesOf, parseAddHost, resolvConfFile } from '../src/network/etc-files.js'
import { hostResolvConf, isLocalAddress, isLoopbackResolver, parseLocalAddresses, parseResolvConf, parseRoutes, parseSockets, pastaView } from '../src/network/host-net.js'
import { netavark } from '../src/network/attach.js'
import { formatIp, parseCidr, parseIp } from '../src/network/ipv4.js'
import { readLeases, releaseLease, takeLease, tidyWithoutLeases } from '../src/network/leases.js'
import { netavarkOptions } from '../src/network/netavark.js'
import { checkSubnetFree, createNetwork, defaultNetwork } from '../src/network/networks.js'
import { pastaArgv } from '../src/network/pasta.js'
import { waitsForLock } from './helpers/locks.js'
import { until } from './helpers/until.js'
import { renameDnsLines } from '../src/network/rename.js'
import { planNetwork, PASTA_DNS } from '../src/network/plan-network.js'
import { portBindings } from '../src/cli/inspect-host-config.js'
import { exposedKeys, exposedPorts, formatPorts, parseExpose, parsePublish, portLines } from '../src/network/port-spec.js'

describe('the host\'s own addresses (/proc/net/fib_trie)', () => {
  it('reads each "host LOCAL" leaf with its prefix, and nothing else', () => {
    const trie = 'Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     +-- 127.0.0.0/8 2 0 2\n' +
      '        +-- 127.0.0.0/31 1 0 0\n           |-- 127.0.0.0\n              /8 host LOCAL\n           |-- 127.0.0.1\n              /32 host LOCAL\n' +
      '        |-- 127.255.255.255\n           /32 link BROADCAST\n     +-- 192.0.2.0/24 2 0 2\n           |-- 192.0.2.0\n              /24 link UNICAST\n' +
      '           |-- 192.0.2.2\n              /32 host LOCAL\n'
    expect(parseLocalAddresses(trie).map((c) => `${formatIp(c.network)}/${c.prefix}`)).toEqual(['127.0.0.0/8', '127.0.0.1/32', '192.0.2.2/32'])
    expect(['127.3.4.5', '192.0.2.2', '192.0.2.3', '10.0.0.1'].map((ip) => isLocalAddress(ip, trie))).toEqual([true, true, false, false])
  })
})

describe('-p and -P', () => {
  it('parses Docker\'s forms', () => {
    expect(parsePublish('80')).toEqual({ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp', range: 1 })
    expect(parsePublish('8080:80')).toEqual({ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 1 })
    expect(parsePublish('127.0.0.1:8080:80/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp', range: 1 })
    expect(parsePublish('127.0.0.1::80')).toEqual({ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp', range: 1 })
    expect(parsePublish('0.0.0.0:8000-8010:9000-9010')).toEqual({ hostIp: '', hostPort: 8000, containerPort: 9000, protocol: 'tcp', range: 11 })
    // Docker's nat.ParsePortSpec: a host range for one container port is where the start picks a free one
    expect(parsePublish('127.0.0.1:8000-8010:80')).toEqual({ hostIp: '127.0.0.1', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp', range: 1 })
    expect(portBindings(['8000-8010:80/udp'])).toEqual({ '80/udp': [{ HostIp: '', HostPort: '8000-8010' }] })
  })

  it('refuses what is not a port mapping, in one line naming it', () => {
    const bad: [string, string][] = [
      ['80/sctp', 'invalid -p "80/sctp": the protocol must be tcp or udp, not "sctp"'],
      ['0:80', 'invalid -p "0:80": "0" is not a port (1-65535)'],
      ['8000-8001:80-82', 'invalid -p "8000-8001:80-82": the host and container ranges differ in length'],
      ['1.2.3:80:80', 'invalid -p "1.2.3:80:80": "1.2.3" is not an IPv4 address'],
      ['[::1]:80:80', 'invalid -p "[::1]:80:80": IPv6 addresses are not supported (mini-run\'s networks are IPv4)'],
      ['a:b:c:d', 'invalid -p "a:b:c:d": use [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]'],
      ['65535-65536', 'invalid -p "65535-65536": "65536" is not a port (1-65535)'],
    ]
    for (const [spec, message] of bad) expect(() => parsePublish(spec)).toThrow(message)
  })

  it('-P takes the image\'s ExposedPorts; ps and port print them as Docker does', () => {
    expect(exposedPorts(['80/tcp', '53/udp', '9000']).map((p) => `${p.containerPort}/${p.protocol}:${p.hostPort}`).sort()).toEqual(['53/udp:0', '80/tcp:0', '9000/tcp:0'])
    const ports = [
      { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' as const, range: 1 },
      { hostIp: '127.0.0.1', hostPort: 5000, containerPort: 53, protocol: 'udp' as const, range: 2 },
    ]
    expect(formatPorts(ports)).toBe('0.0.0.0:8080->80/tcp, 127.0.0.1:5000-5001->53-54/udp')
    expect(portLines(ports)).toEqual(['80/tcp -> 0.0.0.0:8080', '53/udp -> 127.0.0.1:5000', '54/udp -> 127.0.0.1:5001'])
  })
})

describe('--expose', () => {
  it('reads Docker\'s forms: a port or a range, tcp by default; one key a port, as Docker records them', () => {
    expect(parseExpose('80')).toEqual(['80/tcp'])
    expect(parseExpose('53/UDP')).toEqual(['53/udp'])
    expect(parseExpose('7000-7002/udp')).toEqual(['7000/udp', '7001/udp', '7002/udp'])
    expect(parseExpose('9/sctp')).toEqual(['9/sctp'])
  })

  it('refuses what is not one, in Docker\'s words (opts/parse.go)', () => {
    const bad: [string, string][] = [
      ['8080:80', 'invalid port format for --expose: 8080:80'],
      ['/tcp', 'invalid range format for --expose: /tcp, error: not a port (1-65535) or a range of them (7000-7010)'],
      ['http', 'invalid range format for --expose: http, error: not a port (1-65535) or a range of them (7000-7010)'],
      ['90-80', 'invalid range format for --expose: 90-80, error: not a port (1-65535) or a range of them (7000-7010)'],
      ['65536', 'invalid range format for --expose: 65536, error: not a port (1-65535) or a range of them (7000-7010)'],
      ['80/icmp', 'invalid --expose 80/icmp: the protocol must be tcp, udp or sctp'],
    ]
    for (const [value, message] of bad) expect(() => parseExpose(value)).toThrow(message)
  })

  it('adds to the image\'s EXPOSE (a port it has already, in a range or not, once), and -P publishes them all', () => {
    const keys = exposedKeys({ '80/tcp': {}, '5000-5002/udp': {} }, ['80/tcp', '5001/udp', '9000/tcp', '9000/tcp', '7000/udp'])
    expect(keys).toEqual(['80/tcp', '5000-5002/udp', '9000/tcp', '7000/udp'])
    expect(exposedKeys(null, ['81/tcp'])).toEqual(['81/tcp'])
    expect(exposedPorts(keys).map((p) => `${p.containerPort}/${p.protocol}x${p.range}:${p.hostPort}`)).toEqual(['80/tcpx1:0', '5000/udpx3:0', '9000/tcpx1:0', '7000/udpx1:0'])
    expect(() => exposedPorts(['9/sctp'])).toThrow('-P: port 9/sctp cannot be published: mini-run publishes tcp and udp ports')
  })
})

describe('the host, from /proc and /etc', () => {
  it('reads routes, listening sockets and resolvers', () => {
    const routes = parseRoutes('Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n' +
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n')
    expect(routes.map((r) => `${r.dev} ${formatIp(r.dest.network)}/${r.dest.prefix}`)).toEqual(['eth0 0.0.0.0/0', 'eth0 192.0.2.0/24'])
    // pasta's view: the default route's interface address and its gateway
    expect(routes.map((r) => r.gateway && formatIp(r.gateway))).toEqual(['192.0.2.1', undefined])
    const eth0 = [{ family: 'IPv4', address: '192.0.2.7', internal: false }] as unknown as import('node:os').NetworkInterfaceInfo[]
    expect(pastaView(routes, { eth0 })).toEqual({ address: '192.0.2.7', gateway: '192.0.2.1' })
    expect(pastaView(routes.slice(1), { eth0 })).toEqual({})
    const tcp = parseSockets('  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A\n   1: 00000000:0050 00000000:0000 0A\n   2: 0100007F:1F91 0100007F:AAAA 01\n', 'tcp')
    expect(tcp).toEqual([{ protocol: 'tcp', ip: '127.0.0.1', port: 8080 }, { protocol: 'tcp', ip: '', port: 80 }])
    const v6 = parseSockets('  sl  local_address rem_address st\n 0: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 07\n', 'udp')
    expect(v6).toEqual([{ protocol: 'udp', ip: '', port: 53 }])
    expect(parseResolvConf('# x\nnameserver 127.0.0.53\nsearch a.example b.example\noptions edns0 trust-ad\n')).toEqual({ nameservers: ['127.0.0.53'], search: ['a.example', 'b.example'], options: ['edns0', 'trust-ad'] })
    expect(['127.0.0.53', '127.0.1.1', '::1', '10.0.0.2'].map(isLoopbackResolver)).toEqual([true, true, true, false])
  })

  it('takes systemd-resolved\'s upstream servers where /etc/resolv.conf names only its stub, as Docker does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mini-run-resolv-'))
    try {
      const files = { etc: join(dir, 'etc'), resolved: join(dir, 'resolved') }
      writeFileSync(files.etc, 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n')
      writeFileSync(files.resolved, 'nameserver 192.0.2.53\nnameserver 198.51.100.53\nsearch lan\n')
      expect(hostResolvConf(files)).toEqual({ nameservers: ['192.0.2.53', '198.51.100.53'], search: ['lan'], options: [] })
      // and so the default bridge needs no DNS server of its own there
      const ctx = { id: 'd'.repeat(64), name: 'n', hostname: 'h', storeRoot: '/nonexistent', stateRoot: '/s', rootless: false, filesDir: '/f' }
      expect(planNetwork({}, { ...ctx, host: { resolv: hostResolvConf(files), routes: [] } }).attachments[0]!.dns).toBe(false)
      // a host that names a reachable server keeps its own file
      writeFileSync(files.etc, 'nameserver 127.0.0.53\nnameserver 203.0.113.1\n')
      expect(hostResolvConf(files).nameservers).toEqual(['127.0.0.53', '203.0.113.1'])
      // no resolved file, or one with only loopback servers: the stub stays (aardvark-dns forwards to it)
      writeFileSync(files.etc, 'nameserver 127.0.0.53\n')
      writeFileSync(files.resolved, 'nameserver 127.0.0.1\n')
      expect(hostResolvConf(files).nameservers).toEqual(['127.0.0.53'])
      rmSync(files.resolved)
      expect(hostResolvConf(files).nameservers).toEqual(['127.0.0.53'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a subnet that a host route overlaps, except the network\'s own bridge and the default route', () => {
    const routes = [{ dev: 'eth0', dest: { network: 0, prefix: 0 } }, { dev: 'eth0', dest: parseCidr('10.91.4.0/24') }, { dev: 'mini-run0', dest: parseCidr('10.91.0.0/16') }]
    expect(() => checkSubnetFree(defaultNetwork({}), routes)).toThrow("network bridge: subnet 10.91.0.0/16 overlaps the host's route to 10.91.4.0/24 on eth0: set MINI_RUN_BRIDGE_SUBNET to a free subnet")
    expect(() => checkSubnetFree(defaultNetwork({}), routes.filter((r) => r.dev !== 'eth0' || r.dest.prefix === 0))).not.toThrow()
    expect(defaultNetwork({ MINI_RUN_BRIDGE_SUBNET: '10.200.0.0/24' })).toMatchObject({ subnet: '10.200.0.0/24', gateway: '10.200.0.1', bridge: 'mini-run0' })
    expect(() => parseCidr('10.91.0.1/16')).toThrow('invalid subnet "10.91.0.1/16": it has host bits set (the network is 10.91.0.0/16)')
  })
})

describe('leases and networks in a state dir', () => {
  let dir: string
  afterEach(() => rmSync(dir, { recursive: true, force: true }))
  const net = { name: 'bridge', subnet: '10.91.0.0/16', gateway: '10.91.0.1' }
  const A = 'a'.repeat(64)
  const B = 'b'.repeat(64)

  it('gives the lowest free address, a free host port, refuses taken ones, and forgets a stale lease', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    // the containers' state dirs make their leases live
    for (const id of [A, B]) rmSync(join(dir, id), { force: true, recursive: true })
    mkdirSync(join(dir, A), { recursive: true })
    const a = takeLease(dir, A, { networks: [net], ports: [parsePublish('8080:80'), parsePublish('53/udp')] }, [])
    expect(a.ips).toEqual({ bridge: '10.91.0.2' })
    expect(a.ports[0]!.hostPort).toBe(8080)
    expect(a.ports[1]!.hostPort).toBeGreaterThanOrEqual(1024)
    mkdirSync(join(dir, B))
    expect(() => takeLease(dir, B, { networks: [net], ports: [parsePublish('127.0.0.1:8080:81')] }, [])).toThrow('Bind for 127.0.0.1:8080 failed: port is already allocated')
    expect(() => takeLease(dir, B, { networks: [{ ...net, ip: '10.91.0.2' }], ports: [] }, [])).toThrow(`address 10.91.0.2 on network bridge is already in use by container ${A.slice(0, 12)}`)
    expect(() => takeLease(dir, B, { networks: [], ports: [parsePublish('9090:80')] }, [{ protocol: 'tcp', ip: '', port: 9090 }])).toThrow('Bind for 0.0.0.0:9090 failed: port is already in use on the host (a tcp socket on 0.0.0.0:9090)')
    // a failed take takes nothing
    expect(Object.keys(readLeases(dir))).toEqual([A])
    expect(takeLease(dir, B, { networks: [net], ports: [parsePublish('8080:80/udp')] }, []).ips).toEqual({ bridge: '10.91.0.3' })
    // A's container is gone and the process that took it was this one: still held; a dead taker's lease is stale
    rmSync(join(dir, A), { recursive: true })
    const leases = readLeases(dir)
    leases[A]!.owner = '999999999.1'
    writeFileSync(join(dir, 'network', 'leases.json'), JSON.stringify(leases))
    expect(takeLease(dir, B, { networks: [{ ...net, ip: '10.91.0.2' }], ports: [] }, []).ips).toEqual({ bridge: '10.91.0.2' })
    expect(Object.keys(readLeases(dir))).toEqual([B])
    releaseLease(dir, B)
    // with the last lease the network state goes
    expect(existsSync(join(dir, 'network'))).toBe(false)
  })

  // Two releases at once (rm -f and a container's own exit handling): the
  // second waits for the network lock while the first gives back the last
  // lease, whose network state (the lock's own directory) goes with it; the
  // waiter then makes the directory again to lock it, finds nothing to give
  // back, and must not leave it behind (a state root with an empty network/).
  it('leaves no network state behind a release that waited while the last lease went', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    mkdirSync(join(dir, A))
    takeLease(dir, A, { networks: [net], ports: [] }, [])
    const leases = new URL('../dist/network/leases.js', import.meta.url).pathname
    const go = join(dir, 'go')
    // the holder: the lock, until told; then the last lease given back as its release would (inside the lock)
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      import { existsSync, rmdirSync, unlinkSync } from 'node:fs'
      const { withNetworkLock } = await import(${JSON.stringify(leases)})
      withNetworkLock(${JSON.stringify(dir)}, () => {
        console.log('held')
        while (!existsSync(${JSON.stringify(go)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
        unlinkSync(${JSON.stringify(join(dir, 'network', 'leases.json'))})
        rmdirSync(${JSON.stringify(join(dir, 'network'))})
      })`], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    holder.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = (p: ChildProcess) => new Promise<number | null>((resolve) => p.on('exit', resolve))
    const holderExit = exited(holder)
    let waiter: ChildProcess | undefined
    try {
      await until('the holder to hold the lock', () => out.includes('held'))
      // only now: a release that came first would take the lock before the holder
      waiter = spawn(process.execPath, ['--input-type=module', '-e', `
        const { releaseLease } = await import(${JSON.stringify(leases)})
        console.log(JSON.stringify(releaseLease(${JSON.stringify(dir)}, ${JSON.stringify(B)}) ?? null))`], { stdio: ['ignore', 'pipe', 'inherit'] })
      let released = ''
      waiter.stdout!.on('data', (d: Buffer) => (released += d.toString()))
      const waiterExit = exited(waiter)
      await until('the release to wait for the lock', () => waitsForLock(waiter!.pid!))
      writeFileSync(go, '')
      expect(await holderExit).toBe(0)
      expect(await waiterExit).toBe(0)
      expect(released.trim()).toBe('null')
    } finally {
      holder.kill('SIGKILL')
      waiter?.kill('SIGKILL')
    }
    expect(existsSync(join(dir, 'network'))).toBe(false)
  })

  // a take refused (the port in use on the host) with no other lease: the
  // directory its lock made goes too, as after the last release
  it('leaves no network state behind a refused take', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    mkdirSync(join(dir, A))
    expect(() => takeLease(dir, A, { networks: [net], ports: [parsePublish('9090:80')] }, [{ protocol: 'tcp', ip: '', port: 9090 }])).toThrow('port is already in use on the host')
    expect(existsSync(join(dir, 'network'))).toBe(false)
    // and one that succeeds keeps it, with its lease
    takeLease(dir, A, { networks: [net], ports: [] }, [])
    expect(existsSync(join(dir, 'network', 'leases.json'))).toBe(true)
  })

  // aardvark-dns not gone within the tidy's wait (its pid file and config
  // stay): the network state stays for it, but the lease given back must
  // not, or the next take finds its address and port held
  it('the last release with aardvark-dns still there: the state stays, the lease does not', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    mkdirSync(join(dir, A))
    mkdirSync(join(dir, B))
    takeLease(dir, A, { networks: [{ ...net, ip: '10.91.0.7' }], ports: [parsePublish('8080:80')] }, [])
    const dns = join(dir, 'network', 'aardvark-dns')
    mkdirSync(dns)
    writeFileSync(join(dns, 'aardvark.pid'), `${process.pid}\n`)
    writeFileSync(join(dns, 'bridge'), '10.91.0.1\n')
    expect(releaseLease(dir, A)?.networks).toEqual({ bridge: '10.91.0.7' })
    expect(existsSync(join(dns, 'aardvark.pid'))).toBe(true)
    expect(readLeases(dir)).toEqual({})
    // A's container and its taker (this process) are both still there: only a lease really given back frees these
    expect(takeLease(dir, B, { networks: [{ ...net, ip: '10.91.0.7' }], ports: [parsePublish('8080:80')] }, []).ips).toEqual({ bridge: '10.91.0.7' })
  })

  // a pid file whose server is gone (killed; or a pid that is no aardvark-dns of
  // this directory now): nothing to wait for, and the network state goes whole
  it('the last release with a stale aardvark-dns pid file: the file goes with the state', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    mkdirSync(join(dir, A))
    takeLease(dir, A, { networks: [net], ports: [] }, [])
    const dns = join(dir, 'network', 'aardvark-dns')
    mkdirSync(dns)
    // this process is alive, and no aardvark-dns
    writeFileSync(join(dns, 'aardvark.pid'), `${process.pid}\n`)
    expect(releaseLease(dir, A)?.networks).toEqual({ bridge: '10.91.0.2' })
    expect(existsSync(join(dir, 'network'))).toBe(false)
  })

  // read as none, a corrupt file would give the running containers' addresses
  // and ports out again: a take refuses it, naming it; a release and a tidy
  // (a stop, an rm -f) go on and leave it for the user
  it('a corrupt leases file: a take refuses it in one line naming it; a release and a tidy leave it', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    mkdirSync(join(dir, A))
    takeLease(dir, A, { networks: [net], ports: [] }, [])
    const file = join(dir, 'network', 'leases.json')
    for (const [text, why] of [['', 'Unexpected end of JSON input'], ['{"' + A + '": {"owner"', "Expected ':' after property name in JSON at position 77"], ['[]', 'not a JSON object'], ['null', 'not a JSON object']] as const) {
      writeFileSync(file, text)
      const take = () => takeLease(dir, B, { networks: [net], ports: [] }, [])
      expect(take).toThrow(`the network leases ${file} are corrupt (${why}): stop the containers on bridge networks, then remove the file`)
      expect(() => readLeases(dir)).toThrow(expect.objectContaining({ code: 'ELEASESCORRUPT' }))
      expect(releaseLease(dir, A)).toBeUndefined()
      tidyWithoutLeases(dir)
      expect(readFileSync(file, 'utf8')).toBe(text)
    }
    // removed, as the message says: the next take starts over
    rmSync(file)
    expect(takeLease(dir, B, { networks: [net], ports: [] }, []).ips).toEqual({ bridge: '10.91.0.2' })
  })

  it('-p 8000-8002:80 takes the first host port of the range that nothing holds, and refuses a range all taken', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-leases-'))
    for (const id of [A, B]) mkdirSync(join(dir, id), { recursive: true })
    expect(takeLease(dir, A, { networks: [], ports: [parsePublish('8000:80')] }, []).ports[0]!.hostPort).toBe(8000)
    const listener = [{ protocol: 'tcp' as const, ip: '', port: 8001 }]
    // 8000 is A's, 8001 a host socket's; the lease holds the port it took, without the range
    expect(takeLease(dir, B, { networks: [], ports: [parsePublish('8000-8002:80'), parsePublish('8000-8003:81')] }, listener).ports).toEqual([
      { hostIp: '', hostPort: 8002, containerPort: 80, protocol: 'tcp', range: 1 },
      { hostIp: '', hostPort: 8003, containerPort: 81, protocol: 'tcp', range: 1 },
    ])
    releaseLease(dir, B)
    expect(() => takeLease(dir, B, { networks: [], ports: [parsePublish('127.0.0.1:8000-8001:80')] }, listener)).toThrow('Bind for 127.0.0.1:8000-8001 failed: port is already allocated')
    expect(Object.keys(readLeases(dir))).toEqual([A])
  })

  it('creates networks on the next free /24 with a bridge of their own, and refuses overlaps and reserved names', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-networks-'))
    const one = createNetwork(dir, { name: 'one' }, [])
    expect(one).toMatchObject({ subnet: '10.92.0.0/24', gateway: '10.92.0.1', bridge: 'mini-run1', dns: true })
    const two = createNetwork(dir, { name: 'two' }, [{ dev: 'eth0', dest: parseCidr('10.92.1.0/24') }])
    expect(two).toMatchObject({ subnet: '10.92.2.0/24', bridge: 'mini-run2' })
    expect(() => createNetwork(dir, { name: 'x', subnet: '10.92.0.128/25' }, [])).toThrow('subnet 10.92.0.128/25 overlaps network one (10.92.0.0/24)')
    expect(() => createNetwork(dir, { name: 'host' }, [])).toThrow('network name "host" is reserved: it names a network mode')
    expect(() => createNetwork(dir, { name: 'one' }, [])).toThrow('network with name one already exists')
    expect(() => createNetwork(dir, { name: 'g', subnet: '10.99.0.0/24', gateway: '10.98.0.1' }, [])).toThrow('gateway 10.98.0.1 is not a host address of 10.99.0.0/24')
  })

  it('--explain on an internal network: its two drop rules (Docker\'s isolation), before netavark\'s setup', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-networks-'))
    createNetwork(dir, { name: 'walled', internal: true, subnet: '10.93.8.0/24', options: { 'com.docker.network.bridge.name': 'mr-walled' } }, [])
    const ctx = { id: 'd'.repeat(64), name: 'n', hostname: 'h', storeRoot: dir, stateRoot: '/s', rootless: false, filesDir: '/f', host: { resolv: parseResolvConf(''), routes: [] } }
    const what = planNetwork({ network: 'walled' }, ctx).explain.map((l) => l.what)
    const fence = what.findIndex((w) => w.includes('MINI_RUN_INTERNAL'))
    expect(what[fence]).toBe('iptables -t mangle -A FORWARD -j MINI_RUN_INTERNAL; iptables -t mangle -A MINI_RUN_INTERNAL -o mr-walled ! -s 10.93.8.0/24 -j DROP; iptables -t mangle -A MINI_RUN_INTERNAL -i mr-walled ! -d 10.93.8.0/24 -j DROP (each unless there)')
    expect(what[fence + 1]).toMatch(/^netavark --config /)
    expect(planNetwork({}, ctx).explain.some((l) => l.what.includes('MINI_RUN_INTERNAL'))).toBe(false)
  })

  it('--explain names a host range of one container port whole (-p 8000-8002:80), and a port to be picked as free', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-networks-'))
    const ctx = { id: 'd'.repeat(64), name: 'n', hostname: 'h', storeRoot: dir, stateRoot: '/s', rootless: false, filesDir: '/f', host: { resolv: parseResolvConf(''), routes: [] } }
    const what = planNetwork({ publish: ['8000-8002:80', '127.0.0.1::81/udp', '9000-9001:90-91'] }, ctx).explain.map((l) => l.what)
    const ports = '0.0.0.0:<first free of 8000-8002>->80/tcp, 127.0.0.1:<free>->81/udp, 0.0.0.0:9000-9001->90-91/tcp'
    expect(what.find((w) => w.startsWith('take a lease'))?.endsWith(`; host ports for ${ports}`)).toBe(true)
    expect(what.find((w) => w.startsWith('netavark'))).toContain(`; port_mappings ${ports})`)
  })
})

describe('netavark\'s teardown of an internal network, then the removal of its drop rules', () => {
  let dir: string
  const saved = { netavark: process.env.MINI_RUN_NETAVARK }
  afterEach(() => {
    delete process.env.MINI_RUN_TEST_BULK
    if (saved.netavark === undefined) delete process.env.MINI_RUN_NETAVARK
    else process.env.MINI_RUN_NETAVARK = saved.netavark
    rmSync(dir, { recursive: true, force: true })
  })

  it('when iptables cannot be spawned either, the error thrown is netavark\'s, not iptables\' (that one is only logged)', () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-fence-'))
    const def = createNetwork(dir, { name: 'walled', internal: true, subnet: '10.93.8.0/24' }, [])
    const options = netavarkOptions({ id: 'e'.repeat(64), name: 'n', attachments: [{ network: def, dns: false, ip: '10.93.8.2', interfaceName: 'eth0', aliases: [] }], ports: [], dnsServers: [] })
    // no process can be spawned: one environment string longer than execve takes (MAX_ARG_STRLEN, 128 KiB: E2BIG)
    process.env.MINI_RUN_NETAVARK = '/bin/true'
    process.env.MINI_RUN_TEST_BULK = 'x'.repeat(200_000)
    expect(() => netavark('teardown', dir, join(dir, 'netns'), options)).toThrow(/^netavark teardown: spawnSync \/bin\/true E2BIG$/)
  })
})

describe('what is handed to netavark and pasta, and written to /etc', () => {
  it('netavark gets static addresses, isolation, the names and the ports', () => {
    const o = netavarkOptions({
      id: 'c'.repeat(64), name: 'web',
      attachments: [{ network: defaultNetwork({}), dns: false, ip: '10.91.0.5', interfaceName: 'eth0', aliases: [], mac: '02:00:00:00:00:01' }],
      ports: [parsePublish('8080:80')], dnsServers: [],
    })
    expect(o.networks.bridge).toEqual({ interface_name: 'eth0', static_ips: ['10.91.0.5'], aliases: [], static_mac: '02:00:00:00:00:01' })
    expect(o.network_info.bridge).toMatchObject({ network_interface: 'mini-run0', subnets: [{ subnet: '10.91.0.0/16', gateway: '10.91.0.1' }], dns_enabled: false, options: { isolate: 'true' }, ipam_options: { driver: 'host-local' } })
    expect(o.port_mappings).toEqual([{ host_ip: '', host_port: 8080, container_port: 80, protocol: 'tcp', range: 1 }])
  })

  it('pasta binds the published ports only, and forwards DNS when the host\'s resolver is loopback', () => {
    expect(pastaArgv({ pid: 42, ports: [parsePublish('127.0.0.1:8080:80'), parsePublish('5000-5001:6000-6001/udp')], pidFile: '/s/p', dnsForward: PASTA_DNS })).toEqual([
      '--config-net', '--quiet', '--ns-ifname', 'eth0', '-t', '127.0.0.1/8080:80', '-u', '5000-5001:6000-6001', '-T', 'none', '-U', 'none', '--dns-forward', '169.254.1.1', '--pid', '/s/p', '42',
    ])
    expect(pastaArgv({ pid: 1, ports: [], pidFile: '/p' }).slice(4, 8)).toEqual(['-t', 'none', '-u', 'none'])
  })

  it('writes hosts (--add-host\'s lines before the container\'s own, as Docker\'s) and resolv.conf; --add-host takes NAME:IP', () => {
    expect(hostsFile({ ip: '10.91.0.2', names: ['abc', 'web'], extra: [parseAddHost('db:10.0.0.9')] })).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.9\tdb\n10.91.0.2\tabc web\n')
    expect(resolvConfFile({ nameservers: ['10.91.0.1'], search: ['x.example'], options: ['ndots:2'] })).toBe('search x.example\nnameserver 10.91.0.1\noptions ndots:2\n')
    expect(() => parseAddHost('db')).toThrow('invalid --add-host "db": use NAME:IP (IPv4 or IPv6) or NAME:host-gateway')
    expect(parseIp('10.0.0.9')).toBe(0x0a000009)
  })

  it('a container never gets 127.0.0.53: the default bridge then answers DNS itself, forwarding to the host', () => {
    const ctx = { id: 'd'.repeat(64), name: 'n', hostname: 'h', storeRoot: '/nonexistent', stateRoot: '/s', rootless: false, filesDir: '/f' }
    const loopback = planNetwork({}, { ...ctx, host: { resolv: parseResolvConf('nameserver 127.0.0.53\n'), routes: [] } })
    expect(loopback.attachments[0]!.dns).toBe(true)
    expect(loopback.resolv.nameservers).toEqual(['10.91.0.1'])
    const real = planNetwork({}, { ...ctx, host: { resolv: parseResolvConf('nameserver 127.0.0.53\nnameserver 192.0.2.53\n'), routes: [] } })
    expect(real.attachments[0]!.dns).toBe(false)
    expect(real.resolv.nameservers).toEqual(['192.0.2.53'])
    expect(real.mounts.map((m) => m.destination)).toEqual(['/etc/hosts', '/etc/resolv.conf', '/etc/hostname'])
    expect(() => planNetwork({ network: 'none', publish: ['80'] }, ctx)).toThrow("-p needs a network of the container's own: not with --network none")
    expect(() => planNetwork({ aliases: ['x'] }, { ...ctx, host: { resolv: parseResolvConf(''), routes: [] } })).toThrow('--network-alias needs a user-defined network')
    expect(() => planNetwork({ ip: '10.91.0.200' }, { ...ctx, host: { resolv: parseResolvConf(''), routes: [] } })).toThrow('--ip needs a user-defined network')
  })
})

describe('rename: aardvark-dns entries, and /etc/hosts, which has no name to rename', () => {
  const id = 'a'.repeat(64)
  it('changes the container\'s name, first of its names, on its own line only; aliases, servers and others stay', () => {
    const text = `10.92.0.1\n${id} 10.92.0.2  srv,web,${id.slice(0, 12)}\n${'b'.repeat(64)} 10.92.0.3  srv2,srv 1.1.1.1\n`
    expect(renameDnsLines(text, id, 'srv', 'srv2')).toBe(`10.92.0.1\n${id} 10.92.0.2  srv2,web,${id.slice(0, 12)}\n${'b'.repeat(64)} 10.92.0.3  srv2,srv 1.1.1.1\n`)
    expect(renameDnsLines(`10.92.0.1\n${id} 10.92.0.2  srv,web 8.8.8.8\n`, id, 'srv', 'x')).toBe(`10.92.0.1\n${id} 10.92.0.2  x,web 8.8.8.8\n`)
    // an alias that was the old name is an alias still
    expect(renameDnsLines(`10.92.0.1\n${id} 10.92.0.2  web,srv\n`, id, 'srv', 'x')).toBeUndefined()
  })

  it('/etc/hosts names the hostname, not the container\'s name, so a rename leaves the plan as it is', () => {
    const plan = planNetwork({ network: 'none' }, { id, name: 'old', hostname: 'host1', storeRoot: '/nonexistent', stateRoot: '/nonexistent', rootless: false, filesDir: '/nonexistent', rootfsDir: undefined, exposed: null, host: { resolv: { nameservers: [], search: [], options: [] }, routes: [] } })
    expect(plan.hostsNames).toEqual(['host1'])
    // Docker's: a dotted hostname and its first label
    expect(hostsNamesOf('box.example.test')).toEqual(['box.example.test', 'box'])
    expect(hostsNamesOf('abcdef123456')).toEqual(['abcdef123456'])
    // --domainname: the full name first, then the hostname, as libnetwork writes the container's line
    const ctx = { id, name: 'old', hostname: 'web', domainname: 'example.org', storeRoot: '/nonexistent', stateRoot: '/nonexistent', rootless: false, filesDir: '/nonexistent', rootfsDir: undefined, exposed: null, host: { resolv: { nameservers: [], search: [], options: [] }, routes: [] } }
    expect(planNetwork({ network: 'none' }, ctx).hostsNames).toEqual(['web.example.org', 'web'])
    expect(hostsFile({ ip: '10.91.0.2', names: planNetwork({ network: 'none' }, ctx).hostsNames, extra: [] })).toMatch(/^10\.91\.0\.2\tweb\.example\.org web$/m)
  })
})
