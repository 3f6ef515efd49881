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
import { hostPlatform } from '../src/image/platform.js'
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
})
