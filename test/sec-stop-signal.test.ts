// The security issue: an image whose StopSignal is not a signal ("SIGBOGUS")
// made `stop` fail and left the container running. It is now checked when
// the container is created: run warns once and records SIGTERM. A bad
// --stop-signal flag stays an error. Docker's other spellings are accepted,
// the real-time signals ("SIGRTMIN+3") included.
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeOciLayout } from '../src/image/oci-layout.js'
import { ImageStore } from '../src/image/store.js'
import { imageStopSignal, parseSignal } from '../src/runtime/spec/signals.js'
import { BUSYBOX, BUSYBOX_ROOTFS, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { trapped } from './helpers/trapped.js'
import { loadArchive } from '../src/image/load-archive.js'

describe('signal names', () => {
  it('take Docker\'s forms: SIGTERM, TERM, term, 15, and SIGRTMIN+n / RTMAX-n as glibc counts them', () => {
    for (const text of ['SIGTERM', 'TERM', 'term', 'SigTerm', '15']) expect(parseSignal(text), text).toBe('SIGTERM')
    expect(parseSignal('9')).toBe('SIGKILL')
    expect(parseSignal('SIGRTMIN+3')).toBe(37)
    expect(parseSignal('rtmin')).toBe(34)
    expect(parseSignal('RTMIN+0')).toBe(34)
    expect(parseSignal('SIGRTMAX-1')).toBe(63)
    expect(parseSignal('RTMAX')).toBe(64)
    expect(parseSignal('37')).toBe(37)
    expect(parseSignal('64')).toBe(64)
  })

  it('refuse anything else', () => {
    for (const text of ['SIGBOGUS', 'BOGUS', '', '0', '65', '-1', 'SIG', 'RTMIN-1', 'RTMAX+1', 'RTMIN+31', 'SIGRTMIN+', '1e1', ' 15', 'TERM ']) {
      expect(() => parseSignal(text), JSON.stringify(text)).toThrow(`invalid signal: ${text}`)
    }
  })

  it('turn a bad image StopSignal into SIGTERM and a warning', () => {
    expect(imageStopSignal('SIGBOGUS')).toEqual({
      signal: 'SIGTERM', warning: 'image StopSignal "SIGBOGUS" is not a signal: stop will send SIGTERM',
    })
    expect(imageStopSignal('SIGRTMIN+3')).toEqual({ signal: 'SIGRTMIN+3' })
  })
})

const BOGUS = 'localhost/test/stop-bogus:1'
const RTMIN3 = 'localhost/test/stop-rtmin3:1'

describe.skipIf(!isRoot)('stop with an image\'s StopSignal (needs root)', () => {
  let env: TestEnv
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  /** Until the container's shell has set its trap for signal number sig: stop sent before it would end in SIGKILL (helpers/trapped.ts). */
  const waitForTrap = (id: string, sig: number) => trapped(inspect(id).State.Pid as number, sig)
  beforeAll(async () => {
    env = await makeTestEnv()
    const store = new ImageStore({ root: env.storeRoot })
    // PID 1 gets no default action for a signal it has no handler for: the
    // traps show which signal stop sent (SIGKILL would give 137)
    const images: [string, string, string][] = [
      [BOGUS, 'SIGBOGUS', 'trap "exit 3" TERM; while :; do sleep 0.1; done'],
      [RTMIN3, 'SIGRTMIN+3', 'trap "exit 4" 37; trap "" TERM; while :; do sleep 0.1; done'],
    ]
    for (const [name, stopSignal, script] of images) {
      const layout = join(env.dir, `${name.split('/').pop()!.replace(':', '-')}-oci`)
      await writeOciLayout(layout, {
        name,
        config: { config: { StopSignal: stopSignal, Cmd: ['sh', '-c', script] } },
        layers: [{ dir: BUSYBOX_ROOTFS }],
      })
      await loadArchive(store, layout, { name })
    }
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('warns once at run -d, records SIGTERM, and stop -t 2 stops the container with it', async () => {
    const run = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, BOGUS])
    expect(run.stderr).toBe('mini-run: image StopSignal "SIGBOGUS" is not a signal: stop will send SIGTERM\n')
    expect(run.status).toBe(0)
    const id = run.stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(inspect(id).Config.StopSignal).toBe('SIGTERM')
    await waitForTrap(id, 15)
    const stop = env.run(['stop', '-t', '2', id])
    expect(stop.stderr).toBe('')
    expect(stop.status).toBe(0)
    expect(inspect(id).State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3 })
    expect(env.run(['rm', id]).status).toBe(0)
  })

  it('sends a real-time StopSignal (SIGRTMIN+3 is 37), without a warning', async () => {
    const run = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, RTMIN3])
    expect(run.stderr).toBe('')
    const id = run.stdout.trim()
    await waitForTrap(id, 37)
    const stop = env.run(['stop', '-t', '5', id])
    expect(stop.stderr).toBe('')
    expect(stop.status).toBe(0)
    expect(inspect(id).State).toMatchObject({ Status: 'exited', ExitCode: 4 })
    expect(env.run(['rm', id]).status).toBe(0)
  })

  it('still refuses a bad --stop-signal flag (125), and the flag wins over the image without a warning', async () => {
    const bad = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '--stop-signal', 'SIGBOGUS', BUSYBOX, 'true'])
    expect(bad.stderr).toBe('mini-run: invalid signal: SIGBOGUS\n')
    expect(bad.status).toBe(125)
    const flag = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, '--stop-signal', 'TERM', BOGUS])
    expect(flag.stderr).toBe('')
    const id = flag.stdout.trim()
    expect(inspect(id).Config.StopSignal).toBe('TERM')
    await waitForTrap(id, 15)
    expect(env.run(['stop', '-t', '2', id]).status).toBe(0)
    expect(inspect(id).State).toMatchObject({ Status: 'exited', ExitCode: 3 })
    expect(env.run(['rm', id]).status).toBe(0)
  })
})
