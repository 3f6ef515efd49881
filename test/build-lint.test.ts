/**
 * `build --check` / `lint` (src/build/lint.ts): each of the common mistakes
 * is reported with its line, and a Dockerfile without them gets nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { BuildContext, parseDockerignore } from '../src/build/build-context.js'
import { parseDockerfile } from '../src/build/dockerfile.js'
import { lintDockerfile } from '../src/build/lint.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const rules = (text: string, context?: BuildContext) => lintDockerfile(parseDockerfile(text), context).map((w) => `${w.line} ${w.rule}`)

test('every rule, with its line', () => {
  const text = [
    'FROM debian', // 1: untagged
    'ARG GITHUB_TOKEN', // 2
    'ENV DB_PASSWORD=hunter2 MODE=prod', // 3
    'ENV AWS_SECRET_ACCESS_KEY abc', // 4: legacy form
    'RUN apt-get update && apt-get install -y curl', // 5
    'ADD app.conf /etc/', // 6
    'COPY id_rsa /root/.ssh/', // 7
    'FROM node:latest', // 8
  ].join('\n')
  expect(rules(text)).toEqual([
    '1 latest-base',
    '2 secret-env',
    '3 secret-env',
    '4 secret-env',
    '5 apt-lists',
    '6 add-instead-of-copy',
    '7 secret-file',
    '8 latest-base',
    '8 root-user',
  ])
})

test('nothing to say about a careful Dockerfile', () => {
  const text = [
    'FROM debian:12.5 AS build',
    'RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*',
    'ADD vendor.tar.gz /opt/',
    'RUN --mount=type=secret,id=token make',
    'FROM build',
    'COPY --from=build /opt /opt',
    'USER 1000',
  ].join('\n')
  expect(rules(text)).toEqual([])
})

test('root-user looks at the stage a build --target makes, not the last one of the file', () => {
  const text = ['FROM debian:12.5 AS final', 'USER app', 'FROM final AS debug', 'USER root'].join('\n')
  const lint = (target?: string) => lintDockerfile(parseDockerfile(text), undefined, target).map((w) => `${w.line} ${w.rule}`)
  expect(lint()).toEqual(['4 root-user'])
  expect(lint('final')).toEqual([])
  expect(lint('0')).toEqual([])
  expect(lint('debug')).toEqual(['4 root-user'])
})

test('COPY . brings along what .dockerignore does not exclude', () => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-lint-'))
  mkdirSync(join(dir, 'keys'))
  for (const f of ['app.js', '.env', 'keys/server.pem', 'keys/readme']) writeFileSync(join(dir, f), 'x')
  const text = 'FROM busybox:1.36\nCOPY . /app\nUSER nobody'
  expect(lintDockerfile(parseDockerfile(text), new BuildContext(dir, [])).map((w) => w.message)).toEqual([
    expect.stringMatching(/^COPY copies \.env, which looks like a secret/),
    expect.stringMatching(/^COPY copies keys\/server\.pem/),
  ])
  expect(rules(text, new BuildContext(dir, parseDockerignore('.env\n*.pem\nkeys/*.pem\n')))).toEqual([])
})

test('nor what COPY --exclude leaves out (by the path below DEST, or a named file\'s own name)', () => {
  dir = mkdtempSync(join(tmpdir(), 'mini-run-lint-'))
  mkdirSync(join(dir, 'keys'))
  for (const f of ['app.js', '.env', 'keys/server.pem', 'keys/readme']) writeFileSync(join(dir, f), 'x')
  const lint = (copy: string) => rules(`FROM busybox:1.36\n${copy}\nUSER nobody`, new BuildContext(dir, []))
  expect(lint('COPY --exclude=.env --exclude="**/*.pem" . /app')).toEqual([])
  // `*.pem` is the top level's only, as in .dockerignore
  expect(lint('COPY --exclude=.env --exclude=*.pem . /app')).toEqual(['2 secret-file'])
  expect(lint('COPY --exclude=*.pem keys/server.pem /app/')).toEqual([])
  expect(lint('COPY --exclude=*.pem keys /app/')).toEqual([])
})
