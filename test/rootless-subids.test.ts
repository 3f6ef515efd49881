// Issue 12: an ordinary user runs images, not only --rootfs, with their
// owners intact. Before, every `run IMAGE` of a user failed before starting
// (EPERM chowning the writable layer to an id the user does not have), and
// layers were unpacked with every file the user's, root inside. Now, as a
// user with /etc/subuid and /etc/subgid ranges (made here with useradd),
// layers are unpacked in the user's namespace with the image's owners
// shifted into the range, newuidmap maps 1..65536 to it, and the whole
// lifecycle works as that user.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout, type LayerSpec } from '../src/image/oci-layout.js'
// @ts-expect-error plain JS shared with rootfs-fixtures/build.js
import { multiLayerImage } from '../rootfs-fixtures/layers.js'
import { registryUnavailable, startRegistry } from './helpers/registry-server.js'
import { readProcStat } from '../src/proc-stat.js'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { miniRun } from './helpers/cli.js'
import { createTestUser, subidsMissing, withSubidLocks, type TestUser } from './helpers/test-user.js'
import { BUSYBOX_OCI, BUSYBOX_ROOTFS } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const missing = subidsMissing()
const PTY_RUN = fileURLToPath(new URL('./helpers/pty-run.py', import.meta.url))

/** An image whose files belong to root, www-data (33) and app (1000), on the busybox fixture. */
async function ownersLayout(dir: string): Promise<void> {
  await writeOciLayout(dir, {
    name: 'localhost/test/owners:1',
    config: { config: { Cmd: ['sh'], Env: ['PATH=/bin'] } },
    layers: [
      { dir: BUSYBOX_ROOTFS },
      [
        { path: 'etc/motd', type: 'file', content: 'root\n' },
        { path: 'srv', type: 'dir' },
        { path: 'srv/www', type: 'dir', uid: 33, gid: 33 },
        { path: 'srv/www/index.html', type: 'file', uid: 33, gid: 33, content: 'www\n' },
        { path: 'home', type: 'dir' },
        { path: 'home/app', type: 'dir', uid: 1000, gid: 1000, mode: 0o700 },
        { path: 'home/app/notes', type: 'file', uid: 1000, gid: 1000, mode: 0o600, content: 'app\n' },
      ],
    ],
  })
}

/** Every file under dir owned by root (what a rootless run must never leave in the user's dirs). */
function ownedByRoot(dir: string): string[] {
  return execFileSync('find', [dir, '-user', 'root'], { encoding: 'utf8' }).split('\n').filter(Boolean)
}

