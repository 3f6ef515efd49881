/**
 * What the kernel-feature tests share: the integration tests' private world
 * (test/helpers/test-env.ts) plus detached containers, their cgroup leaf as
 * the kernel shows it, and polling. These tests need a pure cgroup v2
 * hierarchy with the memory, pids and cpu controllers: the VM of
 * test/vm/run-vm.sh, or the Vagrantfile's.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest'
import { cgroup2, makeTestEnv, type TestEnv } from '../helpers/test-env.js'

export { BUSYBOX } from '../helpers/test-env.js'

/** Why this machine cannot run the kernel tests; undefined when it can. */
export function unsuitableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root'
  if (!cgroup2) return 'no cgroup2 filesystem is mounted'
  const v1 = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' - ')[1]?.startsWith('cgroup '))
  if (v1.length > 0) return `cgroup v1 hierarchies are mounted (${v1.length}): the kernel tests need a pure cgroup v2 host`
  const controllers = readFileSync(join(cgroup2, 'cgroup.controllers'), 'utf8').trim().split(' ')
  const lacking = ['memory', 'pids', 'cpu'].filter((c) => !controllers.includes(c))
  if (lacking.length > 0) return `the cgroup v2 root at ${cgroup2} lacks ${lacking.join(', ')}`
  return undefined
}

export interface KernelTestEnv extends TestEnv {
  cgroupRoot: string
  /** `run -d` under this env's cgroup parent; the container's full id. */
  detached(args: string[]): string
  /** `inspect` of one container, parsed. */
  inspect(ref: string): ContainerJson
  /** A file of the container's cgroup leaf, trimmed. */
  cgroupFile(id: string, file: string): string
  /** `rm -f` every container of this env; the env must then be empty. */
  removeAll(): void
}

export interface ContainerJson {
  Id: string
  CgroupPath: string
  State: { Status: string; Running: boolean; OOMKilled: boolean; Pid: number; ExitCode: number }
  HostConfig: Record<string, unknown>
}

export async function makeKernelTestEnv(): Promise<KernelTestEnv> {
  const env = await makeTestEnv()
  const cgroupRoot = cgroup2!
  const inspect = (ref: string): ContainerJson => {
    const r = env.run(['inspect', ref])
    if (r.status !== 0) throw new Error(`inspect ${ref}: ${r.stderr}`)
    return (JSON.parse(r.stdout) as ContainerJson[])[0]!
  }
  const runArgs = env.runArgs
  return Object.assign(env, {
    runArgs: (args: string[]) => [...runArgs(['--network', 'none']), ...args],
    cgroupRoot,
    detached(args: string[]): string {
      // the VM's kernel tests are about cgroups: no bridge network in the guest
      const r = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, ...args])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      return r.stdout.trim()
    },
    inspect,
    cgroupFile(id: string, file: string): string {
      return readFileSync(join(cgroupRoot, env.cgroupParent, id, file), 'utf8').trim()
    },
    removeAll(): void {
      const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
      if (ids.length > 0) env.run(['rm', '-f', ...ids])
    },
  })
}

/**
 * A kernel test file's describe block: skipped, saying why, where the
 * kernel does not fit (unsuitableReason); else one env for the file, every
 * container of which is removed after each test, which must leave nothing.
 * `env` is filled in before the first test runs.
 */
export function describeOnKernel(title: string, body: (env: KernelTestEnv) => void): void {
  const unsuitable = unsuitableReason()
  describe.skipIf(unsuitable)(`${title}${unsuitable ? ` (${unsuitable})` : ''}`, () => {
    const env = {} as KernelTestEnv
    let made = false
    beforeAll(async () => {
      Object.assign(env, await makeKernelTestEnv())
      made = true
    })
    afterEach(() => {
      env.removeAll()
      expect(env.leftovers()).toEqual([])
    })
    afterAll(() => {
      if (made) env.cleanup()
    })
    body(env)
  })
}

/** Poll until `predicate` holds; fail naming `what` after `ms`. */
export async function until(what: string, predicate: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

/** The pids of a cgroup (cgroup.procs), or [] once it is gone. */
export function cgroupProcs(path: string): number[] {
  if (!existsSync(path)) return []
  return readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
}

/** A process exists (zombies included: they would still hold their pid). */
export function processExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`)
}

/** "key value" lines (cpu.stat, memory.events, pids.events) as numbers. */
export function parseKeyed(text: string): Record<string, number> {
  return Object.fromEntries(text.split('\n').filter(Boolean).map((l) => {
    const [k, v] = l.split(' ')
    return [k!, Number(v)]
  }))
}
