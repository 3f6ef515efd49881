// --network container:X as root, Docker's sidecar pattern: a server
// listening on its 127.0.0.1 only is reached by a container that joined
// its network namespace, under the server's hostname and with its /etc
// files; Docker's refusals and exit codes, leaving nothing; a joiner adds
// and removes no veth, lease or rule, and its removal leaves the server
// reachable; the server stopping under a running joiner takes its veth
// (the joiner keeps lo); `start` joins the server again, or fails while it
// is stopped. Everything runs in a network namespace of the test's own
// (helpers/netns.ts).
import { hostname } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined
/** httpd on 127.0.0.1:7000 only: nothing outside its network namespace can reach it. */
const SERVER = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 127.0.0.1:7000 -h /www']
/** Ask the server on 127.0.0.1 (polled: it may still be starting); nc speaks HTTP/1.0, as in network-bridge.test.ts. */
const ASK = 'for i in $(seq 100); do r=$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc 127.0.0.1 7000 2>/dev/null | tail -n 1); [ -n "$r" ] && break; sleep 0.1; done; echo "$r"'

describe.skipIf(!isRoot || !netavark)('network: --network container:X (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let linksBefore: string[]
  const mr = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, ...args])
  const run = (args: string[]) => mr(['run', '--cgroup-parent', env.cgroupParent, ...args])
  const ok = (r: ReturnType<typeof mr>) => {
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const detached = (args: string[]) => ok(run(['-d', ...args])).trim()
  const inspect = (ref: string) => JSON.parse(ok(mr(['inspect', ref])))[0] as { HostConfig: { NetworkMode: string }; Config: { Hostname: string }; NetworkSettings: { Networks: object } }
  const leases = () => {
    try {
      return Object.keys(JSON.parse(readFileSync(join(env.stateRoot, 'network', 'leases.json'), 'utf8')) as object)
    } catch {
      return []
    }
  }
  const names = () => ok(mr(['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort()

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    // the first container on the default bridge makes it, its rules and its anchor, which stay: compare against after one
    ok(run(['--rm', BUSYBOX, 'true']))
    linksBefore = ns.snapshot().links
  })
  afterEach(() => {
    const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) mr(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
    expect(leases()).toEqual([])
    expect(ns.snapshot().links).toEqual(linksBefore)
  })
  afterAll(() => {
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('reaches the server on 127.0.0.1, under its hostname, with its /etc files; inspect, ps, exec and --explain say so', () => {
    const server = detached(['--name', 'server', BUSYBOX, ...SERVER])
    const short = server.slice(0, 12)
    const out = ok(run(['--rm', '--network', 'container:server', BUSYBOX, 'sh', '-c', `hostname; echo $HOSTNAME; ${ASK}; cat /etc/hosts /etc/resolv.conf /etc/hostname`]))
    const etc = ok(mr(['exec', 'server', 'cat', '/etc/hosts', '/etc/resolv.conf', '/etc/hostname']))
    expect(out).toBe(`${short}\n${short}\nhello from ${short}\n${etc}`)
    // nothing outside the server's namespace reaches its 127.0.0.1
    expect(ok(run(['--rm', BUSYBOX, 'sh', '-c', 'nc -w 1 127.0.0.1 7000 </dev/null 2>/dev/null || echo refused']))).toBe('refused\n')

    detached(['--name', 'side', '--network', `container:${short}`, BUSYBOX, 'sleep', '1000'])
    const side = inspect('side')
    expect(side.HostConfig.NetworkMode).toBe(`container:${server}`)
    expect(side.Config.Hostname).toBe(short)
    expect(side.NetworkSettings.Networks).toEqual({})
    // Docker's Networks column: the networks of its own, none
    expect(ok(mr(['ps', '--format', '{{.Names}}|{{.Networks}}'])).split('\n').sort()).toEqual(['', 'server|bridge', 'side|'])
    // exec enters the container's namespaces: the network one is the server's
    const addr = (ref: string) => ok(mr(['exec', ref, 'ip', '-o', '-4', 'addr', 'show', 'eth0']))
    expect(addr('side')).toBe(addr('server'))
    expect(ok(mr(['exec', 'side', 'sh', '-c', ASK]))).toBe(`hello from ${short}\n`)
    // a joiner's namespace is the server's: joining it is joining the server's, with the server's files
    expect(ok(run(['--rm', '--network', 'container:side', BUSYBOX, 'sh', '-c', `hostname; ${ASK}`]))).toBe(`${short}\nhello from ${short}\n`)
    const connect = mr(['network', 'connect', 'bridge', 'side'])
    expect([connect.status, connect.stderr]).toEqual([1, 'mini-run: container sharing network namespace with another container or host cannot be connected to any other network\n'])

    const explain = ok(run(['--explain', '--rm', '--network', 'container:server', BUSYBOX, 'true']))
    expect(explain).toContain(`read ${env.stateRoot}/${server}/state.json: refuse unless container server runs; pidfd_open its process as <network-of>`)
    expect(explain).toMatch(/clone3 CLONE_NEWNS\|CLONE_NEWPID\|CLONE_NEWIPC\|CLONE_NEWUTS\|CLONE_NEWCGROUP /)
    expect(explain).toContain('setns <network-of> CLONE_NEWNET')
  })

  it('refuses a missing or stopped container and Docker\'s conflicting flags: exit 125, nothing made', () => {
    const missing = run(['--rm', '--network', 'container:nope', BUSYBOX, 'true'])
    expect([missing.status, missing.stderr]).toEqual([125, 'mini-run: no such container: nope\n'])
    const empty = run(['--rm', '--network', 'container:', BUSYBOX, 'true'])
    expect([empty.status, empty.stderr]).toEqual([125, 'mini-run: --network container: needs the name or id of the container whose network to join\n'])

    ok(mr(['create', '--name', 'idle', '--cgroup-parent', env.cgroupParent, BUSYBOX, ...SERVER]))
    for (const args of [['--rm'], ['-d'], ['-d', '--name', 'again']]) {
      const r = run([...args, '--network', 'container:idle', BUSYBOX, 'true'])
      expect([r.status, r.stderr]).toEqual([125, 'mini-run: cannot join network of a non running container: idle\n'])
    }
    expect(names()).toEqual(['idle'])

    const conflicts: [string[], string][] = [
      [['--hostname', 'h'], 'conflicting options: hostname and the network mode'],
      [['-p', '8080:80'], 'conflicting options: port publishing and the container type network mode'],
      [['-P'], 'conflicting options: port publishing and the container type network mode'],
      [['--expose', '80'], 'conflicting options: port exposing and the container type network mode'],
      [['--dns', '192.0.2.53'], 'conflicting options: dns and the network mode'],
      [['--add-host', 'a:192.0.2.1'], 'conflicting options: custom host-to-IP mapping and the network mode'],
      [['--mac-address', '02:42:ac:11:00:09'], 'conflicting options: mac-address and the network mode'],
      [['--network-alias', 'a'], 'network-scoped alias is supported only for containers in user defined networks'],
    ]
    for (const [flags, message] of conflicts) {
      const r = run(['--rm', '--network', 'container:idle', ...flags, BUSYBOX, 'true'])
      expect([r.status, r.stderr]).toEqual([125, `mini-run: ${message}\n`])
    }
    expect(names()).toEqual(['idle'])

    // create needs the container to exist, start needs it running (Docker's daemon checks at the start)
    ok(mr(['create', '--name', 'later', '--network', 'container:idle', BUSYBOX, 'sleep', '1000']))
    const start = mr(['start', 'later'])
    expect([start.status, start.stderr]).toEqual([1, 'mini-run: cannot join network of a non running container: idle\n'])
    expect(ok(mr(['ps', '-a', '--format', '{{.Names}} {{.State}}'])).split('\n').sort()).toEqual(['', 'idle created', 'later created'])
    ok(mr(['start', 'idle']))
    ok(mr(['start', 'later']))
    expect(ok(mr(['exec', 'later', 'sh', '-c', ASK]))).toMatch(/^hello from [0-9a-f]{12}\n$/)
    // --uts host: the host's name, not a --hostname the user never gave
    const uts = run(['--rm', '--network', 'container:idle', '--uts', 'host', BUSYBOX, 'hostname'])
    expect([uts.status, uts.stdout, uts.stderr]).toEqual([0, `${hostname()}\n`, ''])
    // the container to join removed since: its name, as the user gave it, not the id recorded
    ok(mr(['stop', '-t', '0', 'later']))
    ok(mr(['rm', '-f', 'idle']))
    const gone = mr(['start', 'later'])
    expect([gone.status, gone.stderr]).toEqual([1, 'mini-run: no such container: idle\n'])
  })

  it('a joiner adds no veth or lease and removing it leaves the server reachable; a stopped server takes its veth, and start joins it again', () => {
    const server = detached(['--name', 'server', BUSYBOX, ...SERVER])
    const withServer = ns.snapshot().links
    expect(withServer.length).toBe(linksBefore.length + 1)
    expect(leases()).toEqual([server])

    detached(['--name', 'side', '--network', 'container:server', BUSYBOX, 'sleep', '1000'])
    expect(ns.snapshot().links).toEqual(withServer)
    expect(leases()).toEqual([server])
    ok(mr(['rm', '-f', 'side']))
    expect(ns.snapshot().links).toEqual(withServer)
    expect(leases()).toEqual([server])
    expect(ok(run(['--rm', '--network', 'container:server', BUSYBOX, 'sh', '-c', ASK]))).toBe(`hello from ${server.slice(0, 12)}\n`)

    // Docker: the joiner keeps the namespace, the server's endpoint goes with the server
    detached(['--name', 'side', '--network', 'container:server', BUSYBOX, 'sleep', '1000'])
    ok(mr(['stop', '-t', '0', 'server']))
    expect(ok(mr(['ps', '--format', '{{.Names}}']))).toBe('side\n')
    expect(ok(mr(['exec', 'side', 'ip', '-o', 'link'])).split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim())).toEqual(['lo'])
    expect(ns.snapshot().links).toEqual(linksBefore)
    expect(leases()).toEqual([])

    ok(mr(['stop', '-t', '0', 'side']))
    const start = mr(['start', 'side'])
    expect([start.status, start.stderr]).toEqual([1, 'mini-run: cannot join network of a non running container: server\n'])
    ok(mr(['start', 'server']))
    ok(mr(['start', 'side']))
    expect(ok(mr(['exec', 'side', 'sh', '-c', ASK]))).toBe(`hello from ${server.slice(0, 12)}\n`)
    expect(addrOf('side')).toBe(addrOf('server'))
  })

  const addrOf = (ref: string) => ok(mr(['exec', ref, 'ip', '-o', '-4', 'addr', 'show', 'eth0']))

  it('a server in the foreground (run --rm) is joined too, and its exit leaves nothing behind', async () => {
    const fg = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'run', '--rm', '--name', 'fg', '--cgroup-parent', env.cgroupParent, BUSYBOX, ...SERVER])
    try {
      await until('the foreground server', () => mr(['ps', '-q', '--filter', 'name=fg']).stdout.trim() !== '')
      const out = ok(run(['--rm', '--network', 'container:fg', BUSYBOX, 'sh', '-c', ASK]))
      expect(out).toMatch(/^hello from [0-9a-f]{12}\n$/)
    } finally {
      mr(['rm', '-f', 'fg'])
      await fg.done
    }
  })
})
