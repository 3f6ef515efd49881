// cp and symlinks as Docker treats them: a SRC ending in "/" or "/." follows
// its link (inside the container's root, never to the host's files), a DEST
// that is a symlink is written through; and a refused write is one line
// naming the container path the user gave.
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('cp through symlinks (needs root)', () => {
  let env: TestEnv
  let host: string
  const ok = (args: string[], input?: string | Buffer) => {
    const r = env.run(args, input === undefined ? {} : { input })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  const sh = (ref: string, script: string) => ok(['exec', ref, 'sh', '-c', script])
  const running = (name: string, ...opts: string[]) => ok(['run', '-d', '--name', name, '--cgroup-parent', env.cgroupParent, ...opts, BUSYBOX, 'sleep', '60'])
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  beforeEach(() => {
    host = join(env.dir, `host-${Math.random().toString(16).slice(2)}`)
    mkdirSync(host, { recursive: true })
    writeFileSync(join(host, 'a'), 'hostdata\n')
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('follows a SRC symlink ending in "/" or "/." inside the container (the link itself without them)', () => {
    running('l1')
    sh('l1', 'echo container-hostname > /etc/hostname; ln -s /etc /tmp/etclink; ln -s ../../../../etc /tmp/uplink')
    ok(['cp', 'l1:/tmp/etclink/.', join(host, 'dot')])
    expect(lstatSync(join(host, 'dot')).isDirectory()).toBe(true)
    expect(readFileSync(join(host, 'dot', 'hostname'), 'utf8')).toBe('container-hostname\n')
    ok(['cp', 'l1:/tmp/uplink/', join(host, 'slash')])
    expect(readFileSync(join(host, 'slash', 'hostname'), 'utf8')).toBe('container-hostname\n')
    // into an existing directory, "/" copies it under the name SRC gave
    mkdirSync(join(host, 'into'))
    ok(['cp', 'l1:/tmp/etclink/', join(host, 'into')])
    expect(readFileSync(join(host, 'into', 'etclink', 'hostname'), 'utf8')).toBe('container-hostname\n')
    // a tar stream: the container's files, not a link
    const r = env.run(['cp', 'l1:/tmp/etclink/.', '-'], { encoding: 'buffer' } as never)
    expect(r.status).toBe(0)
    writeFileSync(join(host, 'e.tar'), r.stdout as unknown as Buffer)
    expect(execFileSync('tar', ['-xOf', join(host, 'e.tar'), './hostname'], { encoding: 'utf8' })).toBe('container-hostname\n')
    // without them, the link is copied as a link
    ok(['cp', 'l1:/tmp/etclink', join(host, 'link')])
    expect(lstatSync(join(host, 'link')).isSymbolicLink()).toBe(true)
  })

  it('writes through a DEST symlink to its target inside the container', () => {
    running('l2')
    sh('l2', 'echo old > /tmp/f; ln -s /tmp/f /tmp/flink; mkdir /tmp/dir; ln -s dir /tmp/dlink; ln -s ../../../etc/escaped /tmp/uplink')
    ok(['cp', join(host, 'a'), 'l2:/tmp/flink'])
    expect(sh('l2', 'readlink /tmp/flink; cat /tmp/f')).toBe('/tmp/f\nhostdata\n')
    ok(['cp', join(host, 'a'), 'l2:/tmp/dlink'])
    expect(sh('l2', 'readlink /tmp/dlink; cat /tmp/dir/a')).toBe('dir\nhostdata\n')
    // a link out of the root: its target is taken inside the container
    ok(['cp', join(host, 'a'), 'l2:/tmp/uplink'])
    expect(existsSync('/etc/escaped')).toBe(false)
    expect(sh('l2', 'cat /etc/escaped')).toBe('hostdata\n')
  })

  it('names the container path, in Docker words, when a write is refused', () => {
    const vol = join(host, 'vol')
    mkdirSync(vol)
    running('l3', '-v', `${vol}:/ro-mount:ro`)
    const ro = env.run(['cp', join(host, 'a'), 'l3:/ro-mount/'])
    expect(ro.stderr).toBe('mini-run: copy to l3:/ro-mount/a: mounted volume is marked read-only\n')
    expect(ro.status).toBe(1)
    expect(readdirSync(vol)).toEqual([])
    const proc = env.run(['cp', join(host, 'a'), 'l3:/proc/'])
    expect(proc.stderr).toBe('mini-run: copy to l3:/proc/a: no such file or directory\n')
    running('l4', '--read-only')
    const rootRo = env.run(['cp', join(host, 'a'), 'l4:/x'])
    expect(rootRo.stderr).toBe('mini-run: copy to l4:/x: container rootfs is marked read-only\n')
    // stopped, as Docker's daemon: its root, not its writable volume
    expect(env.run(['stop', '-t', '0', 'l4']).status).toBe(0)
    const stopped = env.run(['cp', join(host, 'a'), 'l4:/x'])
    expect([stopped.status, stopped.stderr]).toEqual([1, 'mini-run: copy to l4:/x: container rootfs is marked read-only\n'])
    const created = env.run(['create', '--name', 'l5', '--cgroup-parent', env.cgroupParent, '--read-only', '--tmpfs', '/scratch', '-v', `${vol}:/rw`, BUSYBOX, 'true'])
    expect(created.status).toBe(0)
    expect(env.run(['cp', join(host, 'a'), 'l5:/etc/a']).stderr).toBe('mini-run: copy to l5:/etc/a: container rootfs is marked read-only\n')
    // a tmpfs and the network's /etc files are not there while it does not run: the root's, as Docker's daemon counts only volumes
    expect(env.run(['cp', join(host, 'a'), 'l5:/scratch/a']).stderr).toBe('mini-run: copy to l5:/scratch/a: container rootfs is marked read-only\n')
    expect(env.run(['cp', join(host, 'a'), 'l5:/etc/hosts']).stderr).toBe('mini-run: copy to l5:/etc/hosts: container rootfs is marked read-only\n')
    ok(['cp', join(host, 'a'), 'l5:/rw/a'])
    expect(readdirSync(vol)).toEqual(['a'])
  })
})
