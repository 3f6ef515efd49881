/**
 * Docker's --network host|none, --pid/--ipc/--uts host|private: which of
 * the host's namespaces a container shares instead of getting its own.
 */
import { UsageError } from '../../errors.js'
import type { HostNamespace } from './container-spec.js'

export interface NamespaceFlags {
  network?: string
  pid?: string
  ipc?: string
  uts?: string
  cgroupns?: string
}

export function sharedNamespaces(o: NamespaceFlags): HostNamespace[] {
  const shared: HostNamespace[] = []
  const modes: [HostNamespace, string | undefined, string[]][] = [
    // a network of its own (bridge, none, a network's name) is src/network's to check
    ['network', o.network === 'host' ? 'host' : undefined, []],
    ['pid', o.pid, ['private']],
    ['ipc', o.ipc, ['private', 'shareable']],
    ['uts', o.uts, ['private']],
    // Docker's --cgroupns: private (the default here, as on a cgroup v2 host) or host
    ['cgroup', o.cgroupns, ['private']],
  ]
  for (const [ns, mode, own] of modes) {
    // container:X (pid, ipc): a namespace of X's, joined at each start (container/container-namespaces.ts)
    const flag = ns === 'cgroup' ? 'cgroupns' : ns
    if (mode === undefined || mode === '' || own.includes(mode) || (ns !== 'uts' && ns !== 'cgroup' && mode.startsWith('container:'))) continue
    if (mode !== 'host') {
      throw new UsageError(`--${flag} ${mode} is not supported: use ${[...own, 'host', ...(ns === 'uts' || ns === 'cgroup' ? [] : ['container:NAME'])].join(' or ')}${ns === 'network' ? ' (a container has only lo, or the host\'s network)' : ''}`)
    }
    shared.push(ns)
  }
  return shared
}
