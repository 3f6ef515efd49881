/**
 * `mini-run build` as an ordinary user with subordinate ids, as `podman
 * build` works rootless: RUN steps are rootless containers, and each RUN's
 * layer is made in the user's namespace (src/build/upper-blob.ts), so the
 * files its command gave to other users, even ones the user cannot read,
 * are in the image with their container owners and modes; a removal is a
 * whiteout; a secret reaches its RUN; nothing is left behind. A user
 * without subordinate ids is told what RUN needs.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, stageCli, type StagedCli } from './helpers/as-user.js'
import { createTestUser, subidsMissing, type TestUser } from './helpers/test-user.js'
import { BUSYBOX_OCI } from './helpers/test-env.js'

const missing = subidsMissing()
const BASE = 'localhost/mini-run/busybox:latest'

describe.skipIf(missing)(`build as an ordinary user${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let tmp: string
  let user: TestUser
  let single: TestUser
  let staged: StagedCli
  const as = (u: TestUser, args: string[]) => u.run([staged.cli, ...args], 120_000)

  beforeAll(() => {
    tmp = openTempDir('mini-run-build-rootless-')
    user = createTestUser({ subids: true, tmpDir: tmp })
    single = createTestUser({ subids: false, tmpDir: tmp })
    staged = stageCli(tmp)
    execFileSync('cp', ['-a', BUSYBOX_OCI, join(tmp, 'busybox-oci')])
    execFileSync('chmod', ['-R', 'a+rX', join(tmp, 'busybox-oci')])
    for (const u of [user, single]) expect(as(u, ['load', '-i', join(tmp, 'busybox-oci')]).status).toBe(0)
  })
  afterAll(() => {
    for (const u of [user, single]) u?.remove()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('RUN steps make layers with their users\' files, owners and modes, even ones the user cannot read; a removal is a whiteout', () => {
    const ctx = join(user.home, 'ctx')
    mkdirSync(ctx)
    writeFileSync(join(ctx, 'Dockerfile'), [
      `FROM ${BASE}`,
      'COPY gone.txt kept.txt /',
      // a user of the image, a 0700 directory of theirs and a 0600 file in it: unreadable to the host user on disk
      'RUN echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd && echo app:x:1000: >> /etc/group && mkdir -p /home/app/private && echo hidden > /home/app/private/notes && chown -R app:app /home/app && chmod 700 /home/app/private && chmod 600 /home/app/private/notes && rm /gone.txt',
      'RUN --mount=type=secret,id=token cp /run/secrets/token /token-copy',
      'USER app',
      'RUN echo mine > /home/app/mine',
      // a cache of app's, its mount point in app's 0700 directory: made and taken out in the namespace
      'RUN --mount=type=cache,target=/home/app/private/cache,uid=1000,gid=1000 echo cached > /home/app/private/cache/c && ls /home/app/private/cache',
      '',
    ].join('\n'))
    writeFileSync(join(ctx, 'gone.txt'), 'gone\n')
    writeFileSync(join(ctx, 'kept.txt'), 'kept\n')
    writeFileSync(join(user.home, 'token'), 'tok-rootless\n')
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, ctx, join(user.home, 'token')])
    const built = as(user, ['build', '--progress', 'plain', '-t', 'localhost/test/rootless-build:1', '--secret', `id=token,src=${join(user.home, 'token')}`, ctx])
    expect(built.stderr).not.toMatch(/mini-run: /)
    expect(built.status).toBe(0)

    const look = as(user, ['run', '--rm', '-u', '0', 'localhost/test/rootless-build:1', 'sh', '-c',
      'stat -c "%n %u:%g %a" /home/app/private /home/app/private/notes /home/app/mine; cat /home/app/private/notes /kept.txt /token-copy; ls /gone.txt 2>&1 || true'])
    expect(look.stderr).toBe('')
    expect(look.stdout.split('\n')).toEqual([
      '/home/app/private 1000:1000 700',
      '/home/app/private/notes 1000:1000 600',
      '/home/app/mine 1000:1000 644',
      'hidden',
      'kept',
      'tok-rootless',
      'ls: /gone.txt: No such file or directory',
      '',
    ])
    // the image's default user, and its own file read as that user
    expect(as(user, ['run', '--rm', 'localhost/test/rootless-build:1', 'sh', '-c', 'id -u; cat /home/app/private/notes']).stdout).toBe('1000\nhidden\n')
    // the build cache: the same build again runs no step
    const again = as(user, ['build', '--progress', 'plain', '-t', 'localhost/test/rootless-build:2', '--secret', `id=token,src=${join(user.home, 'token')}`, ctx])
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).not.toMatch(/^(hidden|mine)$/m)
    expect((again.stdout.match(/Using cache/g) ?? []).length).toBe(6)
    // the cache was app's, and is in no layer: its mount point is gone with it
    expect(built.stdout).toMatch(/^c$/m)
    expect(as(user, ['run', '--rm', '-u', '0', 'localhost/test/rootless-build:1', 'ls', '-A', '/home/app/private']).stdout).toBe('notes\n')

    // compose build, as the user, through the same builder (a build secret from the project's file)
    writeFileSync(join(ctx, 'compose.yaml'), 'secrets:\n  token: {file: ../token}\nservices:\n  app:\n    image: localhost/test/rootless-compose:1\n    build: {context: ., secrets: [token]}\n')
    execFileSync('chown', [`${user.uid}:${user.gid}`, join(ctx, 'compose.yaml')])
    const composed = user.run(['/bin/sh', '-c', `cd ${ctx} && exec "$@"`, 'sh', staged.cli, 'compose', 'build'], 120_000)
    expect(composed.status, composed.stderr).toBe(0)
    expect(as(user, ['run', '--rm', '-u', '0', 'localhost/test/rootless-compose:1', 'cat', '/token-copy']).stdout).toBe('tok-rootless\n')

    // an image of the user's store as a source: COPY --from and RUN --mount=type=bind,from= take its files with
    // their owners and modes, ones the user cannot read on disk too (copied in the user's namespace); a stage too,
    // --parents keeping the directories above, a pattern's matches (one a symlink)
    const from = join(user.home, 'ctx-from')
    mkdirSync(from)
    writeFileSync(join(from, 'Dockerfile'), [
      'FROM localhost/test/rootless-build:1 AS made',
      'USER root',
      'RUN mkdir -p /srv && mkdir -m 0750 /srv/deep && chown 33:33 /srv/deep && echo d > /srv/deep/one.txt && echo e > /srv/deep/two.txt && chmod 0640 /srv/deep/*.txt && ln -s one.txt /srv/deep/three.txt',
      `FROM ${BASE}`,
      'COPY --from=localhost/test/rootless-build:1 /home/app /copied',
      'COPY --from=made --parents /srv/deep/one.txt /p/',
      'COPY --from=made /srv/deep/*.txt /glob/',
      'COPY --from=made --exclude=two.txt /srv/deep /ex/',
      'RUN --mount=type=bind,from=localhost/test/rootless-build:1,source=/home/app/private,target=/m stat -c "%n %u:%g %a" /m/notes > /seen && cat /m/notes >> /seen',
      '',
    ].join('\n'))
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, from])
    const fromImage = as(user, ['build', '-q', '-t', 'localhost/test/rootless-from:1', from])
    expect(fromImage.status, fromImage.stderr).toBe(0)
    const copied = as(user, ['run', '--rm', '-u', '0', 'localhost/test/rootless-from:1', 'sh', '-c',
      'stat -c "%n %u:%g %a" /copied/private /copied/private/notes /copied/mine /p/srv/deep /p/srv/deep/one.txt /glob/one.txt /glob/two.txt /glob/three.txt; ls /ex; cat /copied/private/notes /glob/three.txt /seen'])
    expect(copied.stdout.split('\n')).toEqual([
      '/copied/private 1000:1000 700',
      '/copied/private/notes 1000:1000 600',
      '/copied/mine 1000:1000 644',
      '/p/srv/deep 33:33 750',
      '/p/srv/deep/one.txt 0:0 640',
      '/glob/one.txt 0:0 640',
      '/glob/two.txt 0:0 640',
      // a pattern's match that is a symlink is followed, as BuildKit's copier follows it
      '/glob/three.txt 0:0 640',
      // --exclude, as a root build's: the directory's other entries, the link as a link
      'one.txt',
      'three.txt',
      'hidden',
      'd',
      '/m/notes 1000:1000 600',
      'hidden',
      '',
    ])

    // nothing left: no container, an empty tmp/ in the user's store (the RUNs' mounts were in their own namespaces)
    expect(as(user, ['ps', '-a', '-q']).stdout).toBe('')
    const store = join(user.home, '.local/share/mini-run')
    expect(readdirSync(join(store, 'tmp')).filter((n) => !n.startsWith('.'))).toEqual([])
  })

  it('COPY and WORKDIR below a directory the user cannot search keep the image\'s directories as they are', () => {
    const ctx = join(user.home, 'dest-ctx')
    mkdirSync(ctx)
    writeFileSync(join(ctx, 'Dockerfile'), [
      // files of a container user that the host user can read: copied from the host's view, no namespace needed
      `FROM ${BASE} AS pub`,
      'RUN mkdir -p /pub/sub && echo pub > /pub/sub/a.txt && chown -R 33:33 /pub && chmod 0755 /pub /pub/sub && chmod 0644 /pub/sub/a.txt',
      `FROM ${BASE}`,
      'COPY --from=pub /pub /pub-copy',
      // a container user's 0700 directory: on disk, the host user can search neither it nor anything below
      'RUN mkdir -p /data/keep/inner && echo old > /data/keep/file && ln -s keep /data/link && chown -R 33:33 /data && chmod 0700 /data && chmod 0750 /data/keep',
      'COPY f.txt /data/keep/inner/',
      // through the image's own symlink in it; onto a file in it
      'COPY f.txt /data/link/via-link.txt',
      'COPY g.txt /data/keep/file',
      // an existing directory without a trailing slash: the file goes into it
      'COPY g.txt /data/keep',
      // a file mounted in an existing directory: not a tmpfs over it
      'RUN --mount=type=bind,source=g.txt,target=/data/keep/inner/bound.txt ls /data/keep/inner > /listing',
      // an existing directory: no layer; a new one below it: a layer of it alone
      'WORKDIR /data/keep/inner',
      'WORKDIR /data/keep/made',
      '',
    ].join('\n'))
    writeFileSync(join(ctx, 'f.txt'), 'f\n')
    writeFileSync(join(ctx, 'g.txt'), 'g\n')
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, ctx])
    const built = as(user, ['build', '-q', '-t', 'localhost/test/rootless-dest:1', ctx])
    expect(built.status, built.stderr).toBe(0)
    const look = as(user, ['run', '--rm', '-u', '0', 'localhost/test/rootless-dest:1', 'sh', '-c',
      'pwd; cat /listing; ls /data/keep/inner; cat /data/keep/file /data/keep/via-link.txt /pub-copy/sub/a.txt; stat -c "%n %u:%g %a" /pub-copy/sub /pub-copy/sub/a.txt /data /data/keep /data/keep/inner /data/keep/inner/f.txt /data/keep/g.txt /data/keep/made'])
    expect(look.stdout.split('\n')).toEqual([
      '/data/keep/made',
      'bound.txt',
      'f.txt',
      'f.txt',
      'g',
      'f',
      'pub',
      '/pub-copy/sub 33:33 755',
      '/pub-copy/sub/a.txt 33:33 644',
      '/data 33:33 700',
      '/data/keep 33:33 750',
      '/data/keep/inner 33:33 755',
      '/data/keep/inner/f.txt 0:0 644',
      '/data/keep/g.txt 0:0 644',
      '/data/keep/made 0:0 755',
      '',
    ])
    const layers = (ref: string) => as(user, ['image', 'inspect', '--format', '{{len .RootFS.Layers}}', ref]).stdout.trim()
    // two RUNs, five COPYs and the new directory's WORKDIR
    expect(Number(layers('localhost/test/rootless-dest:1'))).toBe(Number(layers(BASE)) + 8)
    // a file on the way to the destination, read in the namespace: said as a root build says it
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/test/rootless-dest:1\nCOPY f.txt /data/keep/file/sub/\n')
    const refused = as(user, ['build', '-q', ctx])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/cannot copy into \/data\/keep\/file: it is not a directory in the image/)
  })

  it('RUN --mount=type=bind,from=STAGE shows the stage\'s files with their owners and modes, ones the user cannot read too', () => {
    const ctx = join(user.home, 'bind-ctx')
    mkdirSync(ctx)
    const dockerfile = (last: string) => [
      'FROM scratch AS empty',
      `FROM ${BASE} AS made`,
      'RUN mkdir -p /home/app/private && echo hidden > /home/app/private/notes && echo "#!/bin/sh" > /home/app/tool && chown -R 1000:1000 /home/app && chmod 700 /home/app/private && chmod 600 /home/app/private/notes && chmod 4755 /home/app/tool',
      `FROM ${BASE}`,
      'RUN echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd',
      'USER app',
      // app reads its own 0600 file, through its 0700 directory and as a file mount
      'RUN --mount=type=bind,from=made,source=/home/app/private,target=/m cat /m/notes > /tmp/seen',
      'RUN --mount=type=bind,from=made,source=/home/app/private/notes,target=/n cat /n >> /tmp/seen',
      'USER root',
      // a stage of no layers: an empty root, root's
      'RUN --mount=type=bind,from=empty,target=/e stat -c "%u:%g %a" /e >> /tmp/seen',
      last,
      '',
    ].join('\n')
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile('RUN --mount=type=bind,from=made,source=/home/app,target=/m stat -c "%n %u:%g %a" /m/private /m/private/notes /m/tool > /owners'))
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, ctx])
    const built = as(user, ['build', '--progress', 'plain', '-t', 'localhost/test/rootless-bind:1', ctx])
    expect(built.stderr).not.toMatch(/mini-run: /)
    expect(built.status).toBe(0)
    expect(as(user, ['run', '--rm', 'localhost/test/rootless-bind:1', 'cat', '/tmp/seen', '/owners']).stdout.split('\n')).toEqual([
      'hidden',
      'hidden',
      '0:0 755',
      '/m/private 1000:1000 700',
      '/m/private/notes 1000:1000 600',
      '/m/tool 1000:1000 4755',
      '',
    ])
    // a source the stage lacks: the step's line; nothing left in the store's tmp/ either way
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile('RUN --mount=type=bind,from=made,source=/home/app/nope,target=/m true'))
    const missing = as(user, ['build', '--progress', 'plain', ctx])
    expect(missing.status).toBe(1)
    expect(missing.stderr.split('\n').filter((l) => l.startsWith('mini-run: '))).toEqual([
      'mini-run: Dockerfile:11: RUN: --mount source /home/app/nope not found in the stage made',
    ])
    const store = join(user.home, '.local/share/mini-run')
    expect(readdirSync(join(store, 'tmp')).filter((n) => !n.startsWith('.'))).toEqual([])
  })

  it('a secret is in memory when the user\'s runtime directory is a tmpfs (as logind mounts /run/user/UID), and gone after its RUN', () => {
    const ctx = join(user.home, 'secret-ctx')
    mkdirSync(ctx)
    // the file system the secret's file is on, as its RUN sees it, and the secret itself
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nRUN --mount=type=secret,id=s stat -f -c %T /run/secrets/s > /fs && cat /run/secrets/s > /copy\n`)
    writeFileSync(join(user.home, 's.txt'), 'in-memory\n')
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, ctx, join(user.home, 's.txt')])
    const runtime = join(tmp, 'run-user')
    mkdirSync(runtime)
    execFileSync('mount', ['-t', 'tmpfs', '-o', `mode=700,uid=${user.uid},gid=${user.gid},size=4m`, 'tmpfs', runtime])
    try {
      const built = user.run(['/bin/sh', '-c', `XDG_RUNTIME_DIR=${runtime} exec "$@"`, 'sh', staged.cli, 'build', '--progress', 'plain', '--no-cache', '-t', 'localhost/test/rootless-secret:1', '--secret', `id=s,src=${join(user.home, 's.txt')}`, ctx], 120_000)
      expect(built.status, built.stderr).toBe(0)
      expect(as(user, ['run', '--rm', 'localhost/test/rootless-secret:1', 'cat', '/fs', '/copy']).stdout).toBe('tmpfs\nin-memory\n')
      expect(readdirSync(join(runtime, 'mini-run', 'build-secrets'))).toEqual([])
    } finally {
      execFileSync('umount', [runtime])
    }
    // a runtime directory on disk: the store's tmp/ holds it for its RUN, and nothing after
    const onDisk = as(user, ['build', '--progress', 'plain', '--no-cache', '-t', 'localhost/test/rootless-secret:2', '--secret', `id=s,src=${join(user.home, 's.txt')}`, ctx])
    expect(onDisk.status, onDisk.stderr).toBe(0)
    expect(as(user, ['run', '--rm', 'localhost/test/rootless-secret:2', 'cat', '/fs', '/copy']).stdout).not.toMatch(/^tmpfs\n/)
    expect(readdirSync(join(user.home, '.local/share/mini-run/tmp')).filter((n) => !n.startsWith('.'))).toEqual([])
  })

  it('a user without subordinate ids is told what RUN needs; COPY alone still builds', () => {
    const ctx = join(single.home, 'ctx')
    mkdirSync(ctx)
    writeFileSync(join(ctx, 'f'), 'f\n')
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nCOPY f /f\nRUN true\n`)
    execFileSync('chown', ['-R', `${single.uid}:${single.gid}`, ctx])
    const refused = as(single, ['build', '--progress', 'plain', ctx])
    expect(refused.status).toBe(1)
    expect(refused.stderr.split('\n').filter((l) => l.startsWith('mini-run: '))).toEqual([
      `mini-run: RUN steps as an ordinary user need subordinate ids, as podman's builds do (no subordinate ids for ${single.name} in /etc/subuid; usermod --add-subuids and --add-subgids give a range), or run mini-run build as root`,
    ])
    writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nCOPY f /f\n`)
    const copied = as(single, ['build', '--progress', 'plain', '-t', 'localhost/test/copy-only:1', ctx])
    expect(copied.status, copied.stderr).toBe(0)
    expect(as(single, ['run', '--rm', 'localhost/test/copy-only:1', 'cat', '/f']).stdout).toBe('f\n')
  })
})
