// Networks as a rootless user sees them: `nobody` prunes, lists and uses
// compose in a network namespace of the test's own (helpers/netns.ts),
// where root's default bridge has left its anchor (fast-bridge.ts), as on
// a host where root runs containers too. No pasta here (no /dev/net/tun):
// the containers are --network none, or fail before they are made.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { BUSYBOX_OCI, BUSYBOX_ROOTFS, isRoot } from './helpers/test-env.js'

const NOBODY = 65534
/** The name busybox-oci's index gives its image. */
const BUSYBOX = 'localhost/mini-run/busybox:latest'

describe.skipIf(!isRoot)('rootless networks (needs root to become nobody)', () => {
  let dir: string
  let staged: StagedCli
  let rootfs: string
  let ns: Netns
  const asNobody = (args: string[], cwd = '/') =>
    ns.exec(['setpriv', '--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', staged.cli, '--state', `${dir}/s`, '--root', `${dir}/r`, ...args], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin:/usr/sbin:/sbin`, HOME: dir },
      cwd,
    })

  beforeAll(() => {
    dir = openTempDir('mini-run-rootless-networks-')
    execFileSync('chmod', ['777', dir])
    staged = stageCli(dir)
    rootfs = join(dir, 'rootfs')
    execFileSync('cp', ['-a', BUSYBOX_ROOTFS, rootfs])
    execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, rootfs])
    ns = makeNetns()
    // root's default bridge, kept up by its anchor between root's containers
    ns.exec(['ip', 'link', 'add', 'mini-run0', 'type', 'bridge'])
    ns.exec(['ip', 'link', 'add', 'mini-run0-pin', 'master', 'mini-run0', 'type', 'veth', 'peer', 'name', 'mini-run0-pip'])
  })
  afterAll(() => {
    // a container a failed test left behind, running as nobody
    const left = ns && staged ? asNobody(['ps', '-aq']).stdout.split('\n').filter(Boolean) : []
    if (left.length) asNobody(['rm', '-f', ...left])
    ns?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('network prune and system prune leave root\'s default bridge alone and finish', () => {
    const before = ns.snapshot().links
    expect(before).toContain('mini-run0-pin')
    const stopped = asNobody(['create', '--network', 'none', '--rootfs', rootfs, 'true'])
    expect(stopped.stderr).toBe('')
    const id = stopped.stdout.trim()

    const net = asNobody(['network', 'prune', '-f'])
    expect(net.stderr).toBe('')
    expect(net.status).toBe(0)
    const all = asNobody(['system', 'prune', '-f'])
    expect(all.stderr).toBe('')
    expect(all.stdout).toContain(`Deleted Containers:\n${id}\n`)
    expect(all.status).toBe(0)
    expect(asNobody(['ps', '-aq']).stdout).toBe('')
    expect(ns.snapshot().links).toEqual(before)
  })

  it('network ls lists pasta, not root\'s bridge; inspect and rm of bridge say why in one line', () => {
    const rows = asNobody(['network', 'ls']).stdout.trimEnd().split('\n').map((line) => line.trim().split(/\s+/))
    expect(rows).toEqual([['NETWORK', 'ID', 'NAME', 'DRIVER', 'SCOPE'], ['host', 'host', 'host', 'local'], ['none', 'none', 'null', 'local'], ['pasta', 'pasta', 'pasta', 'local']])
    expect(asNobody(['network', 'ls', '-q']).stdout).toBe('host\nnone\npasta\n')
    const pasta = JSON.parse(asNobody(['network', 'inspect', 'pasta']).stdout) as { Name: string; Driver: string; IPAM: { Config: unknown[] } }[]
    expect(pasta.map((n) => [n.Name, n.Driver, n.IPAM.Config])).toEqual([['pasta', 'pasta', []]])
    for (const args of [['network', 'inspect', 'bridge'], ['network', 'rm', 'bridge'], ['network', 'inspect', 'default']]) {
      const r = asNobody(args)
      expect(r.stdout).toBe(args[1] === 'inspect' ? '[]\n' : '')
      expect(r.stderr).toBe(`mini-run: network ${args[2]} is root's default bridge (mini-run0), which a rootless container cannot join: its default network is pasta\n`)
      expect(r.status).not.toBe(0)
    }
  })

  it('compose up of a project on its default network refuses in one line before it makes anything; network_mode: none runs', () => {
    execFileSync('cp', ['-a', BUSYBOX_OCI, join(dir, 'busybox-oci')])
    execFileSync('chmod', ['-R', 'a+rX', join(dir, 'busybox-oci')])
    const load = asNobody(['load', '-i', join(dir, 'busybox-oci')])
    expect(load.stdout).toContain(BUSYBOX)
    expect(load.status).toBe(0)
    const project = join(dir, 'cp')
    mkdirSync(project)
    writeFileSync(join(project, 'compose.yaml'), `services:\n  a:\n    image: ${BUSYBOX}\n    command: sleep 60\n`)
    execFileSync('chmod', ['-R', 'a+rX', project])
    for (const verb of [['up', '-d'], ['create'], ['run', '--rm', 'a', 'true']]) {
      const up = asNobody(['compose', ...verb], project)
      expect(up.stdout).toBe('')
      expect(up.stderr).toBe(
        `mini-run: compose.yaml: services.a: a rootless container cannot join the project network cp_default: it is a bridge, which needs root, and rootless containers get pasta's network, one each, where services cannot reach each other by name; run compose as root, or set network_mode: none (only lo) or bridge (pasta's network, no names between services)\n`,
      )
      expect(up.status).toBe(1)
      expect(asNobody(['network', 'ls', '-q']).stdout).toBe('host\nnone\npasta\n')
      expect(asNobody(['ps', '-aq']).stdout).toBe('')
    }

    writeFileSync(join(project, 'compose.yaml'), `services:\n  a:\n    image: ${BUSYBOX}\n    command: sleep 60\n    network_mode: none\n`)
    try {
      const up = asNobody(['compose', 'up', '-d'], project)
      expect(up.stderr).not.toMatch(/mini-run:/)
      expect(up.status).toBe(0)
      expect(asNobody(['compose', 'exec', 'a', 'ls', '/sys/class/net'], project).stdout).toBe('lo\n')
    } finally {
      asNobody(['compose', 'down', '-t', '0'], project)
    }
    expect(asNobody(['ps', '-aq']).stdout).toBe('')
    expect(asNobody(['network', 'ls', '-q']).stdout).toBe('host\nnone\npasta\n')
  })
})
