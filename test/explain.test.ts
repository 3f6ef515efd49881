// --explain is the teaching view of a container: its text is pinned here for
// two specs (a root container of an image, and a --userns=auto one with a
// terminal, a volume and limits), so that a change in what a container is, or
// in how it is explained, shows up in review. The plans are pure functions of
// their inputs: no root needed.
import { afterAll, describe, expect, it } from 'vitest'
import { formatPlan, planJson } from '../src/runtime/plan/explain.js'
import { planStart } from '../src/runtime/plan/plan-start.js'
import { buildSpec } from '../src/runtime/spec/container-spec.js'
import { SECTIONS } from '../src/runtime/plan/sections.js'

const C = '/var/lib/mini-run/containers/0123456789abcdef'
const overlay = { kind: 'overlay' as const, layersDir: '/var/lib/mini-run/layers', lowerDirs: ['b1/fs', 'a0/fs'], upperDir: `${C}/upper`, workDir: `${C}/work`, userxattr: false }
const pathKind = (p: string) => (p === '/proc/acpi' || p === '/sys/firmware' ? 'dir' as const : p.startsWith('/srv') ? 'dir' as const : 'file' as const)

function rootPlan() {
  const spec = buildSpec({ id: '0123456789abcdef', rootfsPath: `${C}/rootfs`, image: { Cmd: ['sh'], Env: ['PATH=/bin'] }, command: [], passwd: [], groups: [], cgroup2: true })
  return planStart({
    spec, rootfs: overlay, setgroupsAllowed: true, pathKind,
    writableLayer: { containerDir: C, upperMode: 0o755, upperOwner: { uid: 0, gid: 0 } },
    cgroupPath: '/sys/fs/cgroup/mini-run/0123456789abcdef', cgroupMount: '/sys/fs/cgroup',
  })
}

function usernsPlan() {
  const maps = [{ containerID: 0, hostID: 1879048192, size: 65536 }]
  const spec = buildSpec({
    id: '0123456789abcdef', rootfsPath: `${C}/rootfs`, image: { Cmd: ['sh'], Env: ['PATH=/bin'], User: '1000' }, command: ['top'],
    passwd: [{ name: 'app', uid: 1000, gid: 1000, home: '/home/app' }], groups: [], cgroup2: true, tty: true, consoleSize: { height: 24, width: 80 },
    idMaps: { uid: maps, gid: maps }, resources: { pids: { limit: 64 } },
    mounts: [{ destination: '/data', type: 'bind', source: '/srv/data', options: ['bind', 'ro'] }],
  })
  return planStart({
    spec, rootfs: { ...overlay, userxattr: true, idmapped: { mountDir: `${C}/lower` } }, setgroupsAllowed: true, pathKind, init: true,
    writableLayer: { containerDir: C, upperMode: 0o755, upperOwner: { uid: 1879048192, gid: 1879048192 }, owner: { uid: 1879048192, gid: 1879048192 } },
    cgroupPath: '/sys/fs/cgroup/mini-run/0123456789abcdef', cgroupMount: '/sys/fs/cgroup',
  })
}

describe('--explain', () => {
  it('pins the text of a root container of an image', async () => {
    await expect(formatPlan(rootPlan())).toMatchFileSnapshot('./__snapshots__/explain-root.txt')
  })

  it('pins the text of a --userns=auto container with a terminal, a bind, a limit and --init', async () => {
    await expect(formatPlan(usernsPlan())).toMatchFileSnapshot('./__snapshots__/explain-userns-tty.txt')
  })

  it('prints each section\'s note once, capability names, and no line a reader must scroll for', () => {
    const text = formatPlan(usernsPlan())
    for (const { note } of Object.values(SECTIONS)) expect(text.split(note).length).toBeLessThanOrEqual(2)
    expect(text).toContain('keep only chown dac_override fowner')
    expect(text).not.toContain('symlinks cannot leave it)')
    // reasons wrap; a step is one line, as long as what runs (an execve with its environment may be long)
    const reasons = text.split('\n').filter((l) => /^\s+(why: |\s{5})/.test(l))
    expect(Math.max(...reasons.map((l) => l.length))).toBeLessThanOrEqual(110)
  })

  it('gives tools the same plan as JSON: every step with its kind, fields, section and reason', () => {
    const json = JSON.parse(planJson(usernsPlan())) as { host: Record<string, unknown>[]; child: Record<string, unknown>[] }
    expect(json.host.map((s) => s.kind)).toContain('idmapped_mount')
    expect(json.child.find((s) => s.op === 'seccomp')).toMatchObject({ filter: { bytes: expect.any(Number) }, section: 'privileges' })
    expect(json.child.every((s) => typeof s.why === 'string' && typeof s.text === 'string')).toBe(true)
  })
})

describe.skipIf(process.getuid?.() !== 0)('--explain on the command line (needs root: a container to exec into)', async () => {
  const { makeTestEnv, BUSYBOX } = await import('./helpers/test-env.js')
  const env = await makeTestEnv()
  afterAll(() => env.cleanup())

  it('takes the image after --explain as the image, and --explain=json as the format', () => {
    const text = env.run(['run', '--explain', BUSYBOX, 'sh'])
    expect(text.stderr).toBe('')
    expect(text.stdout).toContain('## The switch of root')
    const json = JSON.parse(env.run(['run', '--explain=json', BUSYBOX, 'sh']).stdout) as { host: { kind: string }[]; child: { op: string }[] }
    expect(json.host.some((s) => s.kind === 'clone')).toBe(true)
    expect(json.child.some((s) => s.op === 'pivot_root')).toBe(true)
    expect(env.leftovers()).toEqual([])
  })

  it('explains an exec: the pidfd it opens and the namespaces it joins', () => {
    const id = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).stdout.trim()
    try {
      const r = env.run(['exec', '--explain', id, 'sh'])
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(/P1\. pidfd_open \d+ as <container>/)
      expect(r.stdout).toMatch(/ 1\. setns <container> CLONE_NEWNS\|CLONE_NEWPID/)
    } finally {
      env.run(['rm', '-f', id])
    }
    expect(env.leftovers()).toEqual([])
  })
})
