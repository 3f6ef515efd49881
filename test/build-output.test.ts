/**
 * `mini-run build -o/--output`, as a user runs it: the target stage's
 * files written into a directory (`-o DIR`, `type=local,dest=DIR`) or as a
 * tar (`type=tar,dest=FILE`, `-o -` into a pipe), with the image's owners,
 * modes, symlinks, hard links and fifos, no device node and no whiteout;
 * no image stored; buildx's checks and error lines for bad values, made
 * before anything is built; and a hostile image (or an earlier export)
 * whose symlinks point out of DEST never making the export write there.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { writeContext } from './helpers/build.js'
import { cliEnv } from './helpers/cli.js'
import { readTree } from './helpers/image-store.js'
import { BUSYBOX, isRoot, makeTestEnv, settledStoreTmp, type TestEnv } from './helpers/test-env.js'

const PTY_RUN = fileURLToPath(new URL('./helpers/pty-run.py', import.meta.url))

/** The entries under `top` of a tree, one line each: path, kind, mode, owner, and a link's target or a file's content. */
function shape(dir: string, top = ''): string[] {
  return [...readTree(dir)]
    .filter(([path]) => top === '' || path === top || path.startsWith(`${top}/`))
    .map(([path, n]) => `${path} ${n.type} ${n.mode.toString(8)} ${n.uid}:${n.gid}${n.linkname !== undefined ? ` -> ${n.linkname}` : ''}${n.type === 'file' ? ` ${JSON.stringify(n.content)}` : ''}`)
}

/** What a user sees of the store's images: `images -a`'s ids and names. */
const imageList = (env: TestEnv) => env.run(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']).stdout

describe('bad -o values: one line from buildx\'s checks, exit 1, before anything is built', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
  })
  afterAll(() => env?.cleanup())

  test('unknown types and keys, a missing dest, image exporters, stdout twice or on a terminal, a dest of the wrong kind, --iidfile', () => {
    // FROM an image the store does not have: a build that got that far would fail on the pull instead
    const ctx = writeContext(join(env.dir, 'ctx'), { Dockerfile: 'FROM localhost/test/not-there:1\nCOPY . /\n' })
    const file = join(env.dir, 'a-file')
    writeFileSync(file, 'x')
    const dir = join(env.dir, 'a-dir')
    mkdirSync(dir)
    const fails = (output: string[], line: string, extra: string[] = []) => {
      const r = env.run(['build', '-q', ...output.flatMap((o) => ['-o', o]), ...extra, ctx], { cwd: env.dir })
      expect([r.stderr, r.stdout, r.status]).toEqual([`mini-run: ${line}\n`, '', 1])
    }
    fails(['type=foo,dest=out'], '--output type=foo,dest=out: exporter "foo" could not be found')
    fails(['dest=out,mode=copy'], '--output dest=out,mode=copy: type is required for output')
    fails(['type=local'], '--output type=local: dest is required for local exporter')
    fails(['type=local,dest=-'], '--output type=local,dest=-: dest cannot be stdout for local exporter')
    fails(['type=local,dest'], '--output type=local,dest: invalid value dest')
    fails(['type=local,dst=out'], '--output type=local,dst=out: unknown key "dst" for the local exporter: local takes dest, mode')
    fails(['type=tar,dest=x.tar,compression=gzip'], '--output type=tar,dest=x.tar,compression=gzip: unknown key "compression" for the tar exporter: tar takes dest')
    fails(['type=local,dest=out,mode=delete'], '--output type=local,dest=out,mode=delete: mode=delete is not supported: empty the directory first (mode=copy writes over what is there)')
    fails(['type=local,dest="out'], 'invalid --output type=local,dest="out: bare " in non-quoted-field')
    fails(['type=image'], '--output type=image: mini-run build exports no images (only local, tar or cacheonly): build without --output stores the image (-t NAME names it)')
    fails(['type=oci,dest=x.tar'], '--output type=oci,dest=x.tar: mini-run build exports no images (only local, tar or cacheonly): build with -t NAME, then mini-run save -o FILE NAME (its archive is an OCI layout too)')
    fails(['type=registry'], '--output type=registry: mini-run build exports no images (only local, tar or cacheonly): build with -t NAME --push (without --output)')
    fails(['-', 'type=tar'], 'multiple outputs configured to write to stdout')
    fails([file], `destination directory ${file} is a file`)
    fails([`type=tar,dest=${dir}`], `destination file ${dir} is a directory`)
    fails(['out'], 'local and tar exporters are incompatible with image ID file', ['--iidfile', join(env.dir, 'iid')])
    // nothing made: no directory, no file, no store temp
    expect(readdirSync(env.dir).sort()).toEqual(['a-dir', 'a-file', 'ctx'])
    expect(readdirSync(dir)).toEqual([])

    // -o - on a terminal: refused, as buildx does (stdout would be the tar)
    const tty = JSON.parse(
      execFileSync('python3', [PTY_RUN, 'mini-run', '--root', env.storeRoot, '--state', env.stateRoot, 'build', '-q', '-o', '-', ctx], { encoding: 'utf8', env: cliEnv() }),
    ) as { output: string; status: number }
    expect(tty).toMatchObject({ status: 1, output: 'mini-run: dest file is required for tar exporter. refusing to write to console\r\n' })
  })
})

