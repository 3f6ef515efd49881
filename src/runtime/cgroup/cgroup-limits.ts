/**
 * Docker's resource flags as cgroup v2 files (Documentation/admin-guide/
 * cgroup-v2.rst), through the OCI runtime spec's `linux.resources`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { MiniRunError, UsageError } from '../../errors.js'

/** The part of the OCI spec's linux.resources that mini-run sets. */
export interface SpecResources {
  /** limit: bytes; swap: memory + swap in bytes (Docker's --memory-swap), -1 unlimited. */
  memory?: { limit?: number; swap?: number }
  pids?: { limit: number }
  cpu?: { shares?: number; quota?: number; period?: number }
}

export interface ResourceFlags {
  memory?: string
  memorySwap?: string
  pidsLimit?: string
  cpus?: string
  cpuShares?: string
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/** Docker's size syntax: 32m, 1g, 512k, 1048576 (bytes). */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text.trim())
  if (!m) throw new UsageError(`invalid ${flag} "${text}": use a size like 32m or 1g`)
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!)
}

/** Docker's run flags as OCI resources; undefined when none is given. */
export function resourcesFromFlags(f: ResourceFlags): SpecResources | undefined {
  const r: SpecResources = {}
  if (f.memory !== undefined) {
    const limit = parseSize(f.memory, '--memory')
    // Docker refuses limits this small; the kernel would OOM the runtime's own helpers
    if (limit < 6 * 1024 * 1024) throw new UsageError('minimum memory limit allowed is 6MB')
    r.memory = { limit }
  }
  if (f.memorySwap !== undefined) {
    if (!r.memory) throw new UsageError('you should always set the memory limit when using the memory-swap limit')
    const swap = f.memorySwap === '-1' ? -1 : parseSize(f.memorySwap, '--memory-swap')
    if (swap !== -1 && swap < r.memory.limit!) throw new UsageError('minimum memory-swap limit should be larger than memory limit')
    r.memory.swap = swap
  } else if (r.memory) {
    // Docker: without --memory-swap, as much swap as memory
    r.memory.swap = r.memory.limit! * 2
  }
  if (f.pidsLimit !== undefined) {
    const n = Number(f.pidsLimit)
    if (!Number.isInteger(n)) throw new UsageError(`invalid --pids-limit "${f.pidsLimit}"`)
    r.pids = { limit: n }
  }
  if (f.cpus !== undefined) {
    const cpus = Number(f.cpus)
    if (!(cpus > 0) || !Number.isFinite(cpus)) throw new UsageError(`invalid --cpus "${f.cpus}": a positive number of CPUs`)
    r.cpu = { period: 100_000, quota: Math.round(cpus * 100_000) }
  }
  if (f.cpuShares !== undefined) {
    const shares = Number(f.cpuShares)
    if (!Number.isInteger(shares) || shares < 2) throw new UsageError(`invalid --cpu-shares "${f.cpuShares}": an integer of at least 2`)
    r.cpu = { ...r.cpu, shares }
  }
  return Object.keys(r).length ? r : undefined
}

/** cgroup v1 shares (2..262144) to v2 cpu.weight (1..10000), as runc and crun convert them. */
export function sharesToWeight(shares: number): number {
  const clamped = Math.min(Math.max(shares, 2), 262144)
  return 1 + Math.floor(((clamped - 2) * 9999) / 262142)
}

/** The controller each file needs, and what to write: a pure plan, in order. */
export function limitFiles(r: SpecResources): { controller: string; file: string; value: string }[] {
  const files: { controller: string; file: string; value: string }[] = []
  if (r.memory?.limit !== undefined) {
    files.push({ controller: 'memory', file: 'memory.max', value: String(r.memory.limit) })
    if (r.memory.swap !== undefined) {
      const swap = r.memory.swap === -1 ? 'max' : String(Math.max(0, r.memory.swap - r.memory.limit))
      files.push({ controller: 'memory', file: 'memory.swap.max', value: swap })
    }
  }
  if (r.pids) files.push({ controller: 'pids', file: 'pids.max', value: r.pids.limit > 0 ? String(r.pids.limit) : 'max' })
  if (r.cpu?.quota !== undefined) {
    files.push({ controller: 'cpu', file: 'cpu.max', value: `${r.cpu.quota} ${r.cpu.period ?? 100_000}` })
  }
  if (r.cpu?.shares !== undefined) files.push({ controller: 'cpu', file: 'cpu.weight', value: String(sharesToWeight(r.cpu.shares)) })
  return files
}

const FLAG_OF: Record<string, string> = { memory: '--memory', pids: '--pids-limit', cpu: '--cpus/--cpu-shares' }

/**
 * Fail before anything starts if the hierarchy lacks a controller the limits
 * need: on a hybrid host the memory, pids and cpu controllers may all be
 * bound to cgroup v1 and absent from the v2 tree.
 */
export function checkControllers(mount: string, r: SpecResources): void {
  const needed = [...new Set(limitFiles(r).map((f) => f.controller))]
  if (needed.length === 0) return
  const available = readFileSync(join(mount, 'cgroup.controllers'), 'utf8').trim().split(/\s+/)
  for (const c of needed) {
    if (!available.includes(c)) {
      const v1 = boundToV1(c) ? ': this host binds it to a cgroup v1 hierarchy' : ''
      throw new MiniRunError(
        `${FLAG_OF[c]} needs the cgroup v2 "${c}" controller, which ${mount} does not offer${v1}; run without the limit, or on a cgroup v2 host`,
        { code: 'ENOCONTROLLER' },
      )
    }
  }
}

/** A cgroup v1 hierarchy with this controller is mounted (a hybrid host). */
function boundToV1(controller: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((line) => / - cgroup \S+ /.test(line) && line.split(' - ')[1]!.split(' ')[2]!.split(',').includes(controller))
  } catch {
    return false
  }
}

/**
 * The directories whose cgroup.subtree_control must delegate a controller
 * for a leaf to have it: from the v2 root down to the leaf's parent (a
 * controller is available in a cgroup only when its parent delegates it).
 * Only ancestors on the path to mini-run's parent are touched, and no
 * process ever sits in them (the "no internal processes" rule).
 */
export function delegationChain(mount: string, leaf: string): string[] {
  const chain: string[] = []
  for (let dir = dirname(leaf); ; dir = dirname(dir)) {
    chain.unshift(dir)
    if (dir === mount || relative(mount, dir).startsWith('..')) break
  }
  return chain
}

/**
 * Write the controllers dir does not delegate yet into its cgroup.subtree_control.
 * mini-run's parent (mini-run/) is made here when missing, as the leaf's
 * mkdir would: it must delegate before the leaf exists, or the leaf lacks the files.
 */
export function enableControllers(dir: string, controllers: string[]): void {
  mkdirSync(dir, { recursive: true })
  const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/)
  const missing = controllers.filter((c) => !enabled.includes(c))
  if (missing.length) writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '))
}

/** memory.events says the kernel's OOM killer ran in this cgroup. */
export function oomKilled(leaf: string): boolean {
  try {
    const m = /^oom_kill (\d+)$/m.exec(readFileSync(join(leaf, 'memory.events'), 'utf8'))
    return m ? Number(m[1]) > 0 : false
  } catch {
    return false
  }
}
