// run -a/--attach as Docker's: a foreground run shows only the streams named
// (any case, repeatable), stdout and stderr when none is; with neither output
// stream it prints the container's id, as Docker's run does; -a with -d and a
// stream that is not one are refused. The launcher's own parser and
// commander's take the same flag (run-line-parse.test.ts's property): the
// plain lines go the launcher's way, --restart ones commander's and the
// monitor's (attach-session.ts), and -t's output through the pty relay.
import { describe, expect, it } from 'vitest'
import { shownStreams } from '../src/cli/run-flags.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'

const BOTH = ['sh', '-c', 'echo out; echo err >&2; exit 3']

describe('-a parsing', () => {
  it('names streams in any case; none named is stdout and stderr', () => {
    expect(shownStreams({ attach: [] })).toEqual({ stdout: true, stderr: true })
    expect(shownStreams({ attach: ['STDERR'] })).toEqual({ stdout: false, stderr: true })
    expect(shownStreams({ attach: ['stdout', 'Stderr'] })).toEqual({ stdout: true, stderr: true })
    expect(shownStreams({ attach: ['stdin'] })).toEqual({ stdout: false, stderr: false })
    expect(() => shownStreams({ attach: ['stdio'] })).toThrow('invalid argument "stdio" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR')
    expect(() => shownStreams({ attach: ['stdout'], detach: true })).toThrow('conflicting options: cannot specify both --attach and --detach')
    expect(shownStreams({ attach: [], detach: true })).toEqual({ stdout: true, stderr: true })
  })
})

describe.skipIf(!isRoot)('run -a (needs root)', () => {
  const cli = useCliEnv()

  const run = (flags: string[], input?: string) => cli.env.run(['run', '--rm', '--cgroup-parent', cli.env.cgroupParent, ...flags], input === undefined ? {} : { input })

  it('shows only the streams named, with the container\'s exit code', () => {
    expect(run(['-a', 'stderr', BUSYBOX, ...BOTH])).toMatchObject({ stdout: '', stderr: 'err\n', status: 3 })
    expect(run(['--attach=STDOUT', BUSYBOX, ...BOTH])).toMatchObject({ stdout: 'out\n', stderr: '', status: 3 })
    expect(run(['-a', 'stdout', '-a', 'stderr', BUSYBOX, ...BOTH])).toMatchObject({ stdout: 'out\n', stderr: 'err\n', status: 3 })
    expect(run([BUSYBOX, ...BOTH])).toMatchObject({ stdout: 'out\n', stderr: 'err\n', status: 3 })
  })

  it('with neither output stream, prints the container\'s id; -i still gives stdin', () => {
    const r = run(['-a', 'stdin', '-i', BUSYBOX, 'sh', '-c', 'cat > /tmp/in; echo out; echo err >&2'], 'typed')
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/)
    expect(r.status).toBe(0)
    // stdin was attached: the command read it to its end and exited
    expect(run(['-i', '-a', 'stdout', BUSYBOX, 'cat'])).toMatchObject({ stdout: '', status: 0 })
    const piped = run(['-i', '-a', 'stdout', BUSYBOX, 'cat'], 'typed\n')
    expect(piped).toMatchObject({ stdout: 'typed\n', stderr: '', status: 0 })
  })

  it('-t: the terminal\'s output is stdout\'s', () => {
    expect(run(['-t', '-a', 'stderr', BUSYBOX, ...BOTH])).toMatchObject({ stdout: '', stderr: '', status: 3 })
    expect(run(['-t', '-a', 'stdout', BUSYBOX, ...BOTH])).toMatchObject({ stdout: 'out\r\nerr\r\n', stderr: '', status: 3 })
  })

  it('a run under a monitor (--restart) shows the same streams', () => {
    // no --rm: Docker refuses it with a restart policy
    const r = cli.env.run(['run', '--restart', 'on-failure:1', '-a', 'stderr', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sh', '-c', 'echo out; echo err >&2'])
    expect(r).toMatchObject({ stdout: '', stderr: 'err\n', status: 0 })
  })

  it('refuses a stream that is not one, and -a with -d, before anything starts (125), by either parser', () => {
    const message = 'mini-run: invalid argument "stdio" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR\n'
    expect(run(['-a', 'stdio', BUSYBOX, 'true'])).toMatchObject({ stdout: '', stderr: message, status: 125 })
    expect(run(['--restart', 'no', '-a', 'stdio', BUSYBOX, 'true'])).toMatchObject({ stdout: '', stderr: message, status: 125 })
    expect(cli.env.run(['run', '-d', '-a', 'stdout', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'true'])).toMatchObject({
      stdout: '', stderr: 'mini-run: conflicting options: cannot specify both --attach and --detach\n', status: 125,
    })
  })
})
