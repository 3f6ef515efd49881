// A SIGUSR1 to a mini-run that passes it to no container does nothing, as
// to Docker's CLI. Node's default would open its inspector on
// 127.0.0.1:9229, where any local user could connect and run code as the
// signalled mini-run: root, for a monitor, a build, a compose up. Shown on
// `events`, a long verb of the whole CLI; the listener is the launcher's,
// before any verb runs.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { useCliEnv } from './helpers/cli-env.js'
import { isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

/** Whether pid's network namespace has a TCP socket listening on port (state 0A in /proc/net/tcp). */
function listening(pid: number, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  return readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').some((l) => {
    const f = l.trim().split(/\s+/)
    return f[1]?.endsWith(`:${hex}`) === true && f[3] === '0A'
  })
}

describe.skipIf(!isRoot)('SIGUSR1 (needs root: the volumes that make the events are root\'s here)', () => {
  const cli = useCliEnv()
  const { ok } = cli

  it('leaves events running, with no inspector opened', async () => {
    // --since: the first volume may be made before events has started reading
    const since = (Date.now() / 1000 - 1).toFixed(3)
    const ev = miniRunAsync(['--root', cli.env.storeRoot, '--state', cli.env.stateRoot, 'events', '--since', since, '--format', '{{.Type}} {{.Action}} {{.Actor.ID}}'])
    try {
      ok(['volume', 'create', 'usr1-before'])
      await until('events to print the first volume', () => /^volume create usr1-before$/m.test(ev.output()))
      ev.child.kill('SIGUSR1')
      ok(['volume', 'create', 'usr1-after'])
      await until('events to print the second volume', () => /^volume create usr1-after$/m.test(ev.output()))
      expect(ev.child.exitCode).toBeNull()
      expect(listening(ev.child.pid!, 9229)).toBe(false)
    } finally {
      ev.child.kill('SIGTERM')
    }
    const r = await ev.done
    expect(r.stderr).not.toMatch(/Debugger|inspector/i)
    ok(['volume', 'rm', 'usr1-before', 'usr1-after'])
  })
})
