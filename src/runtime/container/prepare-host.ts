/**
 * What a run asks of the host's cgroups and devices, decided before
 * anything is made: the cgroup leaves and limits (refused now, with the
 * reason, when the host cannot apply them), --device and --privileged's
 * nodes and device cgroup, --security-opt seccomp=FILE's profile.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'
import { ALWAYS_ALLOWED_DEVICES } from '../cgroup/cgroup-devices.js'
import { discardUnsupportedWeights, discardV1MemoryKnobs } from '../cgroup/unsupported-limits.js'
import { checkControllers, flagOfController, resourcesFromFlags, type SpecDeviceRule } from '../cgroup/cgroup-limits.js'
import { DEFAULT_CGROUP_PARENT, findCgroup2Mount } from '../cgroup/cgroup.js'
import { readCgroupHost, v1LeavesFor } from '../cgroup/cgroup-placement.js'
import { cgroupPathIn, type V1Leaf } from '../cgroup/cgroup-v1.js'
import { delegatedSubtree } from '../cgroup/delegation.js'
import { hostDevices, parseDeviceCgroupRule, parseDeviceFlag } from '../spec/device-flags.js'
import { dockerSeccompProfile } from '../spec/docker-seccomp.js'
import type { SpecDevice, SpecSeccomp } from '../spec/spec.js'
import type { RunOptions } from './run-options.js'

/**
 * Where the container's cgroups go, and its limits; limits refused now,
 * with the reason, when the host cannot apply them.
 * - As root: a leaf in the cgroup v2 hierarchy, and for the controllers v2
 *   lacks, a leaf in the v1 hierarchy bound to each (a hybrid host:
 *   cgroup/cgroup-v1.ts); --device's rules as a v1 devices leaf or a BPF
 *   program on the v2 leaf.
 * - Rootless: a leaf in the subtree delegated to the user
 *   (cgroup/delegation.ts), v2 only; without one, no leaf, as podman's cgroupfs.
 */
export function cgroupOf(o: RunOptions, id: string, root: boolean, planOnly: boolean, deviceRules: SpecDeviceRule[] | undefined) {
  const wanted = o.cgroupParent !== ''
  const limits = resourcesFromFlags(o.resources ?? {})
  // the device cgroup, as root (a rootless run has none: its nodes are bound, unguarded)
  let resources = deviceRules && root ? { ...limits, devices: deviceRules } : limits
  // the controllers and the v1 hierarchies matter only to limits: without
  // any, the v2 mount is all there is to read (a run's 0.3 ms)
  const host = wanted && resources ? readCgroupHost() : undefined
  const warnings: string[] = []
  if (host && resources) {
    // what this host cannot set goes, with Docker's warnings (its daemon's verifyPlatformContainerResources)
    const weights = root ? discardUnsupportedWeights(resources, host) : { resources, warnings: [] }
    const memory = weights.resources ? discardV1MemoryKnobs(weights.resources, host, root) : { resources: undefined, warnings: [] }
    resources = memory.resources
    warnings.push(...weights.warnings, ...memory.warnings)
  }
  const mount = host ? host.v2Mount : wanted ? findCgroup2Mount() : undefined
  let top = mount
  let why = wanted ? 'none is mounted' : '--cgroup-parent "" disables it'
  if (mount && !root) {
    const delegation = delegatedSubtree(mount)
    top = 'path' in delegation ? delegation.path : undefined
    if ('why' in delegation) why = delegation.why
  }
  let v1: V1Leaf[] = []
  if (resources && root) {
    if (!host || (!mount && host.v1.length === 0)) throw new MiniRunError(`resource limits need a cgroup hierarchy that mini-run may write (${why})`, { code: 'ENOCONTROLLER' })
    // v1 leaves nest under the caller's own cgroup: its limits still hold
    const parent = (o.cgroupParent ?? DEFAULT_CGROUP_PARENT).replace(/^\/+/, '')
    v1 = v1LeavesFor(resources, host, (m, own) => cgroupPathIn(m, own, join(parent, id)), flagOfController, { removeParents: true })
  } else if (resources && !planOnly) {
    if (!top) throw new MiniRunError(`resource limits need a cgroup v2 hierarchy that mini-run may write: ${why}`, { code: 'ENOCONTROLLER' })
    checkControllers(top, resources)
  }
  // cgroup v2 has no devices controller: the rules become a BPF program on the leaf
  const deviceFilter = Boolean(resources?.devices && mount && root && !v1.some((l) => l.controller === 'devices'))
  // what guards device nodes: a v1 devices leaf or the BPF program. Without either the rules are
  // not enforced (no v1 devices hierarchy, no cgroup v2): /dev and the rootfs stay nodev, and a
  // rule that would allow more than they let through is refused rather than silently nothing
  const deviceCgroup = Boolean(resources?.devices) && (deviceFilter || v1.some((l) => l.controller === 'devices'))
  if (!deviceCgroup && o.deviceCgroupRules?.length && root && !planOnly) {
    throw new MiniRunError('--device-cgroup-rule needs a device cgroup: this host has neither a v1 devices hierarchy nor a cgroup v2 mount', { code: 'ENOCONTROLLER' })
  }
  return { mount: top, resources, v1, deviceFilter, deviceCgroup, warnings }
}

/** --device, --device-cgroup-rule and --privileged: the extra nodes, and the device cgroup's rules (none without those flags). */
export function devicesOf(o: RunOptions): { nodes: SpecDevice[]; rules?: SpecDeviceRule[] } {
  if (o.privileged) return { nodes: hostDevices(), rules: [{ allow: true, access: 'rwm' }] }
  const flags = (o.devices ?? []).map((d) => parseDeviceFlag(d))
  const extra = (o.deviceCgroupRules ?? []).map(parseDeviceCgroupRule)
  if (flags.length === 0 && extra.length === 0) return { nodes: [] }
  return { nodes: flags.map((f) => f.device), rules: [{ allow: false, access: 'rwm' }, ...ALWAYS_ALLOWED_DEVICES, ...flags.map((f) => f.rule), ...extra] }
}

/** --security-opt seccomp=FILE: read now, turned into the container's profile once its capabilities are known. */
export function seccompProfileOf(o: RunOptions): ((caps: string[]) => SpecSeccomp) | undefined {
  const file = o.seccompProfile
  if (file === undefined) return undefined
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new UsageError(`--security-opt seccomp=${file}: ${(err as Error).message}`, { cause: err })
  }
  return (caps) => dockerSeccompProfile(json, file, caps)
}
