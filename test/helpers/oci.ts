/**
 * A private world for the OCI mode's tests: a temp dir with a state root
 * and bundles (a copy of the busybox rootfs and a config.json from
 * `mini-run spec`, changed per test), containers in cgroups under a parent
 * of their own (relative: under this process's cgroup in each hierarchy),
 * and a leftovers() check: containers, cgroups, mounts.
 */
import { closeSync, cpSync, existsSync, openSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findV1Hierarchies, ownCgroups } from '../../src/runtime/cgroup/cgroup-v1.js'
import { findCgroup2Mount } from '../../src/runtime/cgroup/cgroup.js'
import { miniRun, type CliResult } from './cli.js'
import { BUSYBOX_ROOTFS } from './test-env.js'

export interface OciEnv {
  dir: string
  root: string
  /** The cgroup parent every bundle of this env puts its container under (linux.cgroupsPath <parent>/<id>). */
  cgroupParent: string
  /** `mini-run oci --root <root> ARGS`. */
  oci(args: string[], options?: Parameters<typeof miniRun>[1]): CliResult
  /**
   * The same for a verb that leaves a process behind (create, exec -d): it
   * keeps the caller's stdout and stderr, so they are files here (pipes
   * would stay open as long as the container runs).
   */
  ociDetached(args: string[]): CliResult
  /** A bundle named `name`: the busybox rootfs and `mini-run spec`'s config, changed by `edit`. */
  bundle(name: string, edit?: (config: OciConfigJson) => void): string
  /** Every cgroup directory of the parent in every hierarchy, mounts under dir, containers in the root. */
  leftovers(): string[]
  cleanup(): void
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OciConfigJson = Record<string, any>

/** Where a relative cgroup path lands in each hierarchy (the v2 one and each v1 one), as mini-run resolves it. */
export function cgroupDirs(relative: string): string[] {
  const own = ownCgroups()
  const dirs: string[] = []
  const v2 = findCgroup2Mount()
  if (v2) dirs.push(join(v2, own.v2, relative))
  for (const h of findV1Hierarchies()) dirs.push(join(h.mount, own.v1.get(h.controllers[0]!) ?? '/', relative))
  return dirs
}

/** The mount point of every cgroup hierarchy (an absolute cgroup path starts there). */
export function cgroupRoots(): string[] {
  const v2 = findCgroup2Mount()
  return [...(v2 ? [v2] : []), ...findV1Hierarchies().map((h) => h.mount)]
}

export function makeOciEnv(): OciEnv {
  const dir = mkdtempSync('/var/tmp/mini-run-oci-test-')
  const root = join(dir, 'state')
  const cgroupParent = `mini-run-oci-test-${process.pid}`
  let rootfs: string | undefined
  let outputs = 0
  const env: OciEnv = {
    dir,
    root,
    cgroupParent,
    oci: (args, options) => miniRun(['oci', '--root', root, ...args], options),
    ociDetached(args) {
      const out = join(dir, `out.${++outputs}`)
      const err = join(dir, `err.${outputs}`)
      const fds = [openSync(out, 'w'), openSync(err, 'w')]
      try {
        const r = miniRun(['oci', '--root', root, ...args], { stdio: ['ignore', fds[0]!, fds[1]!] })
        return { ...r, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') }
      } finally {
        for (const fd of fds) closeSync(fd)
      }
    },
    bundle(name, edit) {
      const bundle = join(dir, name)
      mkdirSync(bundle)
      if (!rootfs) {
        rootfs = join(dir, 'rootfs')
        cpSync(BUSYBOX_ROOTFS, rootfs, { recursive: true, verbatimSymlinks: true })
      }
      const spec = miniRun(['oci', 'spec', '--bundle', bundle])
      if (spec.status !== 0) throw new Error(`mini-run oci spec: ${spec.stderr}`)
      const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as OciConfigJson
      config.root = { path: rootfs, readonly: true }
      config.process.terminal = false
      config.linux.cgroupsPath = `${cgroupParent}/${name}`
      edit?.(config)
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2))
      return bundle
    },
    leftovers() {
      const left: string[] = []
      for (const d of cgroupDirs(cgroupParent)) {
        if (existsSync(d)) left.push(...readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `cgroup: ${join(d, e.name)}`))
      }
      left.push(...readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir)).map((l) => `mount: ${l}`))
      if (existsSync(root)) left.push(...readdirSync(root).map((e) => `state: ${e}`))
      return left
    },
    cleanup() {
      if (existsSync(root)) for (const id of readdirSync(root)) miniRun(['oci', '--root', root, 'delete', '--force', id])
      for (const d of cgroupDirs(cgroupParent)) {
        if (!existsSync(d)) continue
        for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmdirQuiet(join(d, e.name))
        rmdirQuiet(d)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return env
}

function rmdirQuiet(path: string): void {
  try {
    rmdirSync(path)
  } catch {
    // busy or gone: leftovers() says so
  }
}
