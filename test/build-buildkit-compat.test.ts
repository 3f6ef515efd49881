/**
 * Dockerfile semantics where an earlier mini-run differed from BuildKit
 * (each found by a review, checked against BuildKit's dockerfile2llb):
 * ARG scoping, heredoc names and bodies, wildcards, ONBUILD, the cache
 * key's SOURCE_DATE_EPOCH, COPY's word splitting and --chown. Root: RUN
 * steps are containers of the busybox fixture; what a step saw is read
 * from its output.
 */
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { ImageConfig } from '../src/image/oci.js'
import { hostPlatform } from '../src/image/platform.js'
import { ImageStore } from '../src/image/store.js'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('Dockerfile semantics as BuildKit has them', () => {
  let env: TestEnv
  let n = 0
  const newContext = (files: Record<string, string>) => writeContext(join(env.dir, `ctx${++n}`), files)
  const build = (args: string[], options?: Parameters<TestEnv['run']>[1]) =>
    env.run(['build', '--progress', 'plain', '--cgroup-parent', env.cgroupParent, ...args], options)
  /** Build `lines` (files beside), expecting success; its output. */
  const built = (lines: string[], files: Record<string, string> = {}, args: string[] = []) => {
    const r = build([...args, newContext({ Dockerfile: lines.join('\n'), ...files })])
    expect(r.stderr).not.toMatch(/mini-run: /)
    expect(r.status).toBe(0)
    return r.stdout
  }

  const config = async (ref: string) => (await new ImageStore({ root: env.storeRoot }).resolve(ref)).config as ImageConfig & { config: Record<string, unknown> }

  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  test('ARG: a bare global ARG keeps the predefined value; a line\'s ARGs expand in order; a stage inherits its base stage\'s ARGs', () => {
    const arch = hostPlatform().architecture
    const out = built([
      'ARG TARGETARCH',
      'ARG BUILDPLATFORM',
      'ARG G1=g G2=${G1}2',
      `FROM --platform=$BUILDPLATFORM ${BUSYBOX} AS base`,
      'ARG TARGETARCH',
      'ARG G2',
      'ARG A=1 B=${A}x',
      'RUN echo "arch=[$TARGETARCH] g2=[$G2] b=[$B]"',
      'FROM base',
      'RUN echo "inherited a=[$A] b=[$B] arch=[$TARGETARCH]"',
    ])
    expect(out).toMatch(new RegExp(`^arch=\\[${arch}\\] g2=\\[g2\\] b=\\[1x\\]$`, 'm'))
    expect(out).toMatch(new RegExp(`^inherited a=\\[1\\] b=\\[1x\\] arch=\\[${arch}\\]$`, 'm'))
  })

  test('heredocs: names with - and ., COPY bodies keep their quotes, a "#!" RUN heredoc runs by its interpreter; COPY words split before expansion', () => {
    const out = built(
      [
        `FROM ${BUSYBOX}`,
        'ARG NAME=app',
        'RUN <<run-me.sh',
        'echo "ran run-$((1+1))"',
        'run-me.sh',
        'COPY <<robots.txt <<humans.txt /dst/',
        'robots $NAME',
        'robots.txt',
        'humans',
        'humans.txt',
        'COPY <<EOF /pkg.json',
        '{"name": "$NAME", "note": "it\'s here"}',
        'EOF',
        'RUN <<EOF',
        '#!/usr/bin/awk -f',
        'BEGIN { print "awk says " 6*7 }',
        'EOF',
        'ENV D="/my dir"',
        'COPY f $D/',
        'RUN cat /dst/robots.txt /dst/humans.txt /pkg.json "/my dir/f"',
      ],
      { f: 'in my dir\n' },
    )
    expect(out).toMatch(/^ran run-2$/m)
    expect(out).toMatch(/^awk says 42$/m)
    expect(out).toMatch(/^robots app\nhumans\n\{"name": "app", "note": "it's here"\}\nin my dir$/m)
    const bad = build([newContext({ Dockerfile: [`FROM ${BUSYBOX}`, 'COPY <<EOF /x', '${NAME', 'EOF'].join('\n') })])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^mini-run: Dockerfile:2: COPY: failed to process /m)
  })

  test('ONBUILD: a base stage\'s and a base image\'s triggers run in the child, once, and leave its config', async () => {
    const lines = [`FROM ${BUSYBOX} AS base`, 'ONBUILD RUN echo "trigger-$((1+1)) ran in $STAGE"', 'FROM base AS child', 'ARG STAGE=child', 'RUN echo child', 'FROM child', 'RUN echo grandchild']
    const ctx = newContext({ Dockerfile: lines.join('\n') })
    const staged = build(['-t', 'localhost/test/onbuild:grandchild', ctx])
    expect(staged.stdout.match(/^trigger-2 ran in $/gm)).toHaveLength(1)
    expect(staged.stderr).not.toMatch(/mini-run: |ONBUILD/)
    expect((await config('localhost/test/onbuild:grandchild')).config.OnBuild ?? null).toBeNull()
    expect(build(['-q', '--target', 'base', '-t', 'localhost/test/onbuild:base', ctx]).status).toBe(0)
    expect((await config('localhost/test/onbuild:base')).config.OnBuild).toEqual(['RUN echo "trigger-$((1+1)) ran in $STAGE"'])
    const out = built(['FROM localhost/test/onbuild:base', 'RUN echo child of the image'])
    expect(out).toMatch(/^trigger-2 ran in $/m)
  })

  test('SOURCE_DATE_EPOCH is part of the cache key: another epoch reruns the steps and dates them by itself', async () => {
    const ctx = newContext({ Dockerfile: [`FROM ${BUSYBOX}`, 'COPY f /f', 'RUN echo "ran-$((1+1))" | tee /r'].join('\n'), f: 'x\n' })
    const at = (epoch: string) => build(['-t', `localhost/test/epoch:${epoch}`, ctx], { env: { ...process.env, SOURCE_DATE_EPOCH: epoch } })
    const created = async (tag: string) => (await config(`localhost/test/epoch:${tag}`)).history!.slice(-2).map((h) => h.created)
    expect(at('1000000000').stdout).toMatch(/^ran-2$/m)
    expect(at('1000000000').stdout).not.toMatch(/^ran-2$/m)
    const other = at('1500000000')
    expect(other.status).toBe(0)
    expect(other.stdout).not.toMatch(/Using cache/)
    expect(await created('1000000000')).toEqual(['2001-09-09T01:46:40.000Z', '2001-09-09T01:46:40.000Z'])
    expect(await created('1500000000')).toEqual(['2017-07-14T02:40:00.000Z', '2017-07-14T02:40:00.000Z'])
  })

  test('COPY --chown=name takes the gid from the passwd entry; a number alone is its own gid', () => {
    const out = built(
      [
        `FROM ${BUSYBOX}`,
        "RUN echo 'tooling:x:1234:5678::/home/tooling:/bin/sh' >> /etc/passwd",
        'COPY --chown=tooling f /by-name',
        'COPY --chown=1234 f /by-id',
        'COPY --chown=tooling:99 f /with-group',
        'RUN stat -c "%n %u:%g" /by-name /by-id /with-group',
      ],
      { f: 'x\n' },
    )
    expect(out).toMatch(/^\/by-name 1234:5678\n\/by-id 1234:1234\n\/with-group 1234:99$/m)
  })

  test('COPY --from names a stage of the file even when it comes later, or by a number: never an image of that name or id (BuildKit\'s toCommand)', () => {
    const fails = (lines: string[], message: string) => {
      const r = build(['-q', '--target', 'first', newContext({ Dockerfile: lines.join('\n') })])
      expect([r.status, r.stderr]).toEqual([1, `mini-run: ${message}\n`])
    }
    const later = [`FROM ${BUSYBOX} AS later`, 'RUN true']
    fails([`FROM ${BUSYBOX} AS first`, 'COPY --from=later /bin/busybox /x', ...later], 'Dockerfile:2: COPY: cannot copy from stage "later", it needs to be defined before current stage "first"')
    fails([`FROM ${BUSYBOX} AS first`, 'COPY --from=first /bin/busybox /x'], 'Dockerfile:2: COPY: cannot copy from stage "first", it needs to be defined before current stage "first"')
    // a number is a stage's index, however many image ids start with it
    fails([`FROM ${BUSYBOX} AS first`, 'COPY --from=1 /bin/busybox /x', ...later], 'Dockerfile:2: COPY: cannot copy from stage "1", it needs to be defined before current stage "first"')
    fails([`FROM ${BUSYBOX} AS first`, 'COPY --from=5 /bin/busybox /x'], 'Dockerfile:2: COPY: invalid stage index 5')
    // an earlier one, by name or number, as before
    expect(built([`FROM ${BUSYBOX} AS a`, 'RUN echo a > /a', `FROM ${BUSYBOX}`, 'COPY --from=0 /a /from-index', 'COPY --from=A /a /from-name', 'RUN cat /from-index /from-name'])).toMatch(/^a\na$/m)
  })

  test('WORKDIR makes its directory owned as --chown=USER would: a numeric USER is its own gid (BuildKit\'s Mkdir WithUser)', () => {
    const out = built([
      `FROM ${BUSYBOX}`,
      "RUN echo 'tooling:x:1234:5678::/home/tooling:/bin/sh' >> /etc/passwd",
      'USER tooling',
      'WORKDIR /by-name',
      'USER 1234',
      'WORKDIR /by-id',
      'USER 4242',
      'WORKDIR /not-in-passwd',
      'USER 4242:99',
      'WORKDIR /with-group',
      'USER root',
      'RUN stat -c "%n %u:%g" /by-name /by-id /not-in-passwd /with-group',
    ])
    expect(out).toMatch(/^\/by-name 1234:5678\n\/by-id 1234:1234\n\/not-in-passwd 4242:4242\n\/with-group 4242:99$/m)
  })

  test('COPY --chmod: symbolic modes (Dockerfile 1.14) change each file\'s own mode; a bad one names its line', () => {
    const out = built([`FROM ${BUSYBOX}`, 'COPY --chmod=+x f /x', 'COPY --chmod=u=rw,go= f /private', 'RUN stat -c "%n %a" /x /private'], { f: 'x\n' })
    expect(out).toMatch(/^\/x 755\n\/private 600$/m)
    const bad = build([newContext({ Dockerfile: `FROM ${BUSYBOX}\nCOPY --chmod=+q f /f\n`, f: '' })])
    expect([bad.status, bad.stderr]).toEqual([1, "mini-run: Dockerfile:2: COPY: invalid chmod parameter: '+q'. it should be octal string and between 0 and 07777\n"])
  })
})
