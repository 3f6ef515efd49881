// `mini-run IMAGE [COMMAND...]`: the form its users type (`mini-run alpine
// sh`). A first word that is no verb is an image: the line means `run
// --rm`, with -i -t when stdin and stdout are terminals. A verb wins.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const PTY_RUN = fileURLToPath(new URL('./helpers/pty-run.py', import.meta.url))

describe.skipIf(!isRoot)('mini-run IMAGE COMMAND (needs root)', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => expect(env.leftovers()).toEqual([]))
  afterAll(() => env?.cleanup())

  it('runs the image and removes the container, without a terminal when there is none', () => {
    const r = env.run([BUSYBOX, 'sh', '-c', 'echo "pid $$"; tty; exit 3'])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('pid 1\nnot a tty\n')
    expect(r.status).toBe(3)
  })

  it('keeps every word after the image for the command, flags included', () => {
    const r = env.run([BUSYBOX, 'echo', '--rm', '-t', 'ps'])
    expect(r.stdout).toBe('--rm -t ps\n')
  })

  it('gives the command a terminal of its own when the caller has one', () => {
    // three times: the command is over before the CLI attaches, and its output must
    // still come (the monitor lingers until the client closed: monitor-attach.c)
    for (let i = 0; i < 3; i++) {
      const out = execFileSync('python3', [PTY_RUN, 'mini-run', '--root', env.storeRoot, '--state', env.stateRoot, BUSYBOX, 'sh', '-c', 'tty; test -t 0 && echo stdin-tty'], {
        encoding: 'utf8',
        env: cliEnv(),
      })
      const result = JSON.parse(out) as { output: string; status: number }
      expect(result.output.replace(/\r/g, '').split('\n').slice(0, 2)).toEqual(['/dev/pts/0', 'stdin-tty'])
      expect(result.status).toBe(0)
    }
  })

  it('takes a verb as the verb, and says so when a word is neither', () => {
    expect(env.run(['ps']).stdout).toMatch(/^CONTAINER ID/)
    // an image nobody serves: the pull goes to a closed port on loopback, nowhere else
    const r = env.run(['127.0.0.1:9/no-such-image-here', 'true'])
    expect(r.status).toBe(125)
    expect(r.stderr).toMatch(/127\.0\.0\.1:9\/no-such-image-here/)
  })
})
