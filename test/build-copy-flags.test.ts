/**
 * COPY --exclude and COPY --parents (and ADD --exclude), as a user writes
 * them, with no `# syntax` line (Dockerfile 1.19 and 1.20 made them
 * stable): what lands in the image is read by running it. The cases are
 * the Dockerfile reference's and those of BuildKit's own tests
 * (frontend/dockerfile/dockerfile_parents_test.go, exclude_patterns_test.go).
 * Root: the images are run, and the --from stages have RUN steps.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { ImageStore } from '../src/image/store.js'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, settledStoreTmp, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('COPY --exclude and --parents (needs root: the images are run)', () => {
  let env: TestEnv
  let n = 0
  const newContext = (files: Record<string, string>) => writeContext(join(env.dir, `ctx${++n}`), files)
  const build = (args: string[]) => env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args])
  /** Build the context as `tag`, expecting success; the build's output. */
  const built = (tag: string, ctx: string, args: string[] = []) => {
    const r = build(['-t', tag, ...args, ctx])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    return r.stdout
  }
  /** Every path at and below each of `dirs` in the image, as `find` prints them, sorted for each. */
  const tree = (tag: string, ...dirs: string[]) => {
    const r = env.run(env.runArgs([tag, 'sh', '-c', `for d in ${dirs.join(' ')}; do find "$d" | sort; done`]))
    expect(r.stderr).toBe('')
    return r.stdout.split('\n').filter(Boolean)
  }
  const under = (dir: string, paths: string[]) => [dir, ...paths.map((p) => `${dir}/${p}`)]

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
    expect(settledStoreTmp(env.storeRoot)).toEqual([])
  })
  afterAll(() => env?.cleanup())

  test('--exclude: .dockerignore\'s patterns (`*` within a segment, `**`, a directory with all below it, `!` exceptions), matched by the path below DEST; a file the source names, by its name', () => {
    const ctx = newContext({
      'Dockerfile': [
        `FROM ${BUSYBOX}`,
        'COPY --exclude=**/*_test.go --exclude=docs --exclude=!docs/keep.md --exclude=vendor app /a/',
        'COPY --exclude=*.go app /top-only/',
        'COPY --exclude=*.txt --exclude="*.md" hom* /h/',
        'COPY --exclude=*.md app/README.md app/main.go /named/',
      ].join('\n'),
      'app/main.go': '', 'app/main_test.go': '', 'app/README.md': '', 'app/docs/a.md': '', 'app/docs/keep.md': '',
      'app/vendor/x/y.go': '', 'app/sub/util.go': '', 'app/sub/deep/z_test.go': '',
      'hom1.txt': '', 'home.md': '', 'homer.go': '', 'homes/inner.txt': '', 'homes/inner.go': '',
    })
    built('localhost/test/exclude:1', ctx)
    expect(tree('localhost/test/exclude:1', '/a')).toEqual(under('/a', ['README.md', 'docs', 'docs/keep.md', 'main.go', 'sub', 'sub/deep', 'sub/util.go']))
    // `*.go` is the top level's only: as in .dockerignore, `**/*.go` reaches below
    expect(tree('localhost/test/exclude:1', '/top-only').filter((p) => p.endsWith('.go'))).toEqual(['/top-only/sub/deep/z_test.go', '/top-only/sub/util.go', '/top-only/vendor/x/y.go'])
    // hom* matches hom1.txt, home.md (left out: the reference's `COPY --exclude=*.txt hom* /mydir/`), homer.go and homes/, whose contents land in /h
    expect(tree('localhost/test/exclude:1', '/h', '/named')).toEqual([...under('/h', ['homer.go', 'inner.go']), ...under('/named', ['main.go'])])
  })

  test('quoted flag values, a blank in one: --exclude="my notes.txt" and --chown="1000:1000" are whole values, their quotes taken out', () => {
    const ctx = newContext({
      'Dockerfile': [`FROM ${BUSYBOX}`, 'COPY --exclude="my notes.txt" --chown="1000:1000" notes /n/', "COPY --chown='7:8' --exclude='*.txt' notes /m/"].join('\n'),
      'notes/my notes.txt': 'mine\n', 'notes/my': '', 'notes/other.txt': 'other\n',
    })
    built('localhost/test/quoted-flags:1', ctx)
    const r = env.run(env.runArgs(['localhost/test/quoted-flags:1', 'sh', '-c', 'find /n /m | sort | while read -r p; do echo "$p $(stat -c %u:%g "$p")"; done']))
    expect([r.stderr, r.stdout]).toEqual(['', ['/m 7:8', '/m/my 7:8', '/n 1000:1000', '/n/my 1000:1000', '/n/other.txt 1000:1000', ''].join('\n')])
  })

  test('--exclude with --from (a stage\'s tree, its wildcards and symlinks) and on ADD, a directory and a tar archive\'s contents', () => {
    const ctx = newContext({
      'Dockerfile': [
        `FROM ${BUSYBOX} AS base`,
        'RUN mkdir -p /src/dir1 /src/dir2 && touch /src/dir1/f.png /src/dir1/f.txt /src/dir2/g.pdf /src/dir2/g.png && ln -s f.txt /src/dir1/link.txt',
        `FROM ${BUSYBOX}`,
        'COPY --from=base --exclude=*/*.png /src /1/',
        'COPY --from=base --exclude=*.png /src/dir* /2/',
        'ADD --exclude=*.mp3 dir3/ /3/',
        'ADD --exclude=pkg/*.md bundle.tar /4/',
      ].join('\n'),
      'dir3/a.mp3': '', 'dir3/b.mpeg': '',
    })
    const pkg = writeContext(join(env.dir, `pkg${n}`), { 'pkg/lib.txt': 'lib\n', 'pkg/README.md': '' })
    execFileSync('tar', ['-cf', join(ctx, 'bundle.tar'), '-C', pkg, 'pkg'])
    built('localhost/test/exclude:2', ctx)
    expect(tree('localhost/test/exclude:2', '/1', '/2', '/3', '/4')).toEqual([
      ...under('/1', ['dir1', 'dir1/f.txt', 'dir1/link.txt', 'dir2', 'dir2/g.pdf']),
      ...under('/2', ['f.txt', 'g.pdf', 'link.txt']),
      ...under('/3', ['b.mpeg']),
      ...under('/4', ['pkg', 'pkg/lib.txt']),
    ])
    expect(env.run(env.runArgs(['localhost/test/exclude:2', 'readlink', '/1/dir1/link.txt'])).stdout).toBe('f.txt\n')
  })

  test('--parents: each source\'s directories kept below DEST, with their own modes; "/./" as the pivot; `**`; with WORKDIR and "."; --parents=false; a wildcard matching nothing', () => {
    const ctx = newContext({
      'Dockerfile': [
        `FROM ${BUSYBOX}`,
        'COPY ./x/a.txt ./y/a.txt /no_parents/',
        'COPY --parents ./x/a.txt ./y/a.txt /parents/',
        'COPY --parents ./src/./pkg/a.go /app/',
        'COPY --parents ./src/**/*.txt /globbed/',
        'COPY --parents --exclude=**/*.md src/x /both',
        'WORKDIR /test',
        'COPY --parents foo1/foo2/ba* .',
        'COPY --parents=false foo1/foo2/bar /off/',
        'COPY --parents ./nothing*/here /empty/',
      ].join('\n'),
      'x/a.txt': '', 'y/a.txt': '', 'src/pkg/a.go': '', 'src/pkg/b.go': '',
      'src/a.txt': '', 'src/x/b.txt': '', 'src/x/y/c.txt': '', 'src/x/y/d.md': '', 'foo1/foo2/bar': 'testing', 'foo1/foo2/baz': '',
    })
    chmodSync(join(ctx, 'x'), 0o700)
    built('localhost/test/parents:1', ctx)
    expect(tree('localhost/test/parents:1', '/no_parents', '/parents', '/app', '/globbed', '/both')).toEqual([
      ...under('/no_parents', ['a.txt']),
      ...under('/parents', ['x', 'x/a.txt', 'y', 'y/a.txt']),
      ...under('/app', ['pkg', 'pkg/a.go']),
      ...under('/globbed', ['src', 'src/a.txt', 'src/x', 'src/x/b.txt', 'src/x/y', 'src/x/y/c.txt']),
      ...under('/both', ['src', 'src/x', 'src/x/b.txt', 'src/x/y', 'src/x/y/c.txt']),
    ])
    expect(tree('localhost/test/parents:1', '/test', '/off', '/empty')).toEqual([
      ...under('/test', ['foo1', 'foo1/foo2', 'foo1/foo2/bar', 'foo1/foo2/baz']),
      ...under('/off', ['bar']),
      '/empty',
    ])
    // a kept directory is the source's, not one the copy makes up (0755)
    expect(env.run(env.runArgs(['localhost/test/parents:1', 'stat', '-c', '%a %n', '/parents/x', '/parents/y'])).stdout).toBe('700 /parents/x\n755 /parents/y\n')
  })

  test('--parents --from: the pivot after wildcards, `**` matching a directory, two sources into one tree (BuildKit\'s testCopyRelativeParents); the old labs syntax line changes nothing', () => {
    const ctx = newContext({
      Dockerfile: [
        '# syntax=docker/dockerfile:1.7-labs',
        `FROM ${BUSYBOX} AS base`,
        'WORKDIR /test',
        'RUN mkdir -p a/b/c/d/e a/b2/c/d/e a/b/c2/d/e a/b/c2/d/e2 && touch a/b/c/d/foo a/b/c/d/e/bay a/b2/c/d/e/bar a/b/c2/d/e/baz a/b/c2/d/e2/baz',
        `FROM ${BUSYBOX}`,
        'COPY --from=base --parents /test/a/b/./c/d /middle/',
        'COPY --from=base --parents /test/a/b/c/d /start/',
        'COPY --from=base --parents /test/a/b*/./c/**/e /doublewildcard/',
        'COPY --from=base --parents /test/a/b/c*/./d/**/baz /test/a/b*/./c/**/bar /doubleinputs/',
      ].join('\n'),
    })
    built('localhost/test/parents:2', ctx)
    expect(tree('localhost/test/parents:2', '/middle', '/doublewildcard', '/doubleinputs')).toEqual([
      ...under('/middle', ['c', 'c/d', 'c/d/e', 'c/d/e/bay', 'c/d/foo']),
      ...under('/doublewildcard', ['c', 'c/d', 'c/d/e', 'c/d/e/bar', 'c/d/e/bay']),
      ...under('/doubleinputs', ['c', 'c/d', 'c/d/e', 'c/d/e/bar', 'd', 'd/e', 'd/e/baz', 'd/e2', 'd/e2/baz']),
    ])
    expect(tree('localhost/test/parents:2', '/start/test/a/b/c/d')).toEqual(under('/start/test/a/b/c/d', ['e', 'e/bay', 'foo']))
  })

  test('a change of --exclude or --parents is another step: never the layer cached without it', async () => {
    const ctx = newContext({ 'a.txt': 'a\n', 'b.md': 'b\n' })
    // the Dockerfile outside the context, so that only the flags change between builds
    const dockerfile = join(env.dir, `copy-cache${n}.Dockerfile`)
    const buildWith = (copy: string) => {
      writeFileSync(dockerfile, `FROM ${BUSYBOX}\n${copy}\n`)
      const out = built('localhost/test/cache:1', ctx, ['-f', dockerfile])
      return /STEP 2\/2: COPY[^\n]*\n--> Using cache /.test(out)
    }
    expect(buildWith('COPY --exclude=*.md . /c/')).toBe(false)
    expect(buildWith('COPY --exclude=*.md . /c/')).toBe(true)
    expect(buildWith('COPY . /c/')).toBe(false)
    expect(tree('localhost/test/cache:1', '/c')).toEqual(under('/c', ['a.txt', 'b.md']))
    expect(buildWith('COPY --exclude=*.md . /c/')).toBe(true)
    expect(tree('localhost/test/cache:1', '/c')).toEqual(under('/c', ['a.txt']))
    expect(buildWith('COPY --exclude=*.txt . /c/')).toBe(false)
    expect(tree('localhost/test/cache:1', '/c')).toEqual(under('/c', ['b.md']))
    // the same files copied, another instruction: its own step and history
    expect(buildWith('COPY --exclude=*.none . /c/')).toBe(false)
    expect(buildWith('COPY --parents . /c/')).toBe(false)
    expect(buildWith('COPY --parents --exclude="*.none" . /c/')).toBe(false)
    const image = await new ImageStore({ root: env.storeRoot }).resolve('localhost/test/cache:1')
    expect(image.config.history!.at(-1)!.created_by).toBe('COPY --parents --exclude=*.none . /c/')
  })

  test('errors: one line naming the Dockerfile line, exit 1, no image and nothing else left', () => {
    const fails = (lines: string[], files: Record<string, string> = {}) => {
      const ctx = newContext({ Dockerfile: [`FROM ${BUSYBOX}`, 'COPY f /ok', ...lines].join('\n'), f: '', 'src/a.txt': '', ...files })
      const r = build(['-t', 'localhost/test/refused:1', ctx])
      expect(env.run(['images', '-q', 'localhost/test/refused']).stdout).toBe('')
      return [r.status, r.stderr]
    }
    const said = (line: string) => [1, `mini-run: ${line}\n`]
    expect(fails(['COPY --exclude=[a . /d/'])).toEqual(said('Dockerfile:3: COPY: --exclude: bad pattern "[a": unterminated ['))
    expect(fails(['COPY --exclude=*.md --exclude=! . /d/'])).toEqual(said('Dockerfile:3: COPY: --exclude: illegal exclusion pattern: "!"'))
    expect(fails(['COPY --exclude . /d/'])).toEqual(said('Dockerfile:3: COPY: missing a value on flag: --exclude'))
    expect(fails(['ADD --exclude=[]x f /d/'])).toEqual(said('Dockerfile:3: ADD: --exclude: bad pattern "[]x": bad character class'))
    expect(fails(['COPY --parents=maybe f /d/'])).toEqual(said('Dockerfile:3: COPY: expecting boolean value for flag --parents, not: maybe'))
    expect(fails(['COPY --parents <<EOF /d/', 'x', 'EOF'])).toEqual(said('Dockerfile:3: COPY: --parents applies to source paths, and this COPY has only heredocs'))
    expect(fails(['COPY --exclude=x <<EOF /d/', 'x', 'EOF'])).toEqual(said('Dockerfile:3: COPY: --exclude applies to source paths, and this COPY has only heredocs'))
    expect(fails(['COPY --parents ./src/./missing.txt /d/'])).toEqual(said('Dockerfile:3: COPY: ./src/./missing.txt: not found in the build context (or excluded by .dockerignore)'))
    expect(fails(['COPY --parents ./src/./a[ /d/'])).toEqual(said('Dockerfile:3: COPY: ./src/./a[: bad pattern "a[": unterminated ['))
    expect(fails(['COPY --parents --parents f /d/'])).toEqual(said('Dockerfile:3: --parents given more than once'))
    expect(fails(['ADD --parents f /d/'])).toEqual(said('Dockerfile:3: unknown flag for ADD: --parents'))
  })

  test('.dockerignore is matched by the same rules: case counts, and `+ ( | {` are text, as in BuildKit (patternmatcher); a bad pattern is one line', () => {
    const ctx = newContext({
      'Dockerfile': [`FROM ${BUSYBOX}`, 'COPY . /ctx/'].join('\n'),
      '.dockerignore': ['*.MD', 'c++', 'notes (old)', 'a|b', '{x}', 'Dockerfile', '.dockerignore'].join('\n'),
      'README.md': '', 'CHANGES.MD': '', 'c++': '', 'c': '', 'notes (old)': '', 'notes old': '', 'a|b': '', 'ab': '', '{x}': '', 'x': '',
    })
    built('localhost/test/ignore-case:1', ctx)
    expect(tree('localhost/test/ignore-case:1', '/ctx')).toEqual(under('/ctx', ['README.md', 'ab', 'c', 'notes old', 'x']))
    const bad = newContext({ 'Dockerfile': `FROM ${BUSYBOX}\nCOPY . /ctx/`, '.dockerignore': 'ok\nsrc/[a-\n' })
    const r = build(['-t', 'localhost/test/ignore-bad:1', bad])
    expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(/^mini-run: \.dockerignore: bad pattern "src\/\[a-": .*\n$/)])
  })

  // moby/patternmatcher's ignorefile.ReadAll: only a line that starts with
  // `#` is a comment, before the trim; a lone `!` is kept, and refused
  test('.dockerignore: an indented `#` line is a pattern; a byte-order mark is not part of the first; a lone `!` is an error', () => {
    const ctx = newContext({
      'Dockerfile': [`FROM ${BUSYBOX}`, 'COPY . /ctx/'].join('\n'),
      '.dockerignore': ['\uFEFF# a comment', '  # notes', 'Dockerfile', '.dockerignore'].join('\n'),
      '# notes': '', '# a comment': '', 'kept': '',
    })
    built('localhost/test/ignore-comments:1', ctx)
    expect(tree('localhost/test/ignore-comments:1', '/ctx')).toEqual(under('/ctx', ['# a comment', 'kept']))
    for (const line of ['!', '! ', '!/']) {
      const bad = newContext({ 'Dockerfile': `FROM ${BUSYBOX}\nCOPY . /ctx/`, '.dockerignore': `ok\n${line}\n` })
      const r = build(['-t', 'localhost/test/ignore-bang:1', bad])
      expect([r.status, r.stderr]).toEqual([1, 'mini-run: .dockerignore: illegal exclusion pattern: "!"\n'])
    }
  })
})
