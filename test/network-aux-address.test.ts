// network create --aux-address and compose's ipam aux_addresses: addresses
// of a network's subnet a user keeps for devices of their own, which no
// container gets (Docker's IPAM reserves them), shown by inspect; an IPAM
// driver other than the default is the daemon's "plugin not found". In a
// network namespace of the test's own (helpers/netns.ts).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { netnsFile } from './helpers/netns-file.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('network --aux-address (needs root, netavark)', () => {
  const f = netnsFile('mini-run-aux-')
  const mr = (args: string[], cwd?: string) => f.mr(args, cwd)
  const address = (args: string[]) => mr(['run', '--rm', '--cgroup-parent', f.env.cgroupParent, ...args, BUSYBOX, 'sh', '-c', 'ip -4 -o addr show eth0 | awk \'{print $4}\''])

  it('network create --aux-address: inspect shows it, a container is given the next free address, one asking for it is refused', () => {
    const created = mr(['network', 'create', '--subnet', '10.77.0.0/29', '--aux-address', 'router=10.77.0.2', '--aux-address', 'nas=10.77.0.3', '--ipam-driver', 'default', 'aux'])
    expect([created.status, created.stderr]).toEqual([0, ''])
    // by name, as Go prints a map
    expect(mr(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'aux']).stdout).toBe('[{"Subnet":"10.77.0.0/29","Gateway":"10.77.0.1","AuxiliaryAddresses":{"nas":"10.77.0.3","router":"10.77.0.2"}}]\n')
    expect(address(['--network', 'aux']).stdout).toBe('10.77.0.4/29\n')
    const asked = address(['--network', 'aux', '--ip', '10.77.0.3'])
    expect([asked.status, asked.stderr]).toEqual([125, 'mini-run: address 10.77.0.3 on network aux is already in use: the network reserves it (aux-address nas)\n'])
    // a running container connected to it: the same
    const bridged = mr(['run', '-d', '--cgroup-parent', f.env.cgroupParent, BUSYBOX, 'sleep', '600']).stdout.trim()
    const reserved = mr(['network', 'connect', '--ip', '10.77.0.2', 'aux', bridged])
    expect([reserved.status, reserved.stderr]).toEqual([1, 'mini-run: address 10.77.0.2 on network aux is already in use: the network reserves it (aux-address router)\n'])
    expect(mr(['network', 'connect', 'aux', bridged]).status).toBe(0)
    expect(mr(['inspect', '-f', '{{.NetworkSettings.Networks.aux.IPAddress}}', bridged]).stdout).toBe('10.77.0.4\n')
    expect(mr(['rm', '-f', bridged]).status).toBe(0)
    // refused before anything is made, in docker/cli's and the daemon's words
    for (const [args, line] of [
      [['--aux-address', 'r=10.78.0.2', 'x'], 'no matching subnet for aux-address 10.78.0.2'],
      [['--subnet', '10.78.0.0/24', '--aux-address', 'r=10.79.0.2', 'x'], 'no matching subnet for aux-address 10.79.0.2'],
      [['--ipam-driver', 'dhcp', 'x'], 'could not find plugin dhcp in v1 plugin registry: plugin not found'],
    ] as const) {
      const r = mr(['network', 'create', ...args])
      expect([r.status, r.stderr]).toEqual([1, `mini-run: ${line}\n`])
    }
    expect(mr(['network', 'ls', '-q', '--filter', 'name=^x$']).stdout).toBe('')
  })

  it('compose ipam aux_addresses: in config, on the network up makes, never a service\'s address; an unknown ipam driver is refused at its path', () => {
    const project = join(f.dir, 'p')
    rmSync(project, { recursive: true, force: true })
    mkdirSync(project)
    const file = (driver: string) => `services:\n  web:\n    image: ${BUSYBOX}\n    command: sleep 600\n    networks: [lan]\nnetworks:\n  lan:\n    ipam:\n      driver: ${driver}\n      config:\n        - subnet: 10.88.0.0/29\n          aux_addresses:\n            router: 10.88.0.2\n`
    writeFileSync(join(project, 'compose.yaml'), file('default'))
    const config = mr(['compose', 'config'], project)
    expect(config.stdout).toContain('    ipam:\n      driver: default\n      config:\n        - subnet: 10.88.0.0/29\n          aux_addresses:\n            router: 10.88.0.2\n')
    const up = mr(['compose', 'up', '-d'], project)
    expect(up.status, up.stderr).toBe(0)
    expect(mr(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'p_lan']).stdout).toContain('"AuxiliaryAddresses":{"router":"10.88.0.2"}')
    expect(mr(['inspect', '-f', '{{.NetworkSettings.Networks.p_lan.IPAddress}}', 'p-web-1']).stdout).toBe('10.88.0.3\n')
    expect(mr(['compose', 'down'], project).status).toBe(0)
    writeFileSync(join(project, 'compose.yaml'), file('dhcp'))
    const refused = mr(['compose', 'config', '-q'], project)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/networks\.lan\.ipam\.driver.*could not find plugin dhcp in v1 plugin registry: plugin not found/)
  })
})
