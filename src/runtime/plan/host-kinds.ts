/**
 * Every kind of host step (the runtime's side of a start), in one table:
 * the line --explain prints and the words an error uses. What each kind
 * does is process/run-host-steps.ts's.
 */
import { basename } from 'node:path'
import { formatIdMap } from '../spec/id-maps.js'
import { namespaceNames } from './namespaces.js'
import type { CloneVia, HostKind, HostStep } from './steps.js'

interface Kind<S> {
  explain(step: S): string
  describe(step: S): string
}

type Table = { [K in HostKind]: Kind<Extract<HostStep, { kind: K }>> }

const owner = (s: { owner?: { uid: number; gid: number } }) => (s.owner ? `, chown ${s.owner.uid}:${s.owner.gid}` : '')

export const HOST_KINDS: Table = {
  private_dir: {
    explain: (s) => `mkdir -m ${s.mode.toString(8).padStart(4, '0')} ${s.path} if missing; refuse it if another user owns it or may write it`,
    describe: (s) => `mkdir ${s.path}`,
  },
  bind_source: {
    explain: (s) => `mkdir -p -m 0755 ${s.path}`,
    describe: (s) => `mkdir ${s.path}`,
  },
  mkdir: {
    explain: (s) => `mkdir -m ${s.mode.toString(8).padStart(4, '0')} ${s.path}${owner(s)}`,
    describe: (s) => `mkdir ${s.path}`,
  },
  cgroup_leaf: {
    explain: (s) => `mkdir -p ${s.path}, open it as <${s.slot}>`,
    describe: (s) => `create cgroup ${s.path}`,
  },
  cgroup_open: {
    explain: (s) => `open ${s.path} as <${s.slot}>`,
    describe: (s) => `open cgroup ${s.path}`,
  },
  cgroup_enable: {
    explain: (s) => `echo "${s.controllers.map((c) => `+${c}`).join(' ')}" > ${s.dir}/cgroup.subtree_control (if not enabled yet)`,
    describe: (s) => `enable ${s.controllers.join(', ')} in ${s.dir}/cgroup.subtree_control`,
  },
  device_filter: {
    explain: (s) => `bpf BPF_PROG_LOAD BPF_PROG_TYPE_CGROUP_DEVICE (${s.program.length / 8} instructions for ${s.rules} rules), BPF_PROG_ATTACH to <${s.slot}>`,
    describe: () => 'attach the device cgroup program',
  },
  cgroup_write: {
    explain: (s) => `echo ${JSON.stringify(s.value)} > ${s.path}`,
    describe: (s) => `write ${JSON.stringify(s.value)} to ${s.path}`,
  },
  idmapped_mount: {
    explain: (s) => `open_tree ${s.source} + mount_setattr MOUNT_ATTR_IDMAP (uid ${formatIdMap(s.uidMap)}) as <${s.slot}>`,
    describe: (s) => `idmapped mount of ${s.source}`,
  },
  volumes: {
    explain: (s) =>
      s.volumes.map((v) => `volume ${v.name.length === 64 ? v.name.slice(0, 12) : v.name} at ${v.destination}: create it if missing${s.layers && !v.nocopy ? ', copy the image\'s content there into it if it is empty' : ''}`).join('; ')
      + `; record the container as their user`,
    describe: (s) => `volumes ${s.volumes.map((v) => v.name).join(' ')}`,
  },
  pidfd: {
    explain: (s) => `pidfd_open ${s.pid} as <${s.slot}>, then check that it is still the process started at tick ${s.startTime}`,
    describe: (s) => `open the process of container ${s.container.slice(0, 12)}`,
  },
  container_process: {
    explain: (s) => `read ${s.stateRoot}/${s.container}/state.json: refuse unless container ${s.ref} runs; pidfd_open its process as <${s.slot}>, then check that it is still the process started at the tick recorded`,
    describe: (s) => `join the ${s.namespace === 'pid' ? 'PID namespace' : s.namespace === 'ipc' ? 'IPC namespace' : 'network'} of container ${s.ref}`,
  },
  socketpair: {
    explain: (s) => `socketpair AF_UNIX: <${s.slot}> for the child, <${s.peer}> for the runtime`,
    describe: () => 'socketpair',
  },
  clone: {
    explain: (s) =>
      `${'monitor' in s.via ? 'mini-run-monitor (stays the child\'s parent) calls ' : ''}clone3 ${namespaceNames(s.flags)}${s.cgroup ? ` CLONE_INTO_CGROUP <${s.cgroup.slot}>` : ''}${
        s.keep.length ? `; the child keeps ${s.keep.map((k) => `<${k.slot}>`).join(' ')}` : ''
      }; then it execs the sealed stage program${'monitor' in s.via ? monitorText(s.via.monitor) : ''}`,
    describe: () => 'clone3',
  },
  exec_fifo: {
    explain: (s) => `mkfifo -m 0622 ${s.path}, open it O_PATH as <${s.slot}>`,
    describe: (s) => `mkfifo ${s.path}`,
  },
  console_socket: {
    explain: (s) => `connect to the unix socket ${s.path} as <${s.slot}>`,
    describe: (s) => `connect to the console socket ${s.path}`,
  },
  cgroup_v1_leaf: {
    explain: (s) => `mkdir -p ${s.path} (cgroup v1 ${s.controller})`,
    describe: (s) => `create cgroup ${s.path}`,
  },
  cgroup_attach: {
    explain: (s) => `echo <child pid> > ${s.path}/cgroup.procs`,
    describe: (s) => `move the child into ${s.path}`,
  },
  namespace_open: {
    explain: (s) => `open ${s.path} as <${s.slot}> (the ${s.type} namespace to join)`,
    describe: (s) => `open the ${s.type} namespace ${s.path}`,
  },
  hooks: {
    explain: (s) => `run the ${s.phase} hooks (${s.hooks.map((h) => h.path).join(', ')}), the container's state on stdin`,
    describe: (s) => `${s.phase} hook`,
  },
  proc_write: {
    explain: (s) => `echo ${JSON.stringify(s.content.trimEnd())} > /proc/<child>/${s.file}`,
    describe: (s) => `write /proc/<child>/${s.file}`,
  },
  network: {
    explain: (s) => s.plan.explain.map((l) => l.what).join('\n'),
    describe: (s) => `attach the ${s.plan.mode} network`,
  },
  id_map_helper: {
    explain: (s) => `${basename(s.program)} <child> ${s.maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join(' ')}`,
    describe: (s) => `${basename(s.program)} <child>`,
  },
  write_file: {
    explain: (s) => `write ${s.path} (${s.content.split('\n').length - 1} lines)`,
    describe: (s) => `write ${s.path}`,
  },
  sync: {
    explain: () => 'write one byte to the sync pipe',
    describe: () => 'sync with the child',
  },
}

/** What the monitor does once the child runs: log its output, record its exit, run the exit command. */
function monitorText(m: Extract<CloneVia, { monitor: unknown }>['monitor']): string {
  const log = m.logMaxSize > 0 ? `logs the output to ${m.log} (rotated past ${m.logMaxSize} bytes, ${m.logMaxFile} files)` : `sends the output to ${m.log}`
  return `\nthe monitor ${log}, writes ${m.exitFile} at the exit${
    m.exitCommand ? `, then execs mini-run ${exitArgs(m.exitCommand).join(' ')}` : ''
  }`
}

/** mini-run's own arguments in an exit command ([node, '--', script, ...args]). */
function exitArgs(argv: string[]): string[] {
  const end = argv.indexOf('--')
  return end >= 0 ? argv.slice(end + 2) : argv.slice(1)
}

function kindOf<S extends HostStep>(step: S): Kind<S> {
  return HOST_KINDS[step.kind] as unknown as Kind<S>
}

export function explainHostStep(step: HostStep): string {
  return kindOf(step).explain(step)
}

export function describeHostStep(step: HostStep): string {
  return kindOf(step).describe(step)
}
