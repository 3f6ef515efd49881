// The OCI mode's other verbs (issue 11): state's JSON, list, ps, pause and
// resume, update, events --stats, features, spec; --log as containerd reads
// it; and the command line: `mini-run` with runc's arguments, a `runc`-named
// link, mini-run's own verbs untouched. Root only (but features, spec).
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findV1Hierarchies } from '../src/runtime/cgroup/cgroup-v1.js'
import { EXECUTABLE, LAUNCHER, miniRun } from './helpers/cli.js'
import { cgroupDirs, makeOciEnv, type OciEnv } from './helpers/oci.js'
import { isRoot } from './helpers/test-env.js'
import { spawnSync } from 'node:child_process'

describe('features and spec', () => {
  it('prints the runtime spec\'s features document', () => {
    const r = miniRun(['oci', 'features'])
    const f = JSON.parse(r.stdout) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(f).toMatchObject({ ociVersionMin: '1.0.0', ociVersionMax: '1.2.0', hooks: ['prestart', 'createRuntime', 'poststart', 'poststop'] })
    expect(f.linux.namespaces).toContain('user')
    expect(f.linux.capabilities).toContain('CAP_SYS_ADMIN')
    expect(f.linux.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: false })
    expect(f.linux.seccomp.operators).toContain('SCMP_CMP_GT')
    expect(f.linux.mountExtensions).toEqual({ idmap: { enabled: true } })
  })

  it('writes runc\'s default config.json, a rootless one, and keeps one that exists', () => {
    const env = makeOciEnv()
    try {
      const dir = join(env.dir, 'b')
      mkdirSync(dir)
      expect(miniRun(['oci', 'spec', '--bundle', dir]).status).toBe(0)
      const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))
      expect(c.process.args).toEqual(['sh'])
      expect(c.linux.namespaces.map((n: { type: string }) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount'])
      const again = miniRun(['oci', 'spec', '--bundle', dir])
      expect([again.status, again.stderr]).toEqual([1, `mini-run: File ${dir}/config.json exists. Remove it first\n`])
      const rootless = join(env.dir, 'r')
      mkdirSync(rootless)
      expect(miniRun(['oci', 'spec', '--rootless', '--bundle', rootless]).status).toBe(0)
      const r = JSON.parse(readFileSync(join(rootless, 'config.json'), 'utf8'))
      expect(r.linux.namespaces.map((n: { type: string }) => n.type)).toContain('user')
      expect(r.linux.uidMappings).toEqual([{ containerID: 0, hostID: process.getuid!(), size: 1 }])
    } finally {
      env.cleanup()
    }
  })
})

