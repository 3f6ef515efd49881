/**
 * An OCI container's cgroups, from linux.cgroupsPath as runc's cgroupfs
 * driver reads it: an absolute path from each hierarchy's root, a relative
 * one under the runtime's own cgroup there, none at all the container's id
 * under the runtime's own cgroup. A v2 leaf always (cgroup.procs, kill,
 * freeze); v1 leaves for the controllers its limits need that v2 lacks
 * (a hybrid host: runtime/cgroup/cgroup-v1.ts), the device cgroup among
 * them. mini-run creates cgroups there and nowhere else, and removes only
 * the leaves it made (a caller's parent, such as podman's libpod_parent,
 * is the caller's).
 */
import { MiniRunError } from '../errors.js'
import type { SpecResources } from '../runtime/cgroup/cgroup-limits.js'
import { readCgroupHost, v1LeavesFor, type CgroupHost } from '../runtime/cgroup/cgroup-placement.js'
import { cgroupPathIn, type V1Leaf } from '../runtime/cgroup/cgroup-v1.js'

export interface OciCgroups {
  v2?: { path: string; mount: string }
  v1: V1Leaf[]
}

export function ociCgroups(cgroupsPath: string, id: string, resources: SpecResources | undefined, host: CgroupHost = readCgroupHost()): OciCgroups {
  if (/^[^/]*:[^:]*:[^:]*$/.test(cgroupsPath) && cgroupsPath.includes('.slice')) {
    throw new MiniRunError(`linux.cgroupsPath ${JSON.stringify(cgroupsPath)} is a systemd slice:scope: mini-run manages cgroups itself (cgroupfs), not through systemd`, { code: 'EUSAGE' })
  }
  const path = cgroupsPath || id
  const v2 = host.v2Mount ? { path: cgroupPathIn(host.v2Mount, host.own.v2, path), mount: host.v2Mount } : undefined
  if (v2 && v2.path === v2.mount) throw new MiniRunError(`linux.cgroupsPath ${JSON.stringify(cgroupsPath)} names the root cgroup`, { code: 'EUSAGE' })
  const v1 = resources ? v1LeavesFor(resources, host, (mount, own) => cgroupPathIn(mount, own, path), (c) => `linux.resources (${c})`) : []
  return { ...(v2 ? { v2 } : {}), v1 }
}
