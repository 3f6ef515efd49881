/**
 * A look at the files of a container that does not run (`cp` of a Created
 * or Exited container, as Docker's daemon mounts them for it): a process
 * in a mount namespace of its own holding the container's root filesystem
 * and its bind mounts (volumes, -v), and nothing else; the runtime reaches
 * them through /proc/<pid>/root. The mounts never appear in the host's
 * namespace, and they go when the process does: killed by the runtime when
 * the copy is done, or by its parent-death signal if the runtime dies
 * first. Pure.
 *
 * It runs /bin/sleep from the host (no pivot_root: the container's files
 * are only looked at, through the runtime's own resolution in its root).
 */
import { formatIdMap } from '../spec/id-maps.js'
import type { Spec } from '../spec/spec.js'
import { NAMESPACE_FLAGS } from './namespaces.js'
import { rootfsViewSteps, type PathKind, type RootfsSource } from './plan-rootfs.js'
import type { ChildStep, HostStep, StartPlan } from './steps.js'

export interface ViewInput {
  spec: Spec
  rootfs: RootfsSource
  pathKind: (hostPath: string) => PathKind
  /** Rootless: a user namespace mapping the caller to root, as the container had (setgroups denied). */
  userns?: boolean
  /** Rootless with subordinate ids: the setuid helpers that write maps of more than the caller's own id, as a start's. */
  idMapHelpers?: { newuidmap: string; newgidmap: string }
}

const SIGKILL = 9

export function planRootfsView(input: ViewInput): StartPlan {
  const { spec } = input
  const child: ChildStep[] = [
    { op: 'pdeathsig', signal: SIGKILL, section: 'rootfs', why: 'the view goes with the runtime that made it, whatever happens to it' },
    ...rootfsViewSteps(input),
    { op: 'close_fds', from: 3, section: 'command', why: 'nothing of the runtime\'s stays open in it' },
    { op: 'exec', path: '/usr/bin:/bin', args: ['sleep', 'infinity'], env: [], section: 'command', why: 'hold the mount namespace while the runtime reads and writes through /proc/<pid>/root' },
  ]
  const host: HostStep[] = [
    {
      kind: 'clone', flags: NAMESPACE_FLAGS.mount | (input.userns ? NAMESPACE_FLAGS.user : 0), keep: [], via: { runtime: true }, section: 'clone',
      why: 'a mount namespace of its own: the container\'s mounts are made there and never on the host',
    },
  ]
  if (input.userns && input.idMapHelpers) {
    // the range /etc/subuid grants: only newuidmap and newgidmap may write it (user_namespaces(7))
    host.push({ kind: 'id_map_helper', program: input.idMapHelpers.newuidmap, file: 'uid_map', maps: spec.linux.uidMappings ?? [], section: 'handshake', why: 'the container\'s ids, as it had them: newuidmap, setuid root, maps the range /etc/subuid gives you' })
    host.push({ kind: 'id_map_helper', program: input.idMapHelpers.newgidmap, file: 'gid_map', maps: spec.linux.gidMappings ?? [], section: 'handshake', why: 'the same for groups, from /etc/subgid' })
  } else if (input.userns) {
    host.push({ kind: 'proc_write', file: 'setgroups', content: 'deny', section: 'handshake', why: 'an unprivileged user may map only its own ids, and only once setgroups(2) is disabled (user_namespaces(7))' })
    host.push({ kind: 'proc_write', file: 'uid_map', content: formatIdMap(spec.linux.uidMappings ?? [], '\n'), section: 'handshake', why: 'the container\'s ids, as it had them' })
    host.push({ kind: 'proc_write', file: 'gid_map', content: formatIdMap(spec.linux.gidMappings ?? [], '\n'), section: 'handshake', why: 'the container\'s ids, as it had them' })
  }
  host.push({ kind: 'sync', section: 'handshake', why: 'the child waits for it, then runs the steps below' })
  return { host, child }
}
