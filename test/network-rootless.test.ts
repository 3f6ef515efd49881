// Rootless networking: `nobody` runs a container with -p, and pasta carries
// 127.0.0.1:PORT into it. In a network and mount namespace of the test's
// own (helpers/netns.ts): a veth stands in for the host's outside interface
// (pasta copies its address and default route; nothing is sent there) and
// /dev/net/tun is open to all, as Debian's udev leaves it. The -p
// containers are a --rootfs copy owned by nobody (a --rootfs run asks for
// its network with a flag); the plain run is of busybox, loaded by nobody.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { BUSYBOX_OCI, BUSYBOX_ROOTFS, isRoot } from './helpers/test-env.js'

const NOBODY = 65534
const pasta = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v pasta'])
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot || !pasta)('network: rootless with pasta (needs root to become nobody, and passt)', () => {
  let dir: string
  let staged: StagedCli
  let rootfs: string
  let ns: Netns
  const asNobody = (n: Netns, args: string[]) =>
    n.exec(['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', staged.cli, '--state', `${dir}/s`, '--root', `${dir}/r`, ...args], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin:/usr/sbin:/sbin`, HOME: dir },
      cwd: '/',
    })
  /** pasta processes started for containers of this test's state dir (pasta's comm is passt's binary name). */
  const pastas = () =>
    readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
        return /(^|\/)pasta$/.test(argv[0]!) && argv.some((a) => a.startsWith(`${dir}/s/`))
      } catch {
        return false
      }
    })

  beforeAll(() => {
    dir = openTempDir('mini-run-rootless-net-')
    execFileSync('chmod', ['777', dir])
    staged = stageCli(dir)
    rootfs = join(dir, 'rootfs')
    execFileSync('cp', ['-a', BUSYBOX_ROOTFS, rootfs])
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, rootfs])
    ns = makeNetns({ outside: true, resolvConf: 'nameserver 127.0.0.53\n' })
  })
  afterAll(() => {
    for (const p of dir ? pastas() : []) process.kill(Number(p), 'SIGKILL')
    ns?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('-p 127.0.0.1:8080:80 reaches httpd in nobody\'s container; rm -f ends pasta and frees the port', async () => {
    const r = asNobody(ns, ['run', '-d', '-p', '127.0.0.1:8080:80', '--rootfs', rootfs, 'sh', '-c', 'mkdir -p /www && echo rootless > /www/index.html && exec httpd -f -p 80 -h /www'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const id = r.stdout.trim()
    let page = ''
    await until('the page through pasta', () => (page = ns.exec(['sh', '-c', "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 127.0.0.1 8080 | tail -n 1"]).stdout) !== '', 15_000)
    expect(page).toBe('rootless\n')
    expect(asNobody(ns, ['port', id]).stdout).toBe('80/tcp -> 127.0.0.1:8080\n')
    expect(pastas()).toHaveLength(1)
    // a second container cannot take the port
    const busy = asNobody(ns, ['run', '--rm', '-p', '127.0.0.1:8080:80', '--rootfs', rootfs, 'true'])
    expect(busy.stderr).toMatch(/^mini-run: Bind for 127\.0\.0\.1:8080 failed: port is already (allocated|in use on the host.*)\n$/)
    expect(busy.status).toBe(125)
    // a port below the namespace's ip_unprivileged_port_start: refused before pasta starts, in rootless Docker's words
    const low = asNobody(ns, ['run', '--rm', '-p', '80:80', '--rootfs', rootfs, 'true'])
    expect([low.status, low.stderr]).toEqual([125, "mini-run: cannot expose privileged port 80, you can add 'net.ipv4.ip_unprivileged_port_start=80' to /etc/sysctl.conf (currently 1024), or choose a larger port number (>= 1024)\n"])
    expect(pastas()).toHaveLength(1)
    expect(asNobody(ns, ['rm', '-f', id]).status).toBe(0)
    await until('pasta to end', () => pastas().length === 0)
    const again = asNobody(ns, ['run', '--rm', '-p', '127.0.0.1:8080:80', '--rootfs', rootfs, 'true'])
    expect(again.stderr).toBe('')
    expect(again.status).toBe(0)
  })

  /** The busybox image in nobody's store (load of an image already there changes nothing). */
  const loadImage = (n: Netns) => {
    if (!existsSync(join(dir, 'busybox-oci'))) {
      execFileSync('cp', ['-a', BUSYBOX_OCI, join(dir, 'busybox-oci')])
      execFileSync('chmod', ['-R', 'a+rX', join(dir, 'busybox-oci')])
    }
    expect(asNobody(n, ['load', '-i', join(dir, 'busybox-oci')]).status).toBe(0)
  }

  it('an image run with no network flag gets eth0 with the host\'s address, as the README says', () => {
    loadImage(ns)
    const r = asNobody(ns, ['run', '--rm', 'localhost/mini-run/busybox:latest', 'sh', '-c', 'ls /sys/class/net; ip -4 -o addr show eth0 | grep -o "inet [0-9./]*"'])
    expect(r.stdout).toBe('eth0\nlo\ninet 198.51.100.2/24\n')
    expect(r.status).toBe(0)
  })

  it('names the container on pasta\'s address in /etc/hosts, and host-gateway is the gateway pasta maps to the host: a host server answers there', () => {
    loadImage(ns)
    const www = join(dir, 'www')
    execFileSync('mkdir', ['-p', www])
    writeFileSync(join(www, 'index.html'), 'from-host\n')
    const server = ns.exec(['sh', '-c', `busybox httpd -f -p 9099 -h ${www} >/dev/null 2>&1 & echo $!`]).stdout.trim()
    try {
      const r = asNobody(ns, ['run', '--rm', '-h', 'myhost', '--add-host', 'gw:host-gateway', 'localhost/mini-run/busybox:latest', 'sh', '-c',
        // this pasta (Debian 12's) leaves a connection to the mapped gateway open after the server closes it: the first line is the answer
        'grep -E "myhost|gw" /etc/hosts; printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 5 nc gw 9099 | head -n 1'])
      expect(r.stdout.replace(/\r/g, '')).toBe('198.51.100.1\tgw\n198.51.100.2\tmyhost\nHTTP/1.1 200 OK\n')
    } finally {
      ns.exec(['kill', server])
    }
  })

  it('without a way out (no /dev/net/tun here) a plain run keeps only lo, and -p says why in one line', () => {
    const bare = makeNetns()
    try {
      // an image's container, which would get pasta's network (a --rootfs one has only lo anyway)
      loadImage(bare)
      const plain = asNobody(bare, ['run', '--rm', 'localhost/mini-run/busybox:latest', 'ls', '/sys/class/net'])
      // (nobody has no subordinate ids here: mini-run says so, and nothing of the network)
      expect(plain.stderr).not.toMatch(/network|pasta/)
      expect(plain.status).toBe(0)
      expect(plain.stdout).toBe('lo\n')
      const p = asNobody(bare, ['run', '--rm', '-p', '8080:80', '--rootfs', rootfs, 'true'])
      expect(p.stderr).toMatch(/^mini-run: rootless networking: pasta (needs \/dev\/net\/tun, which this user may not open|copies the host's address and default route, and the host has no default route); use --network none\n$/)
      expect(p.status).toBe(125)
    } finally {
      bare.close()
    }
  })
})
