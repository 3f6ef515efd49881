/**
 * What runc adds to a bundle's config before it starts the container, so
 * that a config written for runc (by podman, containerd, `runc spec`) gives
 * the same container here:
 * - the standard device nodes in a /dev of the container's own (runc's
 *   AllowedDevices: null, zero, full, random, urandom, tty), and the device
 *   cgroup rules that let the container use them and its terminals;
 * - a "cgroup" mount (/sys/fs/cgroup) as the container's own cgroup: the
 *   cgroup2 filesystem in a cgroup namespace of its own, else a read-only
 *   bind of its own v2 leaf (runc binds its own cgroups the same way on a
 *   v1 host).
 * Device nodes are bound from the host (the Docker mode does the same): a
 * node the config lists must exist on the host with the same numbers.
 */
import { ALWAYS_ALLOWED_DEVICES } from '../runtime/cgroup/cgroup-devices.js'
import type { SpecResources } from '../runtime/cgroup/cgroup-limits.js'
import type { Spec, SpecDevice, SpecMount } from '../runtime/spec/spec.js'
import { ConfigError } from './config/fields.js'
import { hostDevice, type DeviceOf } from '../runtime/spec/device-flags.js'

const DEFAULT_NODES: SpecDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
]

export interface CompleteOptions {
  /** The container's cgroup v2 leaf, for a /sys/fs/cgroup bind. */
  cgroupLeaf?: string
  deviceOf?: DeviceOf
}

/**
 * A capability can be ambient only while it is permitted and inheritable
 * (capabilities(7)): PR_CAP_AMBIENT_RAISE fails for any other. runc warns
 * and goes on, and configs rely on it (`runc spec` lists ambient
 * capabilities and no inheritable set): the others are left out, with a
 * warning.
 */
export function raisableAmbient(spec: Spec, warnings: string[]): Spec {
  const caps = spec.process.capabilities
  if (!caps?.ambient?.length) return spec
  const ok = caps.ambient.filter((c) => caps.permitted?.includes(c) && caps.inheritable?.includes(c))
  const dropped = caps.ambient.filter((c) => !ok.includes(c))
  if (dropped.length === 0) return spec
  warnings.push(`process.capabilities.ambient: ${dropped.join(', ')} not raised: an ambient capability must be permitted and inheritable`)
  return { ...spec, process: { ...spec.process, capabilities: { ...caps, ambient: ok } } }
}

/** The config's spec with runc's additions; throws naming a device the host cannot give. */
export function completeSpec(spec: Spec, o: CompleteOptions = {}): Spec {
  const deviceOf = o.deviceOf ?? hostDevice
  const ownDev = spec.mounts.some((m) => m.destination === '/dev' && m.type !== 'bind' && !(m.options ?? []).some((x) => x === 'bind' || x === 'rbind'))
  const listed = spec.linux.devices ?? []
  const devices = [...(ownDev ? DEFAULT_NODES.filter((d) => !listed.some((l) => l.path === d.path)) : []), ...listed]
  devices.forEach((d) => {
    const i = listed.indexOf(d)
    const where = i >= 0 ? `linux.devices[${i}]` : `the default device ${d.path}`
    if (d.type === 'p') throw new ConfigError(where, `${d.path}: a FIFO device is not supported by mini-run (it binds device nodes from the host)`)
    const host = deviceOf(d.path)
    const type = d.type === 'u' ? 'c' : d.type
    if (!host || host.type !== type || host.major !== d.major || host.minor !== d.minor) {
      throw new ConfigError(where, `mini-run binds device nodes from the host, and the host's ${d.path} is not ${type} ${d.major}:${d.minor}`)
    }
  })
  const resources = withDeviceRules(spec.linux.resources)
  return {
    ...spec,
    mounts: spec.mounts.map((m) => cgroupMount(m, spec, o.cgroupLeaf)),
    linux: {
      ...spec.linux,
      ...(devices.length ? { devices } : {}),
      ...(resources ? { resources } : {}),
    },
  }
}

/** The config's device rules, then runc's always-allowed ones; none at all if the config has none (no device cgroup). */
function withDeviceRules(r: SpecResources | undefined): SpecResources | undefined {
  if (!r?.devices?.length) return r
  return { ...r, devices: [...r.devices, ...ALWAYS_ALLOWED_DEVICES] }
}

function cgroupMount(m: SpecMount, spec: Spec, leaf: string | undefined): SpecMount {
  if (m.type !== 'cgroup' && m.type !== 'cgroup2') return m
  const flags = (m.options ?? []).filter((o) => ['ro', 'rw', 'nosuid', 'noexec', 'nodev', 'relatime', 'noatime'].includes(o))
  if (spec.linux.namespaces.some((ns) => ns.type === 'cgroup')) {
    // in its own cgroup namespace, cgroup2 mounted fresh is rooted at its cgroup
    return { destination: m.destination, type: 'cgroup2', source: 'cgroup2', options: flags }
  }
  if (!leaf) return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'noexec', 'nodev'] }
  return { destination: m.destination, type: 'bind', source: leaf, options: ['rbind', ...flags] }
}