describe.skipIf(!isRoot)('OCI state, list, ps, pause, update, events', () => {
  let env: OciEnv
  let bundle: string
  beforeAll(() => {
    env = makeOciEnv()
    bundle = env.bundle('s1', (c) => {
      c.process.args = ['/bin/sh', '-c', 'sleep 120 & wait']
      c.annotations = { 'org.example/k': 'v' }
    })
    expect(env.ociDetached(['create', '--bundle', bundle, 's1']).status).toBe(0)
    expect(env.oci(['start', 's1']).status).toBe(0)
  })
  afterAll(() => env.cleanup())

  it('state: exactly the runtime spec\'s fields', () => {
    const s = JSON.parse(env.oci(['state', 's1']).stdout)
    expect(Object.keys(s)).toEqual(['ociVersion', 'id', 'status', 'pid', 'bundle', 'annotations'])
    expect(s).toMatchObject({ ociVersion: '1.2.0', id: 's1', status: 'running', bundle, annotations: { 'org.example/k': 'v' } })
  })

  it('list: a table, JSON as runc\'s, ids only', () => {
    const table = env.oci(['list']).stdout.split('\n')
    expect(table[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/)
    expect(table[1]).toMatch(new RegExp(`^s1\\s+\\d+\\s+running\\s+${bundle}\\s+\\S+\\s+root$`))
    const json = JSON.parse(env.oci(['list', '--format', 'json']).stdout)
    expect(json).toEqual([expect.objectContaining({ id: 's1', status: 'running', bundle, rootfs: join(env.dir, 'rootfs'), owner: 'root' })])
    expect(env.oci(['list', '-q']).stdout).toBe('s1\n')
  })

  it('ps: the pids of its cgroup, and ps(1)\'s table of them', () => {
    const pids = JSON.parse(env.oci(['ps', '--format', 'json', 's1']).stdout) as number[]
    expect(pids).toHaveLength(2)
    const table = env.oci(['ps', 's1']).stdout.trim().split('\n')
    expect(table[0]).toMatch(/UID\s+PID\s+PPID/)
    expect(table.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort()).toEqual([...pids].sort())
  })

  it('pause freezes every process, resume thaws them', () => {
    expect(env.oci(['pause', 's1']).status).toBe(0)
    expect(JSON.parse(env.oci(['state', 's1']).stdout).status).toBe('paused')
    const pids = JSON.parse(env.oci(['ps', '--format', 'json', 's1']).stdout) as number[]
    for (const pid of pids) expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) [SD] /) // frozen tasks sleep
    expect(env.oci(['pause', 's1']).stderr).toContain('container not running')
    expect(env.oci(['resume', 's1']).status).toBe(0)
    expect(JSON.parse(env.oci(['state', 's1']).stdout).status).toBe('running')
    expect(env.oci(['resume', 's1']).stderr).toContain('container not paused')
  })

  const memoryV1 = findV1Hierarchies().some((h) => h.controllers.includes('memory'))
  it.runIf(memoryV1)('update: a memory limit the container had none of gets its v1 leaf, its processes moved there', () => {
    expect(env.oci(['update', '--memory', '64m', '--memory-swap', '128m', 's1']).status).toBe(0)
    const leaf = cgroupDirs(`${env.cgroupParent}/s1`).find((d) => d.includes('/memory/'))!
    expect(readFileSync(join(leaf, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(64 << 20))
    expect(readFileSync(join(leaf, 'memory.memsw.limit_in_bytes'), 'utf8').trim()).toBe(String(128 << 20))
    const pids = JSON.parse(env.oci(['ps', '--format', 'json', 's1']).stdout) as number[]
    expect(readFileSync(join(leaf, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number).sort()).toEqual([...pids].sort())
    // lowering below the swap limit and raising above it, in either order, as runc's update does
    expect(env.oci(['update', '--memory', '256m', '--memory-swap', '512m', 's1']).status).toBe(0)
    expect(readFileSync(join(leaf, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(256 << 20))
    const bad = env.oci(['update', '--memory', 'lots', 's1'])
    expect([bad.status, bad.stderr]).toEqual([1, 'mini-run: invalid --memory "lots": use a size like 32m or 1g\n'])
  })

  it('events --stats: one stats event, with the memory limit in force', () => {
    const e = JSON.parse(env.oci(['events', '--stats', 's1']).stdout)
    expect(e).toMatchObject({ type: 'stats', id: 's1' })
    expect(e.data.cpu.usage.total).toBeGreaterThan(0)
    if (memoryV1) expect(e.data.memory.usage.limit).toBe(256 << 20)
  })

  it('--log FILE --log-format json: error records as containerd reads them (level name, msg, RFC 3339 time)', () => {
    const log = join(env.dir, 'log.json')
    const r = miniRun(['--root', env.root, '--log', log, '--log-format', 'json', 'kill', 'nosuch', '9'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: container nosuch does not exist\n')
    const record = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!)
    expect(record).toEqual({ level: 'error', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/), msg: 'container nosuch does not exist' })
  })

  it('refuses --systemd-cgroup and checkpoint clearly', () => {
    expect(env.oci(['--systemd-cgroup', 'state', 's1']).stderr).toMatch(/--systemd-cgroup is not supported: mini-run manages cgroups itself through cgroupfs/)
    expect(env.oci(['checkpoint', 's1']).stderr).toBe('mini-run: checkpoint is not supported by mini-run\n')
  })

  it('is runc\'s command line for mini-run given runc\'s arguments (the acceptance\'s and podman\'s form), and under a runc-named link', () => {
    // the shared verbs find the container in the OCI root, with --root as given
    const state = miniRun(['--root', env.root, 'state', 's1'])
    expect(JSON.parse(state.stdout).status).toBe('running')
    expect(miniRun(['--root', env.root, 'kill', 's1', 'WINCH']).status).toBe(0)
    // a link to the script (its #! line) and one to the executable (native/launcher.c, which passes its name on)
    for (const [target, name] of [[LAUNCHER, 'runc'], [EXECUTABLE, 'mini-run-oci']] as const) {
      const link = join(env.dir, name)
      symlinkSync(target, link)
      const viaLink = (args: string[]) => spawnSync(link, ['--root', env.root, ...args], { encoding: 'utf8', env: { ...process.env, PATH: `${process.execPath.replace(/\/node$/, '')}:/usr/bin:/bin` } })
      expect(viaLink(['list', '-q']).stdout).toBe('s1\n')
      // a verb both command lines have, naming no container: only the name says it is runc's
      expect(viaLink(['ps'])).toMatchObject({ status: 1, stdout: '', stderr: "error: missing required argument 'id'\n" })
    }
    // mini-run's own verbs are untouched: kill of an unknown container is Docker's message
    expect(miniRun(['--state', join(env.dir, 'docker-state'), 'kill', 'nosuch']).stderr).toMatch(/^mini-run: no such container: nosuch/)
  })

  it('delete --force stops it and removes its cgroups', async () => {
    expect(env.oci(['delete', '--force', 's1']).status).toBe(0)
    expect(env.leftovers()).toEqual([])
    expect(cgroupDirs(`${env.cgroupParent}/s1`).filter((d) => existsSync(d))).toEqual([])
  })
})