describe.skipIf(!isRoot)('build -o (needs root: RUN steps are containers, and a directory\'s owners are root\'s)', () => {
  let env: TestEnv
  let n = 0
  const newContext = (files: Record<string, string>) => writeContext(join(env.dir, `ctx${++n}`), files)
  const build = (args: string[]) => env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args])
  const ok = (args: string[]) => {
    const r = build(args)
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    return r
  }
  /** `mini-run ARGS | tar -x -C dest`, as a shell pipeline (pipefail: either failing fails it). */
  const piped = (args: string[], dest: string) => {
    mkdirSync(dest)
    const globals = ['--root', env.storeRoot, '--state', env.stateRoot]
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', 'mini-run "$@" | tar --numeric-owner -xpf - -C "$DEST"', 'sh', ...globals, ...args], {
      encoding: 'utf8',
      env: { ...cliEnv(), DEST: dest },
      timeout: 60_000,
    })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  // the target stage holds a file of another owner with setuid, a relative and an absolute symlink,
  // a hard link, a fifo, a device node, a 0700 directory; and the base's /bin/ls removed (a whiteout)
  const ARTIFACTS = [
    `FROM ${BUSYBOX} AS build`,
    'RUN mkdir -p /out/sub && echo hello > /out/app && chown 1000:1001 /out/app && chmod 4750 /out/app' +
      ' && ln -s app /out/link && ln -s /etc/passwd /out/abs && ln /out/app /out/hard && mkfifo -m 0640 /out/fifo' +
      ' && mknod /out/null c 1 3 && echo deep > /out/sub/f && chmod 0700 /out/sub && rm /bin/ls && echo RUN says hi',
    'FROM scratch AS artifact',
    'COPY --from=build /out/app /',
  ].join('\n')
  // a directory's files are the caller's (root's here), as BuildKit's local
  // exporter makes them; a tar keeps the image's owners
  const outShape = (owner: string) => [
    'out dir 755 0:0',
    'out/abs symlink 777 0:0 -> /etc/passwd',
    `out/app file 4750 ${owner} "hello\\n"`,
    'out/fifo fifo 640 0:0',
    `out/hard file 4750 ${owner} "hello\\n"`,
    'out/link symlink 777 0:0 -> app',
    'out/sub dir 700 0:0',
    'out/sub/f file 644 0:0 "deep\\n"',
  ]
  const OUT = outShape('0:0')
  /** The build stage's files as exported: `out`'s shape, the whiteout applied, no .wh. name, no device, one inode for the hard link. */
  const checkBuildStage = (dest: string, owner = '0:0') => {
    expect(shape(dest, 'out')).toEqual(outShape(owner))
    const tree = readTree(dest)
    expect(tree.get('bin/busybox')?.type).toBe('file')
    expect(tree.has('bin/ls')).toBe(false)
    expect([...tree.keys()].filter((p) => p.includes('.wh.'))).toEqual([])
    expect([...tree.values()].filter((v) => v.type === 'char' || v.type === 'block')).toEqual([])
    expect(tree.get('out/hard')!.ino).toBe(tree.get('out/app')!.ino)
  }

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
    expect(settledStoreTmp(env.storeRoot)).toEqual([])
  })
  afterAll(() => env?.cleanup())

  test('-o DIR: the --target stage\'s files, as the image has them, into a new 0700 DIR; no image stored, -t unused', () => {
    const ctx = newContext({ Dockerfile: ARTIFACTS })
    const before = imageList(env)
    const dest = join(env.dir, 'made', 'out-dir')
    const r = ok(['-t', 'localhost/test/never:1', '--target', 'build', '-o', dest, ctx])
    expect(r.stdout).toMatch(new RegExp(`^EXPORT local ${dest}$`, 'm'))
    // no image: no COMMIT, no id, no name
    expect(r.stdout).not.toMatch(/^(COMMIT|Successfully tagged)|^[0-9a-f]{64}$/m)
    checkBuildStage(dest)
    // made as buildx's MkdirAll(dest, 0700) makes it
    expect(lstatSync(dest).mode & 0o7777).toBe(0o700)
    expect(imageList(env)).toBe(before)
    expect(env.run(['image', 'inspect', 'localhost/test/never:1']).status).toBe(1)
  })

  test('FROM scratch + COPY --from, then -o: the build artifact alone; --output type=local,dest= over an existing directory', () => {
    const ctx = newContext({ Dockerfile: ARTIFACTS })
    const dest = join(env.dir, 'artifact')
    ok(['-o', dest, ctx])
    expect(shape(dest)).toEqual(['app file 4750 0:0 "hello\\n"'])

    // into a directory the user has: their other files stay, a name the tree has is replaced
    // whatever it was (a file, a directory, a symlink), a directory's content is merged
    const existing = join(env.dir, 'existing')
    mkdirSync(join(existing, 'out', 'link'), { recursive: true })
    writeFileSync(join(existing, 'out', 'link', 'inside'), 'mine')
    writeFileSync(join(existing, 'keep'), 'mine')
    writeFileSync(join(existing, 'out', 'app'), 'old app')
    mkdirSync(join(existing, 'out', 'sub'))
    writeFileSync(join(existing, 'out', 'sub', 'other'), 'mine')
    symlinkSync('/nonexistent', join(existing, 'out', 'fifo'))
    ok(['--target', 'build', '--output', `type=local,dest=${existing}`, ctx])
    expect(shape(existing, 'out')).toEqual([...OUT.slice(0, 7), 'out/sub/f file 644 0:0 "deep\\n"', 'out/sub/other file 644 0:0 "mine"'].sort())
    expect(readFileSync(join(existing, 'keep'), 'utf8')).toBe('mine')
  })

  test('--output type=tar,dest=FILE and -o - into a pipe: the same tree as a tar, owners kept; progress on stderr', () => {
    const ctx = newContext({ Dockerfile: ARTIFACTS })
    const before = imageList(env)
    const file = join(env.dir, 'tars', 'build.tar')
    ok(['--target', 'build', '--output', `type=tar,dest=${file}`, ctx])
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' })
    expect(listing).not.toMatch(/^[cb]/m)
    expect(listing).not.toMatch(/\.wh\./)
    const fromFile = join(env.dir, 'from-file')
    mkdirSync(fromFile)
    execFileSync('tar', ['--numeric-owner', '-xpf', file, '-C', fromFile])
    checkBuildStage(fromFile, '1000:1001')

    const fromPipe = join(env.dir, 'from-pipe')
    // --no-cache: the RUN runs again, and what it prints goes to stderr too, not into the tar
    const r = piped(['build', '--progress', 'plain', '--no-cache', '--cgroup-parent', env.cgroupParent, '--target', 'build', '-o', '-', ctx], fromPipe)
    expect([r.status, r.stdout]).toEqual([0, ''])
    expect(r.stderr).toMatch(/^STEP 2\/2: RUN .*\nRUN says hi\n--> [0-9a-f]{12}$/m)
    expect(r.stderr).toMatch(/^EXPORT tar stdout$/m)
    checkBuildStage(fromPipe, '1000:1001')

    // type=tar without dest is stdout too, as buildx has it
    const noDest = piped(['build', '-q', '--output', 'type=tar', ctx], join(env.dir, 'no-dest'))
    expect([noDest.status, noDest.stdout, noDest.stderr]).toEqual([0, '', ''])
    expect(shape(join(env.dir, 'no-dest'))).toEqual(['app file 4750 1000:1001 "hello\\n"'])
    expect(imageList(env)).toBe(before)
  })

  test('several outputs at once; cacheonly stores nothing but the cache; a failed build makes no DEST', () => {
    const ctx = newContext({ Dockerfile: ARTIFACTS })
    const a = join(env.dir, 'multi-a')
    const tar = join(env.dir, 'multi.tar')
    const r = ok(['-o', a, '-o', `type=tar,dest=${tar}`, '-o', 'type=cacheonly', ctx])
    expect(r.stdout.match(/^EXPORT .*$/gm)).toEqual([`EXPORT local ${a}`, `EXPORT tar ${tar}`])
    expect(shape(a)).toEqual(['app file 4750 0:0 "hello\\n"'])
    expect(execFileSync('tar', ['--numeric-owner', '-tvf', tar], { encoding: 'utf8' })).toMatch(/^-rwsr-x--- 1000\/1001 +6 .* app\n$/)

    const before = imageList(env)
    const cached = newContext({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo cached-step > /f\n` })
    const first = ok(['-o', 'type=cacheonly', cached])
    expect(first.stdout).not.toMatch(/^(EXPORT|COMMIT)|^[0-9a-f]{64}$/m)
    expect(imageList(env)).toBe(before)
    expect(ok([cached]).stdout).toMatch(/^--> Using cache /m)

    // a DEST that is a dangling symlink: buildx's check (stat) passes, making it fails, said in one line
    const dangling = join(env.dir, 'dangling')
    symlinkSync(join(env.dir, 'nowhere'), dangling)
    const refused = build(['-q', '-o', dangling, ctx])
    expect([refused.status, refused.stdout, refused.stderr]).toEqual([1, '', `mini-run: export to ${dangling}: no such file or directory\n`])

    const failing = newContext({ Dockerfile: `FROM ${BUSYBOX}\nRUN exit 3\n` })
    const dest = join(env.dir, 'never', 'made')
    const failed = build(['-o', dest, '-o', `type=tar,dest=${join(env.dir, 'never.tar')}`, failing])
    expect(failed.status).toBe(3)
    expect(existsSync(join(env.dir, 'never'))).toBe(false)
    expect(existsSync(join(env.dir, 'never.tar'))).toBe(false)
  })

  test('a hostile image: symlinks out of DEST (in a lower layer, or left by an earlier export) are never written through', async () => {
    const outside = join(env.dir, 'outside')
    mkdirSync(outside)
    // one image ships etc -> OUTSIDE (absolute) and lib -> ../outside (up and out of DEST), as
    // links only; the other has them too, with etc/ and lib/ directories and files over them in
    // its next layer
    const linkLayer = [
      { path: 'etc', type: 'symlink' as const, linkname: outside },
      { path: 'lib', type: 'symlink' as const, linkname: '../outside' },
    ]
    const links = join(env.dir, 'links-layout')
    await writeOciLayout(links, { name: 'localhost/test/links:1', layers: [linkLayer] })
    const over = join(env.dir, 'over-layout')
    await writeOciLayout(over, {
      name: 'localhost/test/over:1',
      layers: [
        linkLayer,
        [{ path: 'etc', type: 'dir' }, { path: 'etc/passwd', type: 'file', content: 'hostile' }, { path: 'lib', type: 'dir' }, { path: 'lib/x', type: 'file', content: 'x' }],
      ],
    })
    for (const layout of [links, over]) expect(env.run(['load', '-i', layout]).status).toBe(0)

    // the lower layer's links are hidden by the upper layer's directories: the files land in DEST
    const dest = join(env.dir, 'hostile-out')
    ok(['-o', dest, newContext({ Dockerfile: 'FROM localhost/test/over:1\n' })])
    expect(shape(dest)).toEqual(['etc dir 755 0:0', 'etc/passwd file 644 0:0 "hostile"', 'lib dir 755 0:0', 'lib/x file 644 0:0 "x"'])

    // an export of the links leaves them in DEST as links (as BuildKit's does); the next export
    // into the same DEST replaces them with its directories instead of writing through them
    const reused = join(env.dir, 'reused')
    ok(['-o', reused, newContext({ Dockerfile: 'FROM localhost/test/links:1\n' })])
    expect(shape(reused)).toEqual([`etc symlink 777 0:0 -> ${outside}`, 'lib symlink 777 0:0 -> ../outside'])
    ok(['-o', reused, newContext({ Dockerfile: 'FROM localhost/test/over:1\n' })])
    expect(shape(reused)).toEqual(['etc dir 755 0:0', 'etc/passwd file 644 0:0 "hostile"', 'lib dir 755 0:0', 'lib/x file 644 0:0 "x"'])

    expect(readdirSync(outside)).toEqual([])
  })
})
