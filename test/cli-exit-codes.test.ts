// mini-run's exit codes for its own failures, through the CLI, as Docker's
// CLI gives them (src/cli/exit-codes.ts): 125 for a flag that cannot be
// parsed, whatever the verb, and for run's and create's errors; 1 for
// every other verb's error, compose's included; the codes of the command
// (exec's 126/127) and of the container pass through.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeContext } from './helpers/build.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe.skipIf(!isRoot)('exit codes as Docker\'s CLI gives them (needs root)', () => {
  let env: TestEnv
  /** [status, first line of stderr] */
  const outcome = (args: string[]) => {
    const r = env.run(args)
    return [r.status, r.stderr.split('\n')[0]] as const
  }
  beforeAll(async () => {
    env = await makeTestEnv()
    expect(env.run(['create', '--name', 'stopped', BUSYBOX, 'true']).status).toBe(0)
    expect(env.run(['run', '-d', '--name', 'running', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60']).status).toBe(0)
  })
  afterAll(() => env?.cleanup())

  it('a flag that cannot be parsed: 125 for every verb (1 under compose)', () => {
    expect(outcome(['ps', '--bogus'])).toEqual([125, 'unknown flag: --bogus'])
    expect(outcome(['logs', '--bogus', 'stopped'])).toEqual([125, 'unknown flag: --bogus'])
    expect(outcome(['network', 'ls', '--bogus'])).toEqual([125, 'unknown flag: --bogus'])
    expect(outcome(['logs', 'stopped', '--tail'])).toEqual([125, "flag needs an argument: 'n' in -n"])
    // int flags in Docker's CLI, which its flag library refuses
    expect(outcome(['ps', '-n', 'abc'])).toEqual([125, 'mini-run: invalid argument "abc" for "-n, --last" flag: not a number'])
    expect(outcome(['stop', '-t', 'abc', 'running'])).toEqual([125, 'mini-run: invalid argument "abc" for "-t, --timeout" flag: strconv.ParseInt: parsing "abc": invalid syntax'])
    expect(outcome(['compose', '--bogus'])).toEqual([1, 'unknown flag: --bogus'])
  })

  it('a command group named alone shows its help on stderr and exits 0, as docker/cli\'s ShowHelp; an unknown command of a group exits 1', () => {
    for (const group of ['network', 'volume', 'image', 'container', 'system', 'compose', 'manifest']) {
      const r = env.run([group])
      expect([group, r.status, r.stdout, r.stderr.split('\n')[0]]).toEqual([group, 0, '', `Usage: mini-run ${group} [options] [command]`])
    }
    expect(outcome(['network', 'nosuch'])).toEqual([1, 'unknown command: nosuch'])
    // help of a topic there is none of: Docker's `unknown help topic`, exit 1
    expect(env.run(['help', 'nosuch']).status).toBe(1)
    expect(env.run(['network', 'help', 'nosuch']).status).toBe(1)
  })

  it('every verb but run and create: 1 for its errors, its arguments\' too', () => {
    const dup = env.run(['network', 'create', 'dup'])
    expect(dup.status).toBe(0)
    const cases: [string[], string][] = [
      [['exec', 'nosuch', 'true'], 'mini-run: no such container: nosuch'],
      [['exec', 'stopped', 'true'], expect.stringMatching(/^mini-run: container [0-9a-f]{12} is not running$/) as unknown as string],
      [['logs', 'nosuch'], 'mini-run: no such container: nosuch'],
      [['stats', '--no-stream', 'nosuch'], 'mini-run: no such container: nosuch'],
      [['top', 'stopped'], expect.stringMatching(/^mini-run: Container [0-9a-f]{12} is not running$/) as unknown as string],
      [['attach', 'stopped'], 'mini-run: You cannot attach to a stopped container, start it first'],
      [['rename', 'stopped', 'stopped'], 'mini-run: Renaming a container with the same name as its current name'],
      [['tag', 'nosuch', 'foo'], 'mini-run: no such image: nosuch'],
      [['cp', 'nosuch:/x', env.dir], 'mini-run: no such container: nosuch'],
      [['kill', '-s', 'BOGUS', 'running'], 'mini-run: invalid signal: BOGUS'],
      [['ps', '-f', 'bogus=1'], "mini-run: invalid filter 'bogus'"],
      [['network', 'create', 'dup'], 'mini-run: network with name dup already exists'],
      [['rm'], '"mini-run rm" requires at least 1 argument.'],
      [['container', 'nosuch'], 'unknown command: nosuch'],
      [['compose', '-f', join(env.dir, 'absent.yml'), 'config'], expect.stringContaining('absent.yml') as unknown as string],
    ]
    for (const [args, line] of cases) expect({ args, outcome: outcome(args) }).toEqual({ args, outcome: [1, line] })
    expect(env.run(['network', 'rm', 'dup']).status).toBe(0)
  })

  it('a build\'s errors: 1 (an unknown instruction, a missing COPY source)', () => {
    const unknown = writeContext(join(env.dir, 'unknown-instruction'), { Dockerfile: `FROM ${BUSYBOX}\nFROBNICATE x\n` })
    expect(outcome(['build', '-q', unknown])[0]).toBe(1)
    const missing = writeContext(join(env.dir, 'missing-source'), { Dockerfile: `FROM ${BUSYBOX}\nCOPY absent /x\n` })
    expect(outcome(['build', '-q', missing])[0]).toBe(1)
  })

  it('run and create, under container too and as `mini-run IMAGE`: 125 for their errors', () => {
    const absent = 'localhost/test/absent:1'
    for (const args of [['run', '--pull', 'never', absent], ['create', '--pull', 'never', absent], ['container', 'run', '--pull', 'never', absent], ['container', 'create', '--pull', 'never', absent]]) {
      expect({ args, outcome: outcome(args) }).toEqual({ args, outcome: [125, expect.stringContaining(absent)] })
    }
    // `mini-run IMAGE`: an image nobody serves, pulled from a closed port on loopback
    expect(outcome(['127.0.0.1:9/absent:1'])[0]).toBe(125)
  })

  it('the command\'s and the container\'s codes pass through: exec 127 and 126, start -a, run', () => {
    expect(outcome(['exec', 'running', 'no-such-command'])[0]).toBe(127)
    expect(outcome(['exec', 'running', '/etc/passwd'])[0]).toBe(126)
    expect(outcome(['exec', 'running', 'sh', '-c', 'exit 3'])[0]).toBe(3)
    expect(outcome(['run', '--rm', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sh', '-c', 'exit 7'])[0]).toBe(7)
  })
})