describe.skipIf(missing)(`rootless images with subordinate ids, as a user made with useradd${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let tmp: string
  let user: TestUser
  let staged: StagedCli
  const OWNERS = 'localhost/test/owners:1'
  const as = (args: string[], timeout?: number) => user.run([staged.cli, ...args], timeout)
  const store = () => join(user.home, '.local/share/mini-run')

  beforeAll(async () => {
    tmp = openTempDir('mini-run-rootless-')
    user = createTestUser({ subids: true, tmpDir: tmp })
    staged = stageCli(tmp)
    execFileSync('cp', ['-a', BUSYBOX_OCI, join(tmp, 'busybox-oci')])
    await ownersLayout(join(tmp, 'owners-oci'))
    execFileSync('chmod', ['-R', 'a+rX', join(tmp, 'busybox-oci'), join(tmp, 'owners-oci')])
  })
  afterAll(() => {
    if (user) {
      as(['rm', '-f', ...as(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)])
      user.remove()
    }
    rmSync(tmp, { recursive: true, force: true })
  })

  it('loads into ~/.local/share/mini-run (0700) with the image owners shifted into the range', () => {
    for (const layout of ['busybox-oci', 'owners-oci']) {
      const r = as(['load', '-i', join(tmp, layout)])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
    }
    expect(as(['images']).stdout).toContain('localhost/test/owners')
    expect(statSync(store()).mode & 0o777).toBe(0o700)
    expect(statSync(join(store(), 'layers')).mode & 0o777).toBe(0o700)
    // on disk: 0 is the user, 33 and 1000 are the range's 33rd and 1000th ids
    const { start } = user.subids!
    const layers = readdirSync(join(store(), 'layers')).map((l) => join(store(), 'layers', l))
    const top = layers.find((l) => existsSync(join(l, 'fs/srv/www')))!
    expect(statSync(join(top, 'fs/srv/www/index.html'))).toMatchObject({ uid: start + 32, gid: start + 32 })
    expect(statSync(join(top, 'fs/home/app/notes'))).toMatchObject({ uid: start + 999, gid: start + 999 })
    expect(statSync(join(top, 'fs/etc/motd'))).toMatchObject({ uid: user.uid, gid: user.gid })
    const record = JSON.parse(readFileSync(join(top, 'layer.json'), 'utf8')) as { idMaps: unknown }
    expect(record.idMaps).toEqual({
      uid: [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: start, size: 65536 }],
      gid: [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: start, size: 65536 }],
    })
  })

  it('runs the busybox fixture and shows the image owners 0, 33 and 1000 inside', () => {
    const bb = as(['run', '--rm', 'localhost/mini-run/busybox:latest', 'sh', '-c', 'id -u; cat /proc/self/uid_map'])
    expect(bb.stderr).toBe('')
    expect(bb.stdout.split('\n')[0]).toBe('0')
    expect(bb.stdout.split('\n').slice(1, 3).map((l) => l.trim().split(/\s+/))).toEqual([
      ['0', String(user.uid), '1'],
      ['1', String(user.subids!.start), '65536'],
    ])
    const r = as(['run', '--rm', OWNERS, 'sh', '-c', 'ls -ln /etc/motd /srv/www/index.html /home/app/notes'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const owners = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(2, 4).join(':'))
    expect(owners).toEqual(['0:0', '1000:1000', '33:33'])
  })

  it('-u 1000 runs as 1000 in its own files; chown inside works for mapped ids; --group-add works', () => {
    const app = as(['run', '--rm', '-u', '1000', OWNERS, 'sh', '-c', 'id -u; cat /home/app/notes; echo hi > /home/app/h && cat /home/app/h'])
    expect(app.stderr).toBe('')
    expect(app.stdout).toBe('1000\napp\nhi\n')
    const chown = as(['run', '--rm', OWNERS, 'sh', '-c', 'touch /tmp/x && chown 33:33 /tmp/x && ls -ln /tmp/x'])
    expect(chown.stderr).toBe('')
    expect(chown.stdout.trim().split(/\s+/).slice(2, 4)).toEqual(['33', '33'])
    // newgidmap leaves setgroups(2) allowed, unlike a map the user writes
    const groups = as(['run', '--rm', '--group-add', '2000', OWNERS, 'sh', '-c', 'id -G'])
    expect(groups.stderr).toBe('')
    expect(groups.stdout).toBe('0 2000\n')
  })

  it('run -it gives a terminal of the container\'s own; run -d -t and exec -it too', () => {
    const onPty = (args: string[]) => {
      const argv = ['setpriv', '--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups', '--',
        // the suite's own state root for root's lines (global-setup.ts) is not the user's
        'env', '-u', 'MINI_RUN_STATE', `HOME=${user.home}`, `XDG_RUNTIME_DIR=${user.runtimeDir}`, `PATH=${process.env.PATH}`, staged.cli, ...args]
      const out = JSON.parse(execFileSync('python3', [PTY_RUN, ...argv], { encoding: 'utf8', cwd: '/' })) as { output: string; status: number }
      return { ...out, output: out.output.replace(/\r/g, '') }
    }
    const fg = onPty(['run', '--rm', '-it', OWNERS, 'sh', '-c', 'tty; id -u; stat -c %u /srv/www/index.html'])
    expect(fg.status).toBe(0)
    expect(fg.output.trim().split('\n').slice(-3)).toEqual(['/dev/pts/0', '0', '33'])
    const id = as(['run', '-d', '-t', OWNERS, 'sh']).stdout.trim()
    const ex = onPty(['exec', '-it', '-u', '1000', id, 'sh', '-c', 'tty; id -u'])
    expect(ex.status).toBe(0)
    expect(ex.output.trim().split('\n').slice(-2)).toEqual(['/dev/pts/1', '1000'])
    expect(as(['rm', '-f', id]).status).toBe(0)
  })

  it('run -d, exec (as root and -u 1000), logs, stop and rm; ps shows the true status', async () => {
    const run = as(['run', '-d', OWNERS, 'sh', '-c', 'echo rootless-log; exec sleep 60'])
    expect(run.stderr).toBe('')
    const id = run.stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(as(['exec', id, 'sh', '-c', 'id -u; ls -ln /srv/www/index.html']).stdout).toMatch(/^0\n.* 33 +33 /)
    expect(as(['exec', '-u', '1000', id, 'sh', '-c', 'id -u']).stdout).toBe('1000\n')
    // run -d returns once the container runs, not once it has printed
    await until('the container\'s line in its log', () => /^rootless-log$/m.test(as(['logs', id]).stdout))
    expect(as(['logs', id]).stdout).toBe('rootless-log\n')
    expect(as(['ps']).stdout).toMatch(new RegExp(`^${id.slice(0, 12)} .* Up `, 'm'))
    const stop = as(['stop', '-t', '1', id])
    expect(stop.stderr).toBe('')
    expect(as(['ps', '-a']).stdout).toMatch(new RegExp(`^${id.slice(0, 12)} .* Exited \\(137\\)`, 'm'))
    expect(statSync(join(store(), 'containers')).mode & 0o777).toBe(0o700)
    expect(as(['rm', id]).status).toBe(0)
    expect(as(['ps', '-a', '-q']).stdout).toBe('')
    expect(readdirSync(join(store(), 'containers'))).toEqual([])
  })

  it('rm -f after the monitor is killed removes the container, its files of subordinate ids too', () => {
    const id = as(['run', '-d', OWNERS, 'sh', '-c', 'mkdir -p /data/a && echo x > /data/a/f && chown -R 1000:1000 /data && chmod 700 /data/a && exec sleep 60']).stdout.trim()
    const inspect = () => JSON.parse(as(['inspect', id]).stdout)[0] as { State: { Pid: number; Running: boolean }; MonitorPid: number }
    for (let i = 0; i < 100 && !existsSync(join(store(), 'containers', id, 'upper', 'data', 'a', 'f')); i++) execFileSync('sleep', ['0.05'])
    process.kill(inspect().MonitorPid, 'SIGKILL')
    const info = inspect()
    expect(info.State.Running).toBe(true)
    expect(as(['ps']).stdout).toContain(id.slice(0, 12))
    const rm = as(['rm', '-f', id])
    expect(rm.stderr).toBe('')
    expect(rm.status).toBe(0)
    // gone, or a zombie of whatever init adopted it (this host's PID 1 reaps late)
    expect(readProcStat(info.State.Pid)?.state ?? 'Z').toBe('Z')
    expect(readdirSync(join(store(), 'containers'))).toEqual([])
    expect(readdirSync(join(user.runtimeDir, 'mini-run')).filter((e) => /^[0-9a-f]{64}$/.test(e))).toEqual([])
  })

  it('cp into a created container and out of a stopped one: the view of its files maps the subordinate range through newuidmap', () => {
    expect(user.run(['sh', '-c', 'echo config-in > in.txt']).status).toBe(0)
    const id = as(['create', OWNERS, 'sh', '-c', 'cat /etc/app.conf; echo out > /tmp/result']).stdout.trim()
    const into = as(['cp', `${user.home}/in.txt`, `${id}:/etc/app.conf`])
    expect([into.status, into.stderr]).toEqual([0, ''])
    expect(as(['start', '-a', id]).stdout).toBe('config-in\n')
    const out = as(['cp', `${id}:/tmp/result`, `${user.home}/result.txt`])
    expect([out.status, out.stderr]).toEqual([0, ''])
    expect(readFileSync(join(user.home, 'result.txt'), 'utf8')).toBe('out\n')
    expect(statSync(join(user.home, 'result.txt'))).toMatchObject({ uid: user.uid, gid: user.gid })
    // the image's files of other owners show through the view with their ids (33: www-data)
    expect(as(['cp', `${id}:/srv/www/index.html`, '-']).stdout.length).toBeGreaterThan(0)
    expect(as(['rm', id]).status).toBe(0)
    // a file only another of the container's users may read, in their 0700 directory: cp works as root of the
    // container's namespace, as rootless podman's does, out (to a file and as a tar) and in (-a keeps the tar's ids)
    const running = as(['run', '-d', '--name', 'secretive', OWNERS, 'sh', '-c', 'mkdir -m 700 /tmp/own; echo s > /tmp/own/secret; chown -R 1000:1000 /tmp/own; chmod 600 /tmp/own/secret; echo ready; exec sleep 60']).stdout.trim()
    for (let i = 0; i < 100 && as(['logs', running]).stdout !== 'ready\n'; i++) execFileSync('sleep', ['0.05'])
    const secret = as(['cp', 'secretive:/tmp/own/secret', `${user.home}/secret.txt`])
    expect([secret.status, secret.stderr]).toEqual([0, ''])
    expect(readFileSync(join(user.home, 'secret.txt'), 'utf8')).toBe('s\n')
    expect(statSync(join(user.home, 'secret.txt'))).toMatchObject({ uid: user.uid, gid: user.gid })
    const tar = user.run(['sh', '-c', `${staged.cli} cp secretive:/tmp/own - | tar -tvf -`])
    expect([tar.status, tar.stderr]).toEqual([0, ''])
    expect(tar.stdout).toMatch(/^drwx------ 1000\/1000 .* own\/\n-rw------- 1000\/1000 .* own\/secret\n$/)
    // into the 0700 directory, as a tar of uid 1000's file (-a is a tar's own ids), and from the host as root's
    const into2 = user.run(['sh', '-c', `mkdir -p t && echo back > t/back && tar --owner=1000 --group=1000 -C t -cf - back | ${staged.cli} cp -a - secretive:/tmp/own`])
    expect([into2.status, into2.stderr]).toEqual([0, ''])
    expect(as(['cp', `${user.home}/in.txt`, 'secretive:/tmp/own/in.txt']).status).toBe(0)
    expect(as(['exec', '-u', '1000', 'secretive', 'sh', '-c', 'cat /tmp/own/back; stat -c "%n %u:%g" /tmp/own/back /tmp/own/in.txt']).stdout).toBe('back\n/tmp/own/back 1000:1000\n/tmp/own/in.txt 0:0\n')
    // a directory to a new host path and into an existing one: written on the host as the user, Docker's naming
    expect(as(['cp', 'secretive:/tmp/own', `${user.home}/owncopy`]).status).toBe(0)
    expect(user.run(['mkdir', 'existing']).status).toBe(0)
    expect(as(['cp', 'secretive:/tmp/own/.', `${user.home}/existing`]).status).toBe(0)
    for (const f of ['owncopy/secret', 'existing/secret']) {
      expect(readFileSync(join(user.home, f), 'utf8')).toBe('s\n')
      expect(statSync(join(user.home, f))).toMatchObject({ uid: user.uid, gid: user.gid, mode: 0o100600 })
    }
    expect(statSync(join(user.home, 'owncopy')).mode & 0o777).toBe(0o700)
    // a tar into a directory the container lacks: one line, and its endless input is not read on
    const refusedTar = user.run(['sh', '-c', `cat /dev/zero | ${staged.cli} cp - secretive:/nope/dir`], 30_000)
    expect([refusedTar.status, refusedTar.stderr]).toEqual([1, 'mini-run: no such directory: /nope/dir in container secretive\n'])
    const missing = as(['cp', 'secretive:/tmp/own/nope', '-'])
    expect([missing.status, missing.stderr]).toEqual([1, 'mini-run: Could not find the file /tmp/own/nope in container secretive\n'])
    expect(as(['rm', '-f', running]).status).toBe(0)
  })

  it('compose as the user: a secret given to uid 1000, and compose watch\'s sync into www-data\'s directory', () => {
    const project = join(user.home, 'files')
    mkdirSync(join(project, 'site'), { recursive: true })
    writeFileSync(join(project, 'site', 'index.html'), 'synced\n')
    writeFileSync(join(project, 'compose.yaml'), [
      'secrets:',
      // from the environment: written into the container (a file's is a bind mount), given to uid 1000
      '  token: {environment: TOKEN}',
      'services:',
      '  app:',
      `    image: ${OWNERS}`,
      '    network_mode: none',
      '    init: true',
      '    command: ["sleep", "60"]',
      '    secrets: [{source: token, uid: "1000", gid: "1000", mode: 0400}]',
      '    develop:',
      '      watch:',
      '        - {path: ./site, action: sync, target: /srv/www, initial_sync: true}',
      '',
    ].join('\n'))
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, project])
    const c = (args: string[], shell = '"$@"') => user.run(['/bin/sh', '-c', `cd ${project} && export TOKEN=tok && ${shell}`, 'sh', staged.cli, 'compose', '-p', 'files', ...args], 120_000)
    try {
      const up = c(['up', '-d'])
      expect(up.status, up.stderr).toBe(0)
      const secret = c(['exec', '-T', '-u', '1000', 'app', 'sh', '-c', 'cat /run/secrets/token; stat -c "%u:%g %a" /run/secrets/token'])
      expect([secret.stdout, secret.stderr]).toEqual(['tok1000:1000 400\n', ''])
      // the initial sync writes into /srv/www, www-data's 0755 directory (on disk a subordinate id's), then Ctrl-C
      const watched = c(['watch'], 'timeout --preserve-status -s INT 6 "$@"; echo "rc $?"')
      expect(watched.stdout, watched.stderr).toMatch(/rc 130\n$/)
      expect(watched.stderr).not.toMatch(/permission denied|EACCES/i)
      const synced = c(['exec', '-T', 'app', 'sh', '-c', 'cat /srv/www/index.html; stat -c "%u:%g" /srv/www /srv/www/index.html'])
      expect(synced.stdout).toBe('synced\n33:33\n0:0\n')
    } finally {
      c(['down', '-t', '0'])
    }
  })

  it('-v ~/dir:/data reads and writes the user\'s files, which stay the user\'s on the host', () => {
    expect(user.run(['sh', '-c', 'mkdir dir && echo from-host > dir/h']).status).toBe(0)
    const r = as(['run', '--rm', '-v', `${user.home}/dir:/data`, OWNERS, 'sh', '-c', 'cat /data/h; echo from-container > /data/c; ls -ln /data/h | cut -c1-30'])
    expect(r.stderr).toBe('')
    expect(r.stdout.split('\n').slice(0, 1)).toEqual(['from-host'])
    expect(readFileSync(join(user.home, 'dir/c'), 'utf8')).toBe('from-container\n')
    expect(statSync(join(user.home, 'dir/c'))).toMatchObject({ uid: user.uid, gid: user.gid })
  })

  it('a hostile layer fails in the user namespace as in-process: one line, nothing left in the store', async () => {
    await writeOciLayout(join(tmp, 'hostile-oci'), { name: 'localhost/test/hostile:1', layers: [[{ path: '../escape', type: 'file', content: 'x' }]] })
    execFileSync('chmod', ['-R', 'a+rX', join(tmp, 'hostile-oci')])
    const r = as(['load', '-i', join(tmp, 'hostile-oci')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^mini-run: layer sha256:[0-9a-f]{64}: entry "\.\.\/escape": path escapes the layer with "\.\."\n$/)
    expect(readdirSync(join(store(), 'tmp'))).toEqual([])
  })

  it.skipIf(registryUnavailable())('pulls from a registry: whiteouts, opaque directories, hard links, setuid and owners hold', async () => {
    const registry = await startRegistry()
    try {
      const layout = join(tmp, 'multi-oci')
      await writeOciLayout(layout, { name: 'localhost/test/multi:1', config: { config: { Cmd: ['sh'] } }, layers: [{ dir: BUSYBOX_ROOTFS }, ...(multiLayerImage as LayerSpec[])] })
      const image = `${registry.host}/test/multi:1`
      execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}`, `docker://${image}`])
      const pull = as(['pull', image])
      expect(pull.status).toBe(0)
      const r = as(['run', '--rm', image, 'sh', '-c', 'ls /data; echo --; ls -A /opaque; echo --; stat -c "%a %u:%g" /opaque /usr/bin/suid-tool; cat /data/hardlink'])
      expect(r.stderr).toBe('')
      expect(r.stdout).toBe('hardlink\nkept.txt\noriginal\n--\nnew.txt\n--\n750 1000:2000\n4755 0:0\none inode, two names\n')
      expect(as(['rmi', image]).status).toBe(0)
    } finally {
      await registry.stop()
    }
  })

  it('builds: COPY --chown and ADD of a tar keep their owners; a RUN step runs (build-rootless.test.ts has more)', () => {
    const made = user.run(['sh', '-c', [
      'mkdir -p ctx/t && echo f > ctx/f && echo t > ctx/t/opt-file',
      'tar -C ctx/t --owner=0 --group=0 --numeric-owner -cf ctx/t.tar opt-file',
      `printf 'FROM ${OWNERS}\\nCOPY --chown=1000:1000 f /home/app/f\\nADD t.tar /opt/\\n' > ctx/Dockerfile`,
    ].join(' && ')])
    expect(made.stderr).toBe('')
    const build = as(['build', '-q', '-t', 'localhost/test/built:1', 'ctx'])
    expect(build.status).toBe(0)
    const r = as(['run', '--rm', 'localhost/test/built:1', 'sh', '-c', 'ls -ln /home/app/f /opt/opt-file /srv/www/index.html'])
    expect(r.stderr).toBe('')
    expect(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(2, 4).join(':'))).toEqual(['1000:1000', '0:0', '33:33'])
    expect(user.run(['sh', '-c', `printf 'FROM ${OWNERS}\\nRUN stat -c %%u:%%g /srv/www/index.html > /owner\\n' > ctx/Dockerfile`]).status).toBe(0)
    const run = as(['build', '-q', '-t', 'localhost/test/built-run:1', 'ctx'])
    expect([run.status, run.stderr]).toEqual([0, ''])
    expect(as(['run', '--rm', 'localhost/test/built-run:1', 'cat', '/owner']).stdout).toBe('33:33\n')
    expect(as(['rmi', 'localhost/test/built-run:1']).status).toBe(0)
    expect(as(['rmi', 'localhost/test/built:1']).status).toBe(0)
  })

  it('refuses, in one line, an image unpacked for subordinate ids the user no longer has', () => {
    const moved = user.subids!.start + 65536 * 7
    // under shadow's locks: another file's useradd or userdel rewrites these files meanwhile
    const setRange = (start: number) => withSubidLocks(() => {
      for (const file of ['/etc/subuid', '/etc/subgid']) {
        const lines = readFileSync(file, 'utf8').split('\n').map((l) => (l.startsWith(`${user.name}:`) ? `${user.name}:${start}:65536` : l))
        writeFileSync(file, lines.join('\n'))
      }
    })
    setRange(moved)
    try {
      const r = as(['run', '--rm', OWNERS, 'true'])
      const { start } = user.subids!
      expect(r.stderr).toBe(`mini-run: image ${OWNERS} was unpacked for the subordinate ids ${start}-${start + 65535}, which /etc/subuid no longer gives you: pull or load it into another store (--root DIR)\n`)
      expect(r.status).toBe(125)
    } finally {
      setRange(user.subids!.start)
    }
    expect(as(['run', '--rm', OWNERS, 'true'])).toMatchObject({ status: 0, stderr: '' })
  })

  it('rmi and prune remove layers of subordinate ids; nothing in the user\'s dirs belongs to root', () => {
    expect(as(['rmi', OWNERS]).status).toBe(0)
    expect(as(['image', 'prune']).status).toBe(0)
    // the build's cached steps keep their layers through image prune, as BuildKit's do; builder prune takes them
    expect(readdirSync(join(store(), 'layers')).length).toBeGreaterThan(1)
    const builder = as(['builder', 'prune', '-a', '-f'])
    expect([builder.status, builder.stderr]).toEqual([0, ''])
    const left = readdirSync(join(store(), 'layers'))
    // what is left is the busybox image's single layer
    expect(left).toHaveLength(1)
    expect(ownedByRoot(user.home)).toEqual([])
    expect(ownedByRoot(user.runtimeDir)).toEqual([])
  })

  it('does not see, inspect, exec into, log or remove root\'s containers', () => {
    const state = join(tmp, 'root-state')
    const root = miniRun(['--state', state, 'run', '-d', '--cgroup-parent', '', '--rootfs', BUSYBOX_ROOTFS, 'sleep', '60'])
    expect(root.status).toBe(0)
    const id = root.stdout.trim()
    try {
      expect(as(['ps', '-a']).stdout).not.toContain(id.slice(0, 12))
      for (const verb of [['inspect'], ['logs'], ['exec'], ['rm', '-f']]) {
        const r = as([...verb, id, ...(verb[0] === 'exec' ? ['true'] : [])])
        // inspect speaks Docker's words for any kind of object
        expect(r.stderr).toBe(verb[0] === 'inspect' ? `Error: No such object: ${id}\n` : `mini-run: no such container: ${id}\n`)
      }
      // nor through root's state directory
      const peek = as(['--state', state, 'ps', '-a'])
      expect(peek.stderr).toBe(`mini-run: state directory ${state} belongs to uid 0, not to you (uid ${user.uid}): remove it or choose another directory\n`)
      expect(miniRun(['--state', state, 'ps', '-q']).stdout.trim()).toBe(id.slice(0, 12))
    } finally {
      miniRun(['--state', state, 'rm', '-f', id])
    }
  })
})
