// Compose's lifecycle hooks (src/compose/hooks.ts): post_start and
// pre_stop run in the service's container as Docker Compose runs them;
// loading without root, a stack as root in a network namespace of its own.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configYaml } from '../src/compose/config-document.js'
import { loadProject } from '../src/compose/load.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

describe('compose hooks: loading', () => {
  it('reads post_start and pre_stop as compose-go does, and prints them back', () => {
    const dir = mkdtempSync('/tmp/mini-run-compose-hooks-')
    try {
      writeFileSync(
        join(dir, 'compose.yaml'),
        'services:\n  a:\n    image: busybox\n    post_start:\n      - command: echo hi\n        user: "1000"\n        privileged: true\n        working_dir: /tmp\n        environment: [A=1]\n    pre_stop:\n      - command: [sh, -c, "echo bye"]\n',
      )
      const { project } = loadProject({ cwd: dir, env: {} })
      const a = project.services.a!
      expect(a.postStart).toEqual([{ command: ['echo', 'hi'], user: '1000', privileged: true, workingDir: '/tmp', environment: { A: '1' } }])
      expect(a.preStop).toEqual([{ command: ['sh', '-c', 'echo bye'], environment: {} }])
      expect(configYaml(project)).toContain('    post_start:\n      - command:\n          - echo\n          - hi\n        user: "1000"\n        privileged: true\n        working_dir: /tmp\n        environment:\n          A: "1"\n')
      writeFileSync(join(dir, 'compose.yaml'), 'services:\n  a:\n    image: busybox\n    post_start:\n      - user: root\n')
      expect(() => loadProject({ cwd: dir, env: {} })).toThrow(/^compose\.yaml: services\.a\.post_start\[0\]/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose hooks in a running stack (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let dir: string
  const c = (more: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'hk', '-f', join(dir, 'compose.yaml'), ...more], { cwd: dir, timeout: 120_000 })
  const log = () => readFileSync(join(dir, 'shared', 'log'), 'utf8')
  const drains = () => spawnSync('pgrep', ['-f', '^mini-run-hook-drain$']).status === 0

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    dir = join(env.dir, 'hk')
    mkdirSync(join(dir, 'shared'), { recursive: true, mode: 0o777 })
    // the post_start hook writes as uid 1000
    writeFileSync(join(dir, 'shared', 'log'), '', { mode: 0o666 })
    chmodSync(join(dir, 'shared'), 0o777)
    chmodSync(join(dir, 'shared', 'log'), 0o666)
    const common = [`    image: ${BUSYBOX}`, '    command: [sleep, "1000"]', '    init: true', `    cgroup_parent: ${env.cgroupParent}`, '    volumes: ["./shared:/shared"]']
    writeFileSync(
      join(dir, 'compose.yaml'),
      [
        'services:',
        '  app:',
        ...common,
        '    post_start:',
        '      - command: sh -c \'echo "start $$HOOK_VAR $$(id -u) $$(pwd)" >> /shared/log; echo hello from the hook\'',
        '        user: "1000"',
        '        working_dir: /tmp',
        '        environment: {HOOK_VAR: x}',
        '    pre_stop:',
        '      - command: sh -c \'echo stop >> /shared/log\'',
        '  bad:',
        ...common,
        '    profiles: [bad]',
        '    post_start:',
        '      - command: sh -c \'echo progress; echo oops >&2; exit 3\'',
        '  slow:',
        ...common,
        '    profiles: [slow]',
        '    post_start:',
        // a line, then a wait the test ends once it has seen that line; the last line has no newline
        '      - command: sh -c \'echo waiting; while [ ! -e /shared/go ]; do sleep 0.1; done; printf done\'',
        // children left in the background hold the hook's output open: one for good, one that writes to it after the verb has ended
        '      - command: sh -c \'sleep 1000 & (sleep 4; echo late && touch /shared/alive) & echo left a child\'',
        '',
      ].join('\n'),
    )
  })
  afterAll(() => {
    ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'hk', '-f', join(dir, 'compose.yaml'), '--profile', 'bad', '--profile', 'slow', 'down'], { cwd: dir })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('up runs post_start in the container, as its user, in its directory, with its variables; its output is shown', () => {
    const up = c(['up', '-d'])
    expect(up.status, up.stderr).toBe(0)
    expect(up.stderr).toContain('hk-app-1 -> hello from the hook\n')
    expect(log()).toBe('start x 1000 /tmp\n')
  })

  it('restart runs pre_stop, then post_start; stop runs pre_stop; start runs post_start', () => {
    expect(c(['restart']).status).toBe(0)
    expect(log()).toBe('start x 1000 /tmp\nstop\nstart x 1000 /tmp\n')
    expect(c(['stop']).status).toBe(0)
    expect(c(['start']).status).toBe(0)
    expect(log()).toBe('start x 1000 /tmp\nstop\nstart x 1000 /tmp\nstop\nstart x 1000 /tmp\n')
  })

  it('run, in the foreground and with -d, runs post_start in the one-off container too', () => {
    writeFileSync(join(dir, 'shared', 'log'), '')
    // the command starts with the container, the hook just after: it waits for the hook's line (10 s at most)
    const fg = c(['run', '--rm', 'app', 'sh', '-c', 'for i in $(seq 100); do [ -s /shared/log ] && break; sleep 0.1; done; cat /shared/log'])
    expect(fg.status, fg.stderr).toBe(0)
    expect(fg.stdout).toBe('start x 1000 /tmp\n')
    const bg = c(['run', '-d', '--rm', 'app'])
    expect(bg.status, bg.stderr).toBe(0)
    expect(log()).toBe('start x 1000 /tmp\nstart x 1000 /tmp\n')
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'rm', '-f', bg.stdout.trim()]).status).toBe(0)
  })

  it('a hook that fails fails the verb with its status and its stderr\'s last lines', () => {
    const up = c(['--profile', 'bad', 'up', '-d', 'bad'])
    expect(up.status).toBe(1)
    expect(up.stderr).toContain('hk-bad-1 -> progress\n')
    expect(up.stderr.trim().split('\n').at(-1)).toBe('mini-run: compose.yaml: services.bad: bad hook exited with status 3: oops')
    // what this up made goes with it: the container whose hook failed
    expect(c(['--profile', 'bad', 'ps', '-a', '--format', '{{.Service}}']).stdout).toBe('app\n')
  })

  it('a hook\'s lines are shown as they come, not when it ends; a child it leaves holding its output does not hold the verb', async () => {
    const up = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'hk', '-f', join(dir, 'compose.yaml'), '--profile', 'slow', 'up', '-d', 'slow'], undefined, dir)
    try {
      await until('the hook\'s first line, while it runs', () => up.errors().includes('hk-slow-1 -> waiting\n'), 60_000)
      expect(up.child.exitCode).toBe(null)
      expect(up.errors()).not.toContain('-> done')
      writeFileSync(join(dir, 'shared', 'go'), '')
      const done = await up.done
      expect(done.status, done.stderr).toBe(0)
      expect(done.stderr).toContain('hk-slow-1 -> done\n')
      expect(done.stderr).toContain('hk-slow-1 -> left a child\n')
      // what the child writes later goes to a drain: no SIGPIPE ends it
      await until('the child to write after the verb ended, and live on', () => existsSync(join(dir, 'shared', 'alive')), 15_000)
      expect(done.stderr).not.toContain('late')
      expect(drains()).toBe(true)
    } finally {
      up.kill()
    }
  })

  it('down runs pre_stop before it stops the container', async () => {
    writeFileSync(join(dir, 'shared', 'log'), '')
    expect(c(['--profile', 'bad', '--profile', 'slow', 'down']).status).toBe(0)
    expect(log()).toBe('stop\n')
    // the drain ends with the last writer: the container's processes are gone
    await until('the hook\'s drain to end with the container', () => !drains(), 10_000)
  })
})
