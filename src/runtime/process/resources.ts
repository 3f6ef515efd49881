/**
 * What a start's host steps made (run-host-steps.ts): fds, directories, the
 * cgroup, the network, volumes and FIFOs, and how each goes back.
 */
import type { NetworkRecord } from '../../network/attach.js'
import type { VolumeClaims } from '../plan/steps.js'
import type { Host, NetworkContext } from './host.js'

/** What the host steps made; the caller gives back what it does not keep. */
export class Resources {
  readonly dirs: string[] = []
  /** -v sources made for this start: removed only if it fails. */
  readonly sources: string[] = []
  cgroup: { path: string; mount: string } | undefined
  /** Leaves in cgroup v1 hierarchies (a hybrid host). */
  readonly cgroupsV1: { path: string; base?: string }[] = []
  volumes: VolumeClaims | undefined
  /** The network as attached so far: detach gives it back. */
  network: { ctx: NetworkContext; record: NetworkRecord } | undefined
  /** FIFOs made (exec_fifo): removed if the start fails. */
  readonly fifos: string[] = []
  /** Open fds by slot: closed once the child has its copies, but for the runtime's peers. */
  readonly fds = new Map<string, number>()

  constructor(private readonly host: Host) {}

  /** Close every fd still held, peers included. */
  closeFds(): void {
    for (const fd of this.fds.values()) this.host.close(fd)
    this.fds.clear()
  }

  /** Remove the directories made (the first holds the rest). */
  removeDirs(): void {
    for (const dir of this.dirs.splice(0).reverse()) this.host.removeTree(dir)
  }

  /** removeDirs on a thread of its own, for the caller to give back the rest meanwhile (`here`: on the JS thread, a run of a moment's few entries); what it leaves goes the usual way. */
  async removeDirsInThread(o: { here?: boolean } = {}): Promise<void> {
    const top = this.dirs[0]
    if (top === undefined) return
    try {
      await this.host.removeTreeInThread(top, o)
      this.dirs.splice(0)
    } catch {
      this.removeDirs()
    }
  }

  async removeCgroup(): Promise<void> {
    const leaf = this.cgroup
    this.cgroup = undefined
    if (leaf) await this.host.destroyCgroupLeaf(leaf.path, leaf.mount)
    for (const leaf of this.cgroupsV1.splice(0).reverse()) await this.host.destroyCgroupV1Leaf(leaf.path, leaf.base)
  }

  /**
   * Tear the container's network down (addresses, ports, rules, the netns
   * pin): what it attached, or `current`, the record as the state has it
   * now, when `network connect` added networks meanwhile.
   */
  detachNetwork(current?: NetworkRecord): void {
    const n = this.network
    this.network = undefined
    if (n) this.host.detachNetwork(n.ctx, current ?? n.record)
  }

  releaseVolumes(): void {
    const v = this.volumes
    this.volumes = undefined
    if (v) this.host.releaseVolumes(v)
  }

  /** Give back everything, in reverse order of making: the start failed. */
  async undo(): Promise<void> {
    this.closeFds()
    this.detachNetwork()
    await this.removeCgroup()
    this.releaseVolumes()
    this.removeDirs()
    for (const dir of this.sources.splice(0).reverse()) this.host.removeEmptyTree(dir)
    for (const fifo of this.fifos.splice(0)) this.host.removeTree(fifo)
  }
}
