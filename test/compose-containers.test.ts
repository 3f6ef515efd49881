// compose's verbs that make, wait for, list and copy into the services'
// containers (cli/commands/compose-containers.ts): create then start,
// images, wait, scale (and up --scale), cp; as root, in a network namespace
// of the test's own (helpers/netns.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { until } from './helpers/until.js'
import { findHelper } from '../src/network/netavark.js'

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose: create, images, wait, scale, cp (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let n = 0
  /** A project of its own in a new directory: `c(args)` runs compose on it. */
  const project = (yaml: string) => {
    const dir = join(env.dir, `c${++n}`)
    mkdirSync(dir, { recursive: true })
    // the cgroup parent written in: a command run with miniRunAsync has no environment of its own
    writeFileSync(join(dir, 'compose.yaml'), yaml.replaceAll('${CG}', env.cgroupParent))
    const name = `c${n}`
    const args = (more: string[]) => ['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', name, '-f', join(dir, 'compose.yaml'), ...more]
    return Object.assign((more: string[]) => ns.miniRun(args(more), { cwd: dir, timeout: 120_000 }), {
      projectName: name,
      dir,
      /** Not waited for. */
      async: (more: string[]) => ns.miniRunAsync(args(more)),
    })
  }
  const sleeper = (service: string, extra = '') => `  ${service}:\n    image: ${BUSYBOX}\n    command: [sleep, "1000"]\n    init: true\n    cgroup_parent: \${CG}\n${extra}`
  const idOf = (name: string) => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', name]).stdout)[0]?.Id as string | undefined

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
  })
  afterAll(() => {
    for (let i = 1; i <= n; i++) ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `c${i}`, 'down', '-v'], { cwd: join(env.dir, `c${i}`) })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('create makes the containers, network and volume and starts none; start starts them; create again keeps them', () => {
    const c = project(`services:\n${sleeper('a', '    depends_on: [b]\n    volumes: ["data:/data"]\n')}${sleeper('b')}volumes:\n  data:\n`)
    const created = c(['create'])
    expect([created.status, created.stdout]).toEqual([0, ''])
    const lines = created.stderr.split('\n')
    expect(lines).toContain(` Network ${c.projectName}_default  Created`)
    expect(lines).toContain(` Volume ${c.projectName}_data  Created`)
    expect(lines).toContain(` Container ${c.projectName}-a-1  Created`)
    expect(lines).toContain(` Container ${c.projectName}-b-1  Created`)
    expect(created.stderr).not.toMatch(/Start/)
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('a created\nb created\n')
    expect(c(['ps', '-q']).stdout).toBe('')
    const ids = [idOf(`${c.projectName}-a-1`), idOf(`${c.projectName}-b-1`)]

    // create again: the same containers, still not started
    expect(c(['create']).status).toBe(0)
    expect([idOf(`${c.projectName}-a-1`), idOf(`${c.projectName}-b-1`)]).toEqual(ids)
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('a created\nb created\n')

    const started = c(['start'])
    expect(started.status, started.stderr).toBe(0)
    // b first: a depends on it
    expect(started.stderr.indexOf(`Container ${c.projectName}-a-1  Started`)).toBeGreaterThan(started.stderr.indexOf(`Container ${c.projectName}-b-1  Started`))
    expect(c(['ps', '--format', '{{.Service}} {{.State}}']).stdout).toBe('a running\nb running\n')
    expect([idOf(`${c.projectName}-a-1`), idOf(`${c.projectName}-b-1`)]).toEqual(ids)

    // a running one that did not change is left running; --force-recreate replaces it with a Created one
    expect(c(['create']).stderr).toMatch(new RegExp(`Container ${c.projectName}-a-1 {2}Running`))
    const forced = c(['create', '--force-recreate', 'b'])
    expect(forced.status, forced.stderr).toBe(0)
    expect(forced.stderr).toMatch(new RegExp(`Container ${c.projectName}-b-1 {2}Recreated`))
    expect(idOf(`${c.projectName}-b-1`)).not.toBe(ids[1])
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('a running\nb created\n')
    expect(c(['create', '--force-recreate', '--no-recreate']).status).toBe(1)
    // both spellings of one flag, as docker compose's two flags: refused, not the last one kept
    expect(c(['create', '--build', '--no-build']).stderr).toBe('mini-run: --build and --no-build are incompatible\n')
    expect(c(['create', '--no-build', '--build']).stderr).toBe('mini-run: --build and --no-build are incompatible\n')
    // a service neither named nor a dependency is out of the project: scaling it is refused
    expect(c(['create', '--scale', 'a=2', 'b']).stderr).toBe('mini-run: no such service: a: disabled\n')
    // --scale: more containers of the service, made and not started; -y and --quiet-pull are taken
    expect(c(['create', '--scale', 'b=2', '-y', '--quiet-pull', 'b']).status).toBe(0)
    expect(c(['ps', '-a', '--format', '{{.Name}} {{.State}}', 'b']).stdout).toBe(`${c.projectName}-b-1 created\n${c.projectName}-b-2 created\n`)
    expect(c(['create', 'b']).status).toBe(0)
    expect(c(['ps', '-a', '--format', '{{.Name}}', 'b']).stdout).toBe(`${c.projectName}-b-1\n`)

    // a changed service: --no-recreate keeps its container, create alone replaces it (still not started)
    const yaml = readFileSync(join(c.dir, 'compose.yaml'), 'utf8')
    writeFileSync(join(c.dir, 'compose.yaml'), yaml.replace('  b:\n', '  b:\n    environment: {CHANGED: "1"}\n'))
    const b = idOf(`${c.projectName}-b-1`)
    expect(c(['create', '--no-recreate']).status).toBe(0)
    expect(idOf(`${c.projectName}-b-1`)).toBe(b)
    expect(c(['create']).stderr).toMatch(new RegExp(`Container ${c.projectName}-b-1 {2}Recreated`))
    expect(idOf(`${c.projectName}-b-1`)).not.toBe(b)
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('a running\nb created\n')
    expect(c(['down', '-v']).status).toBe(0)
  })

  it('images lists the image of each container of the services, created or running: its name as made, id and size', () => {
    const c = project(`services:\n${sleeper('a')}  w:\n    build: ./w\n    init: true\n    cgroup_parent: \${CG}\n`)
    mkdirSync(join(c.dir, 'w'))
    writeFileSync(join(c.dir, 'w', 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo built > /built\nCMD ["sleep", "1000"]\n`)
    const image = (ref: string) => JSON.parse(ns.miniRun(['--root', env.storeRoot, 'image', 'inspect', ref]).stdout)[0] as { Id: string; Size: number }
    // nothing made yet: the header alone, each column at least 20 wide as docker compose's tabwriter makes them
    expect(c(['images']).stdout).toBe(`${'CONTAINER'.padEnd(20)}${'REPOSITORY'.padEnd(20)}${'TAG'.padEnd(20)}${'IMAGE ID'.padEnd(20)}SIZE\n`)
    expect(c(['create']).status).toBe(0)
    const busybox = image(BUSYBOX)
    const built = image(`${c.projectName}-w`)
    const size = (n: number) => `${Number((n / 1e6).toPrecision(3))}MB`
    const table = c(['images'])
    expect(table.status, table.stderr).toBe(0)
    expect(table.stdout.split('\n').map((l) => l.split(/ {2,}/))).toEqual([
      ['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'],
      [`${c.projectName}-a-1`, 'localhost/test/busybox', 'latest', busybox.Id.slice(7, 19), size(busybox.Size)],
      [`${c.projectName}-w-1`, `${c.projectName}-w`, 'latest', built.Id.slice(7, 19), size(built.Size)],
      [''],
    ])
    expect(table.stdout.split('\n')[0]).toBe(`${'CONTAINER'.padEnd(20)}${'REPOSITORY'.padEnd(25)}${'TAG'.padEnd(20)}${'IMAGE ID'.padEnd(20)}SIZE`)
    expect(c(['images', 'w']).stdout).toMatch(new RegExp(`^CONTAINER .*\\n${c.projectName}-w-1 .*\\n$`))
    expect(c(['up', '-d']).status).toBe(0)
    expect(c(['images', '-q']).stdout).toBe(`${busybox.Id.slice(7)}\n${built.Id.slice(7)}\n`)
    expect(JSON.parse(c(['images', '--format', 'json']).stdout)).toEqual([
      { ID: busybox.Id, ContainerName: `${c.projectName}-a-1`, Repository: 'localhost/test/busybox', Tag: 'latest', Size: busybox.Size },
      { ID: built.Id, ContainerName: `${c.projectName}-w-1`, Repository: `${c.projectName}-w`, Tag: 'latest', Size: built.Size },
    ])
    expect(c(['images', '--format', 'yaml']).status).toBe(1)
    expect(c(['down', '-v', '--rmi', 'local']).status).toBe(0)
  })

  it('wait blocks until the services\' running containers stop, says each exit, and exits with the last one\'s code', async () => {
    const c = project(`services:\n  job:\n    image: ${BUSYBOX}\n    command: sh -c 'until [ -f /tmp/go ]; do sleep 0.1; done; rm /tmp/go; exit 3'\n    init: true\n    cgroup_parent: \${CG}\n${sleeper('other')}`)
    /** up, `compose wait ARGS` in the background, then job told to end; again if wait came too late to see it running. */
    const upThenWait = async (args: string[]) => {
      for (let attempt = 1; ; attempt++) {
        expect(c(['up', '-d']).status).toBe(0)
        const waiting = c.async(['wait', ...args])
        try {
          expect(c(['exec', '-T', 'job', 'touch', '/tmp/go']).status).toBe(0)
          const r = await waiting.done
          if (r.status === 1 && r.stderr.includes('no containers') && attempt < 10) continue
          return r
        } finally {
          waiting.kill()
        }
      }
    }
    const r = await upThenWait(['job'])
    const job = idOf(`${c.projectName}-job-1`)!
    expect([r.status, r.stdout, r.stderr]).toEqual([3, `container "${job}" exited with status code 3\n`, ''])
    // only job was waited for: other is still running
    expect(c(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout).toBe('job exited\nother running\n')
    // nothing of the services runs: nothing to wait for
    const none = c(['wait', 'job'])
    expect([none.status, none.stderr]).toEqual([1, `mini-run: no containers for project "${c.projectName}"\n`])
    expect(c(['wait', 'nosuch']).status).not.toBe(0)

    // --down-project: the project goes once they have stopped
    const downed = await upThenWait(['--down-project', 'job'])
    expect([downed.status, downed.stdout]).toEqual([3, `container "${job}" exited with status code 3\n`])
    expect(c(['ps', '-a', '-q']).stdout).toBe('')
    expect(ns.miniRun(['--root', env.storeRoot, 'network', 'ls', '--format', '{{.Name}}']).stdout).not.toContain(`${c.projectName}_default`)
  })

  it('scale makes the services\' number of containers N, adding or removing the highest-numbered, and leaves the others alone', () => {
    const c = project(`services:\n${sleeper('web', '    depends_on: [db]\n')}${sleeper('db')}${sleeper('other')}`)
    const states = () => c(['ps', '-a', '--format', '{{.Name}} {{.State}}']).stdout
    const ids = () => Object.fromEntries(c(['ps', '-a', '--format', '{{.Name}} {{.ID}}']).stdout.trim().split('\n').map((l) => l.split(' ')))
    expect(c(['up', '-d']).status).toBe(0)
    expect(c(['stop', 'other']).status).toBe(0)
    const before = ids()
    const up = c(['scale', 'web=3'])
    expect(up.status, up.stderr).toBe(0)
    const p = c.projectName
    expect(states()).toBe(`${p}-db-1 running\n${p}-other-1 exited\n${p}-web-1 running\n${p}-web-2 running\n${p}-web-3 running\n`)
    // the containers there were are the same ones
    expect(ids()).toMatchObject(before)
    const down = c(['scale', 'web=1'])
    expect(down.status, down.stderr).toBe(0)
    expect(down.stderr).toMatch(new RegExp(`Container ${p}-web-3 {2}Removed`))
    expect(states()).toBe(`${p}-db-1 running\n${p}-other-1 exited\n${p}-web-1 running\n`)
    expect(ids()).toEqual(before)

    // --no-deps: what web depends on is not started
    expect(c(['stop', 'db']).status).toBe(0)
    expect(c(['scale', '--no-deps', 'web=2', 'other=0']).status).toBe(0)
    expect(states()).toBe(`${p}-db-1 exited\n${p}-web-1 running\n${p}-web-2 running\n`)
    // up --scale: the same, on up's services; a dependency of a service named may be scaled, another not
    expect(c(['up', '-d', '--scale', 'other=2', 'web']).stderr).toBe('mini-run: no such service: other: disabled\n')
    expect(states()).toBe(`${p}-db-1 exited\n${p}-web-1 running\n${p}-web-2 running\n`)
    const dependency = c(['up', '-d', '--scale', 'db=1', 'web'])
    expect(dependency.status, dependency.stderr).toBe(0)
    expect(c(['up', '-d', '--scale', 'web=1', '--scale', 'other=2']).status).toBe(0)
    expect(states()).toBe(`${p}-db-1 running\n${p}-other-1 running\n${p}-other-2 running\n${p}-web-1 running\n`)

    for (const [arg, message] of [
      ['web', 'invalid scale specifier: web'],
      ['web=x', 'invalid scale specifier: can\'t parse replica value as int: web=x'],
      ['nosuch=2', 'no such service: nosuch'],
    ]) {
      const bad = c(['scale', arg!])
      expect([bad.status, bad.stderr]).toEqual([1, `mini-run: ${message}\n`])
    }
    expect(c(['down']).status).toBe(0)
  })

  it('logs --index shows one replica\'s output; it needs one service and a number from 1', async () => {
    const c = project(`services:\n${sleeper('web', '    scale: 2\n')}`.replace('command: [sleep, "1000"]', 'command: [sh, -c, "echo I am $$(hostname); exec sleep 1000"]'))
    const p = c.projectName
    expect(c(['up', '-d']).status).toBe(0)
    const short = (name: string) => idOf(name)!.slice(0, 12)
    await until('both lines', () => c(['logs', '--no-log-prefix', 'web']).stdout.split('\n').length === 3)
    expect(c(['logs', '--index', '2', '--no-log-prefix', 'web']).stdout).toBe(`I am ${short(`${p}-web-2`)}\n`)
    expect(c(['logs', '--index', '1', 'web']).stdout).toMatch(new RegExp(`^web-1 +\\| I am ${short(`${p}-web-1`)}\n$`))
    for (const [args, message] of [
      [['--index', '2'], '--index requires one service to be selected'],
      [['--index', '0', 'web'], 'invalid --index "0": a number from 1'],
    ] as const) {
      const bad = c(['logs', ...args])
      expect([bad.status, bad.stderr]).toEqual([1, `mini-run: ${message}\n`])
    }
    expect(c(['down']).status).toBe(0)
  })

  it('cp copies out of a service\'s first container (or --index\'s), and into each of its containers', () => {
    const c = project(`services:\n${sleeper('web', '    scale: 2\n')}`)
    const p = c.projectName
    expect(c(['up', '-d']).status).toBe(0)
    expect(c(['exec', '-T', '--index', '2', 'web', 'sh', '-c', 'echo two > /tmp/which']).status).toBe(0)
    expect(c(['exec', '-T', 'web', 'sh', '-c', 'echo one > /tmp/which']).status).toBe(0)
    const host = join(c.dir, 'out')
    const out = c(['cp', 'web:/tmp/which', host])
    expect([out.status, out.stdout]).toEqual([0, ''])
    expect(out.stderr).toMatch(new RegExp(`Container ${p}-web-1 {2}Copied`))
    expect(readFileSync(host, 'utf8')).toBe('one\n')
    expect(c(['cp', '--index', '2', 'web:/tmp/which', host]).status).toBe(0)
    expect(readFileSync(host, 'utf8')).toBe('two\n')
    // "-": a tar stream on stdout
    const tar = ns.exec(['sh', '-c', `mini-run --root ${env.storeRoot} --state ${env.stateRoot} compose -p ${p} -f ${c.dir}/compose.yaml cp web:/tmp/which - | tar -xOf -`])
    expect([tar.status, tar.stdout]).toEqual([0, 'one\n'])

    // into the service: each of its containers, stopped ones too
    writeFileSync(join(c.dir, 'in'), 'given\n')
    expect(c(['stop']).status).toBe(0)
    const into = c(['cp', './in', 'web:/tmp/given'])
    expect(into.status, into.stderr).toBe(0)
    expect(c(['start']).status).toBe(0)
    for (const index of ['1', '2']) expect(c(['exec', '-T', '--index', index, 'web', 'cat', '/tmp/given']).stdout).toBe('given\n')
    writeFileSync(join(c.dir, 'in'), 'only two\n')
    expect(c(['cp', '--index', '2', './in', 'web:/tmp/given']).status).toBe(0)
    expect(c(['exec', '-T', 'web', 'cat', '/tmp/given']).stdout).toBe('given\n')
    expect(c(['exec', '-T', '--index', '2', 'web', 'cat', '/tmp/given']).stdout).toBe('only two\n')

    for (const [args, message] of [
      [['--index', '3', 'web:/tmp/which', host], 'service "web" is not running container #3'],
      [['web:/tmp/which', 'web:/tmp/x'], 'copying between services is not supported'],
      [['nosuch:/tmp/which', host], 'no such service: nosuch'],
      [['web:/tmp/nothing-here', host], `Could not find the file /tmp/nothing-here in container ${p}-web-1`],
    ] as const) {
      const bad = c(['cp', ...args])
      expect([bad.status, bad.stderr.split('\n').filter((l) => l.startsWith('mini-run: '))]).toEqual([1, [`mini-run: ${message}`]])
    }
    expect(c(['down']).status).toBe(0)
  })

  it('up, create and run check external networks, external volumes and bind sources first: a file naming one that is not there makes nothing', () => {
    const names = (what: 'network' | 'volume') => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, what, 'ls', '--format', '{{.Name}}']).stdout
    const before = { networks: names('network'), volumes: names('volume') }
    const uses = (extra: string, top: string) => project(`services:\n${sleeper('app', extra)}${top}`)
    for (const [c, line] of [
      [uses('    volumes: [own:/own, ext:/ext]\n', 'volumes:\n  own: {}\n  ext: {external: true}\n'), 'compose.yaml: volumes.ext: volume ext declared as external, but could not be found'],
      [uses('    networks: [own, extn]\n', 'networks:\n  own: {}\n  extn: {external: true}\n'), 'compose.yaml: networks.extn: network extn declared as external, but could not be found'],
      [uses('    volumes: [own:/own, {type: bind, source: ./nothere, target: /x, bind: {create_host_path: false}}]\n', 'volumes:\n  own: {}\n'), 'compose.yaml: services.app.volumes: bind source path does not exist: '],
    ] as const) {
      for (const verb of [['up', '-d'], ['create'], ['run', '--rm', 'app', 'true']]) {
        const r = c(verb)
        expect(r.status, verb.join(' ')).toBe(1)
        expect(r.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('WARNING'))).toEqual([expect.stringContaining(line)])
        expect({ networks: names('network'), volumes: names('volume') }).toEqual(before)
        expect(c(['ps', '-a', '-q']).stdout).toBe('')
      }
    }
  })

  it('leaves nothing behind once each project is down', () => {
    for (let i = 1; i <= n; i++) expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', `c${i}`, 'down', '-v'], { cwd: join(env.dir, `c${i}`) }).status).toBe(0)
    expect(env.leftovers()).toEqual([])
  })
})
