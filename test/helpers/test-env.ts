/**
 * A private world for integration tests: a temp image store, a temp state
 * dir and a cgroup parent of their own, and a check that nothing of a
 * container outlives it (mounts, cgroups, writable layers, state).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findCgroup2Mount } from '../../src/runtime/cgroup/cgroup.js'
import { miniRun, type CliResult } from './cli.js'
import { loadArchive } from '../../src/image/load-archive.js'

export const FIXTURES = fileURLToPath(new URL('../../rootfs-fixtures/out/', import.meta.url))
export const BUSYBOX_OCI = join(FIXTURES, 'busybox-oci')
export const BUSYBOX_ROOTFS = join(FIXTURES, 'busybox-rootfs')
export const BUSYBOX = 'localhost/test/busybox:latest'

export const isRoot = process.getuid?.() === 0
export const cgroup2 = findCgroup2Mount()

export interface TestEnv {
  dir: string
  storeRoot: string
  stateRoot: string
  cgroupParent: string
  /** mini-run with this env's --root/--state (and --cgroup-parent for run). */
  run(args: string[], options?: Parameters<typeof miniRun>[1]): CliResult
  /** `run --rm` with the env's flags in front of args. */
  runArgs(args: string[]): string[]
  /** What could be left behind: must be empty between tests. */
  leftovers(): string[]
  cleanup(): void
}

export async function makeTestEnv(options: { loadBusybox?: boolean } = {}): Promise<TestEnv> {
  const dir = mkdtempSync('/var/tmp/mini-run-test-')
  // searchable, like /var/lib: a user namespace's root must reach its layers
  chmodSync(dir, 0o755)
  const storeRoot = join(dir, 'store')
  const stateRoot = join(dir, 'state')
  const cgroupParent = `mini-run-test-${process.pid}`
  if (options.loadBusybox !== false) {
    const { ImageStore } = await import('../../src/image/store.js')
    try {
      await loadArchive(new ImageStore({ root: storeRoot }), BUSYBOX_OCI, { name: BUSYBOX })
    } catch (err) {
      // no env is returned, so no cleanup() would take the directory (the fixture not built, say)
      rmSync(dir, { recursive: true, force: true })
      throw err
    }
  }
  const globals = ['--root', storeRoot, '--state', stateRoot]
  const env: TestEnv = {
    dir,
    storeRoot,
    stateRoot,
    cgroupParent,
    runArgs: (args) => [...globals, 'run', '--rm', '--cgroup-parent', cgroupParent, ...args],
    run: (args, opts) => miniRun([...globals, ...args], opts),
    leftovers() {
      const left: string[] = []
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir))
      left.push(...mounts.map((m) => `mount: ${m}`))
      if (cgroup2 && existsSync(join(cgroup2, cgroupParent))) left.push(`cgroup: ${join(cgroup2, cgroupParent)}`)
      const containers = join(storeRoot, 'containers')
      if (existsSync(containers)) left.push(...readdirSync(containers).map((c) => `container dir: ${c}`))
      if (existsSync(stateRoot)) {
        // the events log (src/events/) is the state root's history, not something a container left
        for (const e of readdirSync(stateRoot)) if (!/^events\.log/.test(e)) left.push(`state: ${e}`)
      }
      return left
    },
    cleanup() {
      // a test that failed may have left containers: removed as a user would,
      // then whatever is still mounted under the env (a pinned network namespace)
      if (existsSync(stateRoot)) {
        const ids = miniRun([...globals, 'ps', '-a', '-q']).stdout.split('\n').filter(Boolean)
        if (ids.length > 0) miniRun([...globals, 'rm', '-f', '-v', ...ids])
      }
      const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((p): p is string => p !== undefined && p.startsWith(`${dir}/`))
      for (const p of mountPoints.sort().reverse()) spawnSync('umount', ['-l', p])
      rmSync(dir, { recursive: true, force: true })
      if (cgroup2) removeEmptyTree(join(cgroup2, cgroupParent))
    },
  }
  return env
}

/** rmdir a cgroup and the empty cgroups under it, deepest first (absent: nothing to do). */
function removeEmptyTree(path: string): void {
  let entries: string[]
  try {
    entries = readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
  } catch {
    return
  }
  for (const e of entries) removeEmptyTree(join(path, e))
  try {
    rmdirSync(path)
  } catch {
    // busy: a process is still in it, and leftovers() says so
  }
}

/**
 * The store's tmp/ entries once a foreground `run --rm`'s writable layer,
 * set aside there for its exit's helper to remove after the CLI is gone
 * (run-foreground.ts), is: a moment after the CLI's exit. Anything else is
 * as it was; a layer still there after timeoutMs is returned too.
 */
export function settledStoreTmp(storeRoot: string, timeoutMs = 5000): string[] {
  const tmp = join(storeRoot, 'tmp')
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const entries = existsSync(tmp) ? readdirSync(tmp) : []
    if (!entries.some((e) => e.startsWith('removed-')) || Date.now() > deadline) return entries
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
  }
}
