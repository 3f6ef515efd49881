// IPv6 networks: `network create --ipv6` (an IPv6 --subnet and --gateway,
// or a random unique local /64), containers with an address of each family
// (--ip6, --network's ip6=, connect --ip6), names that resolve to both,
// a web server reached over IPv6 by address and through a published port,
// inspect's fields, compose's enable_ipv6 and ipv6_address, and nothing of
// it left behind. In a network namespace of the test's own (helpers/netns.ts).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { HTTPD, until } from './helpers/netns.js'
import { netnsFile } from './helpers/netns-file.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('IPv6 networks (needs root, netavark)', () => {
  const f = netnsFile('mini-run-ipv6-')
  const mr = (args: string[], cwd?: string) => f.mr(args, cwd)
  const run = (args: string[], script: string) => mr(['run', '--rm', '--cgroup-parent', f.env.cgroupParent, ...args, BUSYBOX, 'sh', '-c', script])
  const v6Of = (args: string[]) => run(args, 'ip -6 -o addr show eth0 scope global | awk \'{print $4}\'; ip -6 route show default | awk \'{print $3}\'')

  it('network create --ipv6 --subnet --gateway: both subnets in inspect and ls; containers get the lowest free IPv6 address, --ip6 and ip6= theirs, and /etc/hosts names it', () => {
    const created = mr(['network', 'create', '--ipv6', '--subnet', '10.61.0.0/24', '--subnet', 'fd00:61:0::/64', '--gateway', 'fd00:61::fe', 'v6a'])
    expect([created.status, created.stderr]).toEqual([0, ''])
    expect(mr(['network', 'inspect', '-f', '{{.EnableIPv6}} {{json .IPAM.Config}}', 'v6a']).stdout)
      .toBe('true [{"Subnet":"10.61.0.0/24","Gateway":"10.61.0.1"},{"Subnet":"fd00:61::/64","Gateway":"fd00:61::fe"}]\n')
    expect(mr(['network', 'ls', '--format', '{{.Name}} {{.IPv6}}', '-f', 'name=v6a']).stdout).toBe('v6a true\n')
    // the gateway is ::fe, so ::1 is the lowest free address
    expect(v6Of(['--network', 'v6a']).stdout).toBe('fd00:61::1/64\nfd00:61::fe\n')
    expect(v6Of(['--network', 'v6a', '--ip6', 'fd00:61::99']).stdout).toBe('fd00:61::99/64\nfd00:61::fe\n')
    expect(v6Of(['--network', 'name=v6a,ip6=fd00:61::98,ip=10.61.0.98']).stdout).toBe('fd00:61::98/64\nfd00:61::fe\n')
    // Docker's /etc/hosts: the container's name on each of its addresses
    const hosts = run(['--network', 'v6a', '--hostname', 'six', '--ip', '10.61.0.7', '--ip6', 'fd00:61::7'], 'tail -n 2 /etc/hosts')
    expect(hosts.stdout).toBe('10.61.0.7\tsix\nfd00:61::7\tsix\n')

    const held = mr(['run', '-d', '--cgroup-parent', f.env.cgroupParent, '--network', 'v6a', '--ip6', 'fd00:61::5', BUSYBOX, 'sleep', '600']).stdout.trim()
    expect(mr(['inspect', '-f', '{{.NetworkSettings.GlobalIPv6Address}}/{{.NetworkSettings.GlobalIPv6PrefixLen}} {{.NetworkSettings.IPv6Gateway}} {{.NetworkSettings.Networks.v6a.GlobalIPv6Address}}', held]).stdout)
      .toBe('fd00:61::5/64 fd00:61::fe fd00:61::5\n')
    expect(mr(['network', 'inspect', '-f', '{{range .Containers}}{{.IPv4Address}} {{.IPv6Address}}{{end}}', 'v6a']).stdout).toBe('10.61.0.2/24 fd00:61::5/64\n')
    for (const [args, status, line] of [
      [['--network', 'v6a', '--ip6', 'fd00:61::5'], 125, `address fd00:61::5 on network v6a is already in use by container ${held.slice(0, 12)}`],
      [['--network', 'v6a', '--ip6', 'fd00:62::5'], 125, 'invalid --ip6 "fd00:62::5": not an address of network v6a (fd00:61::/64)'],
      [['--network', 'v6a', '--ip6', 'fd00:61::fe'], 125, '--ip6 fd00:61::fe is not a free host address of network v6a (fd00:61::/64, gateway fd00:61::fe)'],
      [['--network', 'bridge', '--ip6', 'fd00:61::6'], 125, '--ip6 fd00:61::6: network bridge has no IPv6 subnet (network create --ipv6)'],
      [['--network', 'none', '--ip6', 'fd00:61::6'], 125, '--ip6 needs a network of the container\'s own: not with --network none'],
      [['--network', `container:${held}`, '--ip6', 'fd00:61::6'], 125, 'user specified IP address is supported on user defined networks only'],
    ] as const) {
      const r = run([...args], 'true')
      expect([r.status, r.stderr]).toEqual([status, `mini-run: ${line}\n`])
    }
  })

  it('names resolve to both addresses; a web server is reached over IPv6 by name and address, and through its published port at the gateway\'s IPv6 address and at 127.0.0.1; network reload puts ip6tables\'s rules back, a restart keeps the address', async () => {
    expect(mr(['network', 'create', '--ipv6', '--subnet', 'fd00:63::/64', 'v6w']).status).toBe(0)
    const web = mr(['run', '-d', '--cgroup-parent', f.env.cgroupParent, '--name', 'web6', '--network', 'v6w', '-p', '8096:80', BUSYBOX, ...HTTPD])
    expect(web.status, web.stderr).toBe(0)
    const address = mr(['inspect', '-f', '{{.NetworkSettings.Networks.v6w.GlobalIPv6Address}}', 'web6']).stdout.trim()
    expect(address).toBe('fd00:63::2')
    const client = run(['--network', 'v6w'], `nslookup -type=AAAA web6 | grep '^Address: '; wget -qO- http://[${address}]/`)
    expect([client.status, client.stdout]).toEqual([0, `Address: ${address}\nhello from ${web.stdout.trim().slice(0, 12)}\n`])
    // the published port: netavark's ip6tables DNAT for an address of the host's (the bridge's), and IPv4's as ever
    const body = `hello from ${web.stdout.trim().slice(0, 12)}\n`
    await until('the published port over IPv6', () => f.ns.exec(['curl', '-sg', '--max-time', '5', 'http://[fd00:63::1]:8096/']).stdout === body, 10_000)
    expect(f.ns.exec(['curl', '-s', '--max-time', '5', 'http://127.0.0.1:8096/']).stdout).toBe(body)
    // a firewall reload takes ip6tables's rules too: network reload puts them back
    expect(f.ns.exec(['ip6tables', '-t', 'nat', '-F']).status).toBe(0)
    expect(f.ns.exec(['curl', '-sg', '--max-time', '2', 'http://[fd00:63::1]:8096/']).stdout).toBe('')
    expect(mr(['network', 'reload', 'web6']).status).toBe(0)
    await until('the published port over IPv6 after network reload', () => f.ns.exec(['curl', '-sg', '--max-time', '5', 'http://[fd00:63::1]:8096/']).stdout === body, 10_000)
    // a restart keeps its addresses (the lowest free ones again) and its name's AAAA
    expect(mr(['restart', '-t', '1', 'web6']).status).toBe(0)
    expect(mr(['inspect', '-f', '{{.NetworkSettings.Networks.v6w.GlobalIPv6Address}}', 'web6']).stdout).toBe(`${address}\n`)
    expect(run(['--network', 'v6w'], `wget -qO- http://[${address}]/`).stdout).toBe(body)
    expect(mr(['rm', '-f', 'web6']).status).toBe(0)
    // its rules went with it: nothing of the subnet or the port is left in ip6tables
    expect(f.ns.exec(['ip6tables-save']).stdout).not.toMatch(/fd00:63|8096/)
  })

  it('--ipv6 without an IPv6 subnet: a random unique local /64, its first address the gateway; connect --ip6 a running container, disconnect gives the address back', () => {
    expect(mr(['network', 'create', '--ipv6', 'v6r']).status).toBe(0)
    const subnet = mr(['network', 'inspect', '-f', '{{(index .IPAM.Config 1).Subnet}} {{(index .IPAM.Config 1).Gateway}}', 'v6r']).stdout.trim().split(' ')
    // RFC 4193: fd, 40 random bits, subnet id 0 (a random group of 0 folds into the ::)
    expect(subnet[0]).toMatch(/^fd[0-9a-f]{2}(:[0-9a-f]{1,4}){1,2}::\/64$/)
    const prefix = subnet[0]!.replace('::/64', '')
    expect(subnet[1]).toBe(`${prefix}::1`)
    // on a network of IPv4 only first, then connected while it runs
    expect(mr(['network', 'create', 'v4only']).status).toBe(0)
    const box = mr(['run', '-d', '--cgroup-parent', f.env.cgroupParent, '--network', 'v4only', BUSYBOX, 'sleep', '600']).stdout.trim()
    const refused = mr(['network', 'connect', '--ip6', `${prefix}::9`, 'v4only', box])
    expect(refused.status).toBe(1)
    expect(mr(['network', 'connect', '--ip6', `${prefix}::9`, 'v6r', box]).status).toBe(0)
    expect(mr(['exec', box, 'sh', '-c', 'ip -6 -o addr show eth1 scope global | awk \'{print $4}\'']).stdout).toBe(`${prefix}::9/64\n`)
    expect(mr(['inspect', '-f', '{{.NetworkSettings.Networks.v6r.GlobalIPv6Address}} {{.NetworkSettings.Networks.v4only.GlobalIPv6Address}}.', box]).stdout).toBe(`${prefix}::9 .\n`)
    expect(mr(['network', 'disconnect', 'v6r', box]).status).toBe(0)
    // given back: another container may take it
    expect(v6Of(['--network', 'v6r', '--ip6', `${prefix}::9`]).stdout).toBe(`${prefix}::9/64\n${prefix}::1\n`)
  })

  it('refuses in one line what an IPv6 network cannot be', () => {
    for (const [args, line] of [
      [['--ipv6', '--subnet', 'fd00:64::1/64', 'x'], 'invalid subnet "fd00:64::1/64": it has host bits set (the network is fd00:64::/64)'],
      [['--ipv6', '--subnet', 'fd00:64::/127', 'x'], 'invalid subnet "fd00:64::/127": a /126 or larger is needed for a gateway and containers'],
      [['--ipv6', '--subnet', 'fd00:64::/64', '--gateway', 'fd00:65::1', 'x'], 'gateway fd00:65::1 is not a host address of fd00:64::/64'],
      [['--ipv6', '--gateway', 'fd00:65::1', 'x'], 'no matching subnet for gateway fd00:65::1'],
      [['--ipv6', '--subnet', 'fd00:64::/64', '--subnet', 'fd00:65::/64', 'x'], '--subnet given 2 times (fd00:64::/64, fd00:65::/64): a mini-run network has one IPv4 subnet and one IPv6 subnet, each with one gateway; one range, IPv4'],
      [['--ipv6', '--internal', 'x'], '--internal with --ipv6 is not supported: mini-run fences an internal network with IPv4 rules only'],
      [['--ipv6', '--subnet', 'fd00:64::/64', '--ip-range', 'fd00:64::/80', 'x'], '--ip-range fd00:64::/80: an IPv6 range is not supported (containers take the IPv6 subnet\'s lowest free addresses)'],
      // Docker would pass over the pool and make a network without IPv6
      [['--subnet', 'fd00:64::/64', 'x'], 'an IPv6 --subnet (fd00:64::/64) needs --ipv6'],
      [['--ipv6', '--subnet', '2000::/3', 'x'], 'invalid subnet "2000::/3": an IPv6 subnet of a network is a /48 or longer prefix (a shorter one would take routes of a share of the Internet\'s addresses)'],
      [['--ipv6', '--subnet', 'fe80::/64', 'x'], 'invalid subnet "fe80::/64": it overlaps fe80::/10, addresses no network may have (unspecified, loopback and IPv4-mapped, link-local, multicast)'],
      [['--ipv6', '-o', 'com.docker.network.driver.mtu=1000', 'x'], 'invalid com.docker.network.driver.mtu "1000": a network with IPv6 needs 1280 or more (IPv6\'s minimum MTU)'],
    ] as const) {
      const r = mr(['network', 'create', ...args])
      expect([r.status, r.stderr]).toEqual([1, `mini-run: ${line}\n`])
    }
    expect(mr(['network', 'create', '--ipv6', '--subnet', 'fd00:64::/64', 'first']).status).toBe(0)
    const clash = mr(['network', 'create', '--ipv6', '--subnet', 'fd00:64::/56', 'second'])
    expect([clash.status, clash.stderr]).toEqual([1, 'mini-run: subnet fd00:64::/56 overlaps network first (fd00:64::/64)\n'])
    expect(mr(['network', 'ls', '-q', '--filter', 'name=^(x|second)$']).stdout).toBe('')
    // a subnet the host routes elsewhere: refused at create, and at a start if the route came later
    try {
      // (a veth pair: this kernel has no dummy links)
      f.ns.exec(['sh', '-ec', 'ip link add mr6-dummy type veth peer name mr6-peer; ip -6 addr add fd00:99::1/64 dev mr6-dummy; ip link set mr6-peer up; ip link set mr6-dummy up'])
      const routed = mr(['network', 'create', '--ipv6', '--subnet', 'fd00:99::/64', 'third'])
      expect([routed.status, routed.stderr]).toEqual([1, 'mini-run: network third: subnet fd00:99::/64 overlaps the host\'s route to fd00:99::/64 on mr6-dummy: choose another --subnet\n'])
      f.ns.exec(['ip', '-6', 'route', 'add', 'fd00:64::/80', 'dev', 'mr6-dummy'])
      const start = run(['--network', 'first'], 'true')
      expect([start.status, start.stderr]).toEqual([125, 'mini-run: network first: subnet fd00:64::/64 overlaps the host\'s route to fd00:64::/80 on mr6-dummy: choose another --subnet\n'])
    } finally {
      f.ns.exec(['ip', 'link', 'del', 'mr6-dummy'])
    }
  })

  it('networks stay apart over IPv6 as over IPv4, after another network\'s last container went too; a published port is reached from another network at the host\'s IPv6 address', async () => {
    for (const [n, k] of [['iso1', 81], ['iso2', 82], ['iso3', 83]] as const) expect(mr(['network', 'create', '--ipv6', '--subnet', `10.${k}.0.0/24`, '--subnet', `fd00:${k}::/64`, n]).status).toBe(0)
    const detached = (net: string, args: string[], cmd: readonly string[]) => mr(['run', '-d', '--cgroup-parent', f.env.cgroupParent, '--network', net, ...args, BUSYBOX, ...cmd])
    const a = detached('iso1', [], ['sleep', '600']).stdout.trim()
    const b = detached('iso2', ['-p', '8097:80'], HTTPD)
    expect(b.status, b.stderr).toBe(0)
    const c = detached('iso3', [], ['sleep', '600']).stdout.trim()
    // (this busybox's wget -T crashes: timeout(1) bounds it)
    const reach = (url: string) => mr(['exec', a, 'sh', '-c', `timeout 3 wget -qO- ${url} || echo unreachable`]).stdout
    const hello = `hello from ${b.stdout.trim().slice(0, 12)}\n`
    await until('the web server up', () => f.ns.exec(['curl', '-s', '--max-time', '3', 'http://127.0.0.1:8097/']).stdout === hello)
    const check = () => {
      expect(reach('http://[fd00:82::2]/')).toBe('unreachable\n')
      expect(reach('http://10.82.0.2/')).toBe('unreachable\n')
      // Docker's proxy takes a published port at any of the host's addresses, from any network (isolation.ts)
      expect(reach('http://[fd00:81::1]:8097/')).toBe(hello)
      expect(reach('http://10.81.0.1:8097/')).toBe(hello)
    }
    check()
    // netavark drops the FORWARD jump to its isolation chain with any network's last container, in ip6tables too
    expect(mr(['rm', '-f', c]).status).toBe(0)
    check()
  })

  it('compose: enable_ipv6 with an IPv6 pool and a service\'s ipv6_address, in config, on the network and the container; the stack is reached over IPv6; refusals name their path', () => {
    const project = join(f.dir, 'p6')
    rmSync(project, { recursive: true, force: true })
    mkdirSync(project)
    const file = (network: string) => `services:\n  web:\n    image: ${BUSYBOX}\n    command: ["sh", "-c", "echo six > /tmp/i && exec httpd -f -p 80 -h /tmp"]\n    networks:\n      lan:\n        ipv6_address: fd00:66::10\nnetworks:\n  lan:\n${network}`
    writeFileSync(join(project, 'compose.yaml'), file('    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: 10.66.0.0/24\n        - subnet: fd00:66:0:0::/64\n          gateway: fd00:66::fe\n'))
    const config = mr(['compose', 'config'], project)
    expect(config.stdout).toContain('        ipv6_address: fd00:66::10\n')
    expect(config.stdout).toContain('    ipam:\n      config:\n        - subnet: 10.66.0.0/24\n        - subnet: fd00:66::/64\n          gateway: fd00:66::fe\n')
    expect(config.stdout).toContain('    enable_ipv6: true\n')
    const up = mr(['compose', 'up', '-d'], project)
    expect(up.status, up.stderr).toBe(0)
    expect(mr(['network', 'inspect', '-f', '{{.EnableIPv6}} {{(index .IPAM.Config 1).Subnet}}', 'p6_lan']).stdout).toBe('true fd00:66::/64\n')
    expect(mr(['inspect', '-f', '{{.NetworkSettings.Networks.p6_lan.GlobalIPv6Address}}', 'p6-web-1']).stdout).toBe('fd00:66::10\n')
    const client = run(['--network', 'p6_lan'], 'nslookup -type=AAAA web | grep "^Address: "; wget -qO- http://[fd00:66::10]/i')
    expect(client.stdout).toBe('Address: fd00:66::10\nsix\n')
    // up again: the network as the file says, the container as it was (nothing recreated)
    const again = mr(['compose', 'up', '-d'], project)
    expect(again.status).toBe(0)
    expect(again.stderr).toContain('Container p6-web-1  Running')
    expect(again.stderr).not.toMatch(/other settings|Recreat/)
    expect(mr(['compose', 'down'], project).status).toBe(0)
    for (const [network, line] of [
      ['    ipam:\n      config:\n        - subnet: fd00:67::/64\n', /networks\.lan\.ipam\.config\[0\]\.subnet.*an IPv6 subnet needs enable_ipv6: true/],
      ['    enable_ipv6: true\n    ipam:\n      config:\n        - subnet: fd00:67::/64\n        - subnet: fd00:68::/64\n', /networks\.lan\.ipam\.config\[1\].*one IPv6 subnet per network/],
      ['    enable_ipv6: true\n    internal: true\n', /networks\.lan\.enable_ipv6.*internal network/],
    ] as const) {
      writeFileSync(join(project, 'compose.yaml'), file(network))
      const r = mr(['compose', 'config', '-q'], project)
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(line)
    }
  })
})
