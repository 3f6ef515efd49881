// diff, export and commit: a container's writable layer (its overlay's
// upper directory) read as a list of changes, as a whole filesystem, and
// as one more layer of a new image.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { cliEnv } from './helpers/cli.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, BUSYBOX_OCI, isRoot } from './helpers/test-env.js'
import { createTestUser, subidsMissing, type TestUser } from './helpers/test-user.js'

const PTY_RUN = fileURLToPath(new URL('./helpers/pty-run.py', import.meta.url))

async function until(done: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!done()) {
    if (Date.now() > end) throw new Error(`not so after ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

// adds, changes, deletes, and removes a directory of the image and makes it again (opaque)
const CHANGES = 'echo hi > /newfile; echo x >> /etc/passwd; rm /etc/group; mkdir -p /a/b; echo y > /a/b/c; rm -rf /usr; mkdir /usr; echo u > /usr/new'
const CHANGE_LINES = ['A /a', 'A /a/b', 'A /a/b/c', 'C /etc', 'D /etc/group', 'C /etc/passwd', 'A /newfile', 'D /usr', 'A /usr/new']

describe.skipIf(!isRoot)('diff, export, commit (needs root)', () => {
  const cli = useCliEnv()
  const images: string[] = []
  const scratch: string[] = []
  afterEach(() => {
    if (images.length) cli.env.run(['rmi', '-f', ...images.splice(0)])
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  const made = (name: string) => cli.ok(['run', '--name', name, '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', CHANGES])
  const tmp = () => {
    const dir = mkdtempSync(join(cli.env.dir, 'out-'))
    scratch.push(dir)
    return dir
  }

  it('diff lists what a stopped container added (A), changed (C) and deleted (D), in Docker\'s order', () => {
    made('c1')
    expect(cli.ok(['diff', 'c1']).split('\n')).toEqual([...CHANGE_LINES, ''])
    expect(cli.ok(['container', 'diff', 'c1']).split('\n')).toEqual([...CHANGE_LINES, ''])
  })

  it('diff of a running container, and of one that changed nothing (the mount points the runtime made are not changes)', () => {
    cli.ok(['run', '-d', '--name', 'r1', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sleep', '60'])
    expect(cli.ok(['diff', 'r1'])).toBe('')
    cli.ok(['exec', 'r1', 'sh', '-c', 'echo 1 > /tmp/t; rm /linuxrc'])
    expect(cli.ok(['diff', 'r1'])).toBe('D /linuxrc\nC /tmp\nA /tmp/t\n')
  })

  it('says so for a container that does not exist', () => {
    for (const verb of [['diff'], ['export'], ['commit'], ['container', 'diff']]) {
      const r = cli.env.run([...verb, 'nosuch'])
      expect({ verb, status: r.status, stderr: r.stderr }).toEqual({ verb, status: 1, stderr: 'mini-run: no such container: nosuch\n' })
    }
  })

  it('export writes the merged filesystem: the image with the changes applied, deletions gone', () => {
    made('c2')
    const dir = tmp()
    const file = join(dir, 'c2.tar')
    cli.ok(['export', '-o', file, 'c2'])
    const names = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n')
    for (const name of ['newfile', 'a/b/c', 'etc/passwd', 'usr/', 'usr/new', 'bin/busybox']) expect(names).toContain(name)
    expect(names).not.toContain('etc/group')
    expect(names.filter((n) => n.startsWith('usr/'))).toEqual(['usr/', 'usr/new'])
    expect(execFileSync('tar', ['-xOf', file, 'etc/passwd'], { encoding: 'utf8' })).toMatch(/\nx\n$/)
    // to stdout when it is not a terminal; refused when it is
    const piped = execFileSync('sh', ['-c', `mini-run --root ${cli.env.storeRoot} --state ${cli.env.stateRoot} container export c2 | tar -t`], { encoding: 'utf8', env: cliEnv() })
    expect(piped.split('\n')).toEqual(names)
    const tty = JSON.parse(
      execFileSync('python3', [PTY_RUN, 'mini-run', '--root', cli.env.storeRoot, '--state', cli.env.stateRoot, 'export', 'c2'], { encoding: 'utf8', env: cliEnv() }),
    ) as { output: string; status: number }
    expect(tty).toMatchObject({ status: 1, output: expect.stringContaining('cowardly refusing to save to a terminal. Use the -o flag or redirect') })
  })

  it('commit makes an image that runs with the changes, a deleted file staying deleted', () => {
    made('c3')
    const id = cli.ok(['commit', '-m', 'my changes', '-a', 'Jane <jane@example.com>', 'c3', 'test/committed:v1']).trim()
    images.push('test/committed:v1')
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/)
    const out = cli.ok(cli.env.runArgs(['test/committed:v1', 'sh', '-c', 'cat /newfile /a/b/c /usr/new; tail -1 /etc/passwd; ls /usr; test -e /etc/group || echo no-group']))
    expect(out).toBe('hi\ny\nu\nx\nnew\nno-group\n')
    const history = cli.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'test/committed:v1']).split('\n')[0]
    expect(history).toBe(`sh -c ${CHANGES}|my changes`)
    // the container's command is the new image's
    expect(cli.ok(['image', 'inspect', '--format', '{{json .Config.Cmd}} {{.Author}}', 'test/committed:v1'])).toBe(`["sh","-c",${JSON.stringify(CHANGES)}] Jane <jane@example.com>\n`)
  })

  it('commit --change sets the config: CMD, ENV, WORKDIR, LABEL; a running container keeps running', () => {
    cli.ok(['run', '-d', '--name', 'r2', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sleep', '60'])
    cli.ok(['exec', 'r2', 'sh', '-c', 'echo made-inside > /x'])
    const changes = ['--change', 'CMD ["cat","/x"]', '-c', 'ENV GREETING=hello', '-c', 'WORKDIR /tmp', '-c', 'LABEL stage=committed']
    cli.ok(['container', 'commit', ...changes, 'r2', 'test/changed'])
    images.push('test/changed')
    expect(cli.ok(cli.env.runArgs(['test/changed']))).toBe('made-inside\n')
    expect(cli.ok(cli.env.runArgs(['test/changed', 'sh', '-c', 'echo $GREETING $(pwd)']))).toBe('hello /tmp\n')
    expect(cli.ok(['image', 'inspect', '--format', '{{.Config.Labels.stage}}', 'test/changed'])).toBe('committed\n')
    expect(cli.ok(['ps', '--format', '{{.Names}} {{.State}}'])).toBe('r2 running\n')
    // without a name: an untagged image, known by the id printed
    const id = cli.ok(['commit', 'r2']).trim()
    images.push(id)
    expect(cli.ok(cli.env.runArgs([id, 'cat', '/x']))).toBe('made-inside\n')
  })

  it('export and commit read a running container frozen: paused while its files are read, running after; --no-pause is refused', async () => {
    cli.ok(['run', '-d', '--name', 'r3', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo inside > /x; sleep 60'])
    await until(() => cli.env.run(['exec', 'r3', 'cat', '/x']).stdout === 'inside\n')
    // a fifo as -o: written in place (not renamed over), and the export waits on it for a reader
    const dir = tmp()
    const fifo = join(dir, 'out.fifo')
    execFileSync('mkfifo', [fifo])
    const exporting = spawn('mini-run', ['--root', cli.env.storeRoot, '--state', cli.env.stateRoot, 'export', '-o', fifo, 'r3'], { env: cliEnv(), stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    exporting.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => exporting.on('exit', resolve))
    try {
      await until(() => cli.ok(['ps', '--format', '{{.Names}} {{.State}}']) === 'r3 paused\n')
    } finally {
      execFileSync('sh', ['-c', 'cat "$0" > "$1"', fifo, join(dir, 'out.tar')])
    }
    expect([await exited, stderr]).toEqual([0, ''])
    expect(statSync(fifo).isFIFO()).toBe(true)
    expect(execFileSync('tar', ['-xOf', join(dir, 'out.tar'), 'x'], { encoding: 'utf8' })).toBe('inside\n')
    expect(cli.ok(['ps', '--format', '{{.Names}} {{.State}}'])).toBe('r3 running\n')
    const r = cli.env.run(['commit', '--no-pause', 'r3', 'test/never'])
    expect([r.status, r.stderr]).toEqual([1, "mini-run: commit --no-pause of running container r3: refused, its processes could swap a file for a link to the host's while it is read; pause or stop it first\n"])
    // paused by the user: read as it is, and left paused
    cli.ok(['pause', 'r3'])
    const id = cli.ok(['commit', '--no-pause', 'r3']).trim()
    images.push(id)
    expect(cli.ok(['ps', '--format', '{{.Names}} {{.State}}'])).toBe('r3 paused\n')
    cli.ok(['unpause', 'r3'])
  })

  it('--userns=auto: the writable layer is owned by host ids, the tar and the image show the container\'s', () => {
    cli.ok(['run', '--name', 'n1', '--userns=auto', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo w > /w; chown 33:33 /w; rm /linuxrc'])
    expect(cli.ok(['diff', 'n1'])).toBe('D /linuxrc\nA /w\n')
    const file = join(tmp(), 'n1.tar')
    cli.ok(['export', '-o', file, 'n1'])
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' }).split('\n')
    expect(listing.filter((l) => / (w|etc\/passwd)$/.test(l)).map((l) => l.split(/\s+/)[1])).toEqual(['0/0', '33/33'])
    cli.ok(['commit', 'n1', 'test/userns-commit'])
    images.push('test/userns-commit')
    expect(cli.ok(cli.env.runArgs(['test/userns-commit', 'sh', '-c', 'stat -c %u:%g /w /etc/passwd; test -e /linuxrc || echo gone']))).toBe('33:33\n0:0\ngone\n')
  })

  it('commit refuses a --change it does not take, before it makes anything', () => {
    made('c4')
    const r = cli.env.run(['commit', '-c', 'RUN echo no', 'c4', 'test/never'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('mini-run: --change "RUN echo no": RUN is not a valid change command\n')
    expect(cli.env.run(['image', 'inspect', 'test/never']).status).toBe(1)
  })
})

const subidsSkip = subidsMissing()

// Rootless: the writable layer belongs to the user (root inside) and the
// user's subordinate ids; its whiteouts were made inside a user namespace.
describe.skipIf(subidsSkip)(`diff, export, commit rootless, as a user with subordinate ids${subidsSkip ? ` (skipped: ${subidsSkip})` : ''}`, () => {
  let tmp: string
  let user: TestUser
  let staged: StagedCli
  const as = (args: string[]) => user.run([staged.cli, ...args])
  const ok = (args: string[]) => {
    const r = as(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  beforeAll(() => {
    tmp = openTempDir('mini-run-rootless-commit-')
    user = createTestUser({ subids: true, tmpDir: tmp })
    staged = stageCli(tmp)
    execFileSync('cp', ['-a', BUSYBOX_OCI, join(tmp, 'busybox-oci')])
    execFileSync('chmod', ['-R', 'a+rX', join(tmp, 'busybox-oci')])
  })
  afterAll(() => {
    if (user) {
      const ids = as(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean)
      if (ids.length) as(['rm', '-f', ...ids])
      user.remove()
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  })

  it('lists, exports and commits the changes of a rootless container', () => {
    ok(['load', '-i', join(tmp, 'busybox-oci')])
    const image = 'localhost/mini-run/busybox:latest'
    ok(['run', '--name', 'u1', image, 'sh', '-c', `mkdir /srv; echo www > /srv/f; chown -R 33:33 /srv; ${CHANGES}`])
    expect(ok(['diff', 'u1']).split('\n')).toEqual([...CHANGE_LINES.slice(0, 7), 'A /srv', 'A /srv/f', ...CHANGE_LINES.slice(7), ''])
    const file = join(user.home, 'u1.tar')
    ok(['export', '-o', file, 'u1'])
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' }).split('\n')
    expect(listing.some((l) => / 33\/33 .* srv\/f$/.test(l))).toBe(true)
    expect(listing.some((l) => / etc\/group$/.test(l))).toBe(false)
    ok(['commit', 'u1', 'test/rootless-commit'])
    const out = ok(['run', '--rm', 'test/rootless-commit', 'sh', '-c', 'cat /newfile; ls /usr; test -e /etc/group || echo no-group; stat -c %u:%g /srv/f'])
    expect(out).toBe('hi\nnew\nno-group\n33:33\n')
    ok(['rmi', 'test/rootless-commit'])
    // a file the user cannot read from outside the container's user namespace: said so, by its path inside
    ok(['run', '--name', 'u2', image, 'sh', '-c', 'echo secret > /private; chown 33:33 /private; chmod 600 /private'])
    // a file the user had at -o stays as it was when the export fails
    writeFileSync(join(user.home, 'kept.tar'), 'mine')
    for (const verb of [['export', '-o', join(user.home, 'u2.tar')], ['export', '-o', join(user.home, 'kept.tar')], ['commit']]) {
      const r = as([...verb, 'u2'])
      expect({ verb, status: r.status, stderr: r.stderr }).toEqual({
        verb,
        status: 1,
        stderr: "mini-run: /private in the container: permission denied (its owner and mode shut out the user mini-run runs as, which reads the container's files from outside its user namespace)\n",
      })
    }
    expect(existsSync(join(user.home, 'u2.tar'))).toBe(false)
    expect(readFileSync(join(user.home, 'kept.tar'), 'utf8')).toBe('mine')
    ok(['rm', 'u1', 'u2'])
  })
})
