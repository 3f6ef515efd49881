/**
 * Fault injection: MINI_RUN_CRASH_AT=<point> makes mini-run kill itself
 * with SIGKILL when it reaches that point, as a crash or a kill -9 would.
 * It is read in every build (one comparison of an environment variable per
 * point): tests run the CLI as users do. test/reliability-crash-points.test.ts
 * walks every point below and checks that the next command finds a state it
 * handles (`system check` clean, the next pull or run working, `rm -f`
 * removing what was left).
 */

import { existsSync, writeFileSync } from 'node:fs'

/** Every point, by the operations that pass it, in the order they do. */
export const CRASH_POINTS = {
  pull: [
    'pull:after-lease',
    'pull:mid-layer',
    'layer:before-rename',
    'layer:after-rename',
    'pull:after-layers',
    'pull:before-ref',
    'ref:before-write',
  ],
  load: ['load:after-config', 'layer:before-rename', 'layer:after-rename', 'load:before-ref', 'ref:before-write'],
  run: ['start:before-state', 'state:before-name', 'state:before-write', 'start:after-state', 'start:before-clone', 'start:after-clone', 'run:after-exit', 'state:half-removed'],
  'run -d': ['start:before-state', 'state:before-name', 'state:before-write', 'start:after-state', 'start:before-clone', 'start:after-clone', 'detach:before-running'],
  rm: ['rm:after-kill', 'rm:before-state', 'state:half-removed'],
  rmi: ['rmi:after-untag'],
  prune: ['prune:after-untag', 'prune:after-layer', 'prune:after-delete'],
} as const

export type CrashPoint = (typeof CRASH_POINTS)[keyof typeof CRASH_POINTS][number]

export function crashPoint(name: CrashPoint): void {
  if (process.env.MINI_RUN_CRASH_AT === name) process.kill(process.pid, 'SIGKILL')
}

/**
 * Where a race can be held open, for a test to act in between: with
 * MINI_RUN_PAUSE_AT=<point> and MINI_RUN_PAUSE_FILE=<file>, mini-run writes
 * its pid to <file>.paused when it reaches the point, then waits until
 * <file> exists (test/restart-race.test.ts, test/remove-race.test.ts, test/build-cache-prune.test.ts, test/update-container.test.ts,
 * test/network-isolation-race.test.ts, test/network-link.test.ts), a minute at most: a point may
 * hold a lock others wait for.
 */
export const PAUSE_POINTS = ['restart:before-write', 'run:removing', 'build:cache-mount-opened', 'update:before-write', 'run:before-host-steps', 'start:before-host-steps', 'isolation:after-read', 'links:before-note'] as const

export function pausePoint(name: (typeof PAUSE_POINTS)[number]): void {
  const file = process.env.MINI_RUN_PAUSE_FILE
  if (process.env.MINI_RUN_PAUSE_AT !== name || !file) return
  writeFileSync(`${file}.paused`, String(process.pid))
  const wait = new Int32Array(new SharedArrayBuffer(4))
  for (const end = Date.now() + 60_000; !existsSync(file) && Date.now() < end; ) Atomics.wait(wait, 0, 0, 20)
}
