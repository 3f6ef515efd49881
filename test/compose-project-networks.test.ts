// A compose file's top-level networks without root: internal, ipam's
// ip_range and gateway, driver_opts, attachable as the model keeps them,
// their errors with the path in the file, what `compose config` prints, and
// how an existing network that differs from the file is told apart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { configDocument } from '../src/compose/config-document.js'
import { loadProject } from '../src/compose/load.js'
import { networkDifferences } from '../src/compose/project-networks.js'
import type { NetworkDef } from '../src/network/networks.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function load(networks: string) {
  const dir = mkdtempSync('/tmp/mini-run-compose-')
  dirs.push(dir)
  writeFileSync(join(dir, 'compose.yaml'), `services:\n  db:\n    image: busybox\n    networks: [back]\nnetworks:\n${networks}`)
  return loadProject({ cwd: dir, env: {}, projectName: 'p' }).project
}
const fails = (networks: string) => {
  try {
    load(networks)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('it loaded')
}

describe('compose: a network\'s internal, ipam, driver_opts, attachable', () => {
  const full = '  back:\n    internal: true\n    attachable: true\n    driver_opts: {com.docker.network.driver.mtu: 1400, com.docker.network.bridge.name: br-back}\n    ipam:\n      config: [{subnet: 10.93.0.0/24, ip_range: 10.93.0.64/26, gateway: 10.93.0.254}]\n'

  it('are kept in the model, and config prints them', () => {
    const project = load(full)
    expect(project.networks.back).toEqual({
      name: 'p_back', external: false, subnet: '10.93.0.0/24', ipRange: '10.93.0.64/26', gateway: '10.93.0.254', internal: true, attachable: true,
      driverOpts: { 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.name': 'br-back' },
      labels: { 'com.docker.compose.project': 'p', 'com.docker.compose.network': 'back' },
    })
    expect((configDocument(project) as { networks: Record<string, unknown> }).networks.back).toEqual({
      name: 'p_back',
      driver_opts: { 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.name': 'br-back' },
      ipam: { config: [{ subnet: '10.93.0.0/24', gateway: '10.93.0.254', ip_range: '10.93.0.64/26' }] },
      internal: true,
      attachable: true,
    })
    // in compose-go's order of keys, which config prints
    expect(Object.keys((configDocument(project) as { networks: Record<string, object> }).networks.back!)).toEqual(['name', 'driver_opts', 'ipam', 'internal', 'attachable'])
    // "false" from a variable is false, and none of it is there unless asked
    expect(load('  back: {internal: "false"}\n').networks.back).toEqual({ name: 'p_back', external: false, labels: { 'com.docker.compose.project': 'p', 'com.docker.compose.network': 'back' } })
  })

  it('errors name the path: a range outside its subnet or without one, an option netavark lacks, IPv6', () => {
    expect(fails('  back:\n    ipam: {config: [{subnet: 10.93.0.0/24, ip_range: 10.94.0.0/26}]}\n')).toBe("compose.yaml: networks.back.ipam.config[0].ip_range: invalid ip-range 10.94.0.0/26: parent subnet 10.93.0.0/24 doesn't contain ip-range")
    expect(fails('  back:\n    ipam: {config: [{ip_range: 10.94.0.0/26}]}\n')).toBe('compose.yaml: networks.back.ipam.config[0].ip_range: no matching subnet for range 10.94.0.0/26')
    expect(fails('  back:\n    driver_opts: {com.docker.network.bridge.enable_icc: "false"}\n')).toMatch(/^compose\.yaml: networks\.back\.driver_opts: network option "com\.docker\.network\.bridge\.enable_icc" is not supported: only /)
    expect(fails('  back:\n    ipam: {config: [{subnet: "fd00:1::/64"}]}\n')).toBe('compose.yaml: networks.back.ipam.config[0].subnet: an IPv6 subnet needs enable_ipv6: true')
    expect(fails('  back:\n    enable_ipv6: true\n    ipam: {config: [{subnet: "fd00:1::/64", ip_range: "fd00:1::/80"}]}\n')).toBe('compose.yaml: networks.back.ipam.config[0].ip_range: not supported by mini-run on an IPv6 pool (its subnet and gateway are)')
    expect(fails('  back:\n    enable_ipv6: true\n    ipam: {config: [{subnet: "fd00:1::/64", gateway: "fd00:2::1"}]}\n')).toBe('compose.yaml: networks.back.ipam.config[0]: gateway fd00:2::1 is not a host address of fd00:1::/64')
    // both families, one pool each, in either order; the IPv6 one in RFC 5952's form
    expect(load('  back:\n    enable_ipv6: true\n    ipam: {config: [{subnet: "fd00:1:0::/64"}, {subnet: 10.93.0.0/24}]}\n').networks.back).toMatchObject({ ipv6: true, subnet: '10.93.0.0/24', subnet6: 'fd00:1::/64' })
  })

  it('an existing network that differs from the file: each difference in the file\'s terms', () => {
    const project = load(full)
    const def: NetworkDef = { name: 'p_back', id: 'f'.repeat(64), driver: 'bridge', bridge: 'mini-run1', subnet: '10.93.0.0/24', gateway: '10.93.0.254', created: '', dns: true }
    expect(networkDifferences(def, project.networks.back!)).toEqual([
      'internal true in the file, false on the network',
      'ip_range 10.93.0.64/26 in the file, unset on the network',
      'bridge name br-back in the file, mini-run1 on the network',
      'mtu 1400 in the file, unset on the network',
    ])
    expect(networkDifferences({ ...def, internal: true, ipRange: '10.93.0.64/26', bridge: 'br-back', mtu: 1400 }, project.networks.back!)).toEqual([])
  })
})
