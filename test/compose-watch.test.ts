// compose watch, as a user runs it: a web service built from a Dockerfile
// (busybox httpd) behind a published port, with develop.watch triggers of
// each action; `compose watch` in the background, files changed on the
// host, and the page fetched through the port until it shows the change.
// Then its Ctrl-C (status 130, containers left running), and what it
// refuses before starting anything.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'
import { miniRun } from './helpers/cli.js'

const netavark = findHelper('netavark') !== undefined
const PORT = 18282

const STACK = `
services:
  web:
    build: ./web
    ports: ["\${WEB_PORT}:80"]
    init: true
    cgroup_parent: \${CG}
    develop:
      watch:
        - path: ./site
          action: sync
          target: /www
          initial_sync: true
          ignore: ["*.tmp"]
        - path: ./web
          action: rebuild
        - path: ./conf
          action: sync+restart
          target: /etc/app
        - path: ./hooks
          action: sync+exec
          target: /hooks
          exec:
            command: ["sh", "-c", "cat /hooks/* > /www/hooked.txt"]
        # written through the image's symlink /linked -> /www, which stays a link
        - path: ./links
          action: sync
          target: /linked/links
        # one file, watched across its removal and a new one
        - path: ./restart-me
          action: restart
  db:
    image: ${BUSYBOX}
    command: ["sleep", "1000"]
    init: true
    cgroup_parent: \${CG}
    depends_on:
      web: {condition: service_started, restart: true}
`

describe.skipIf(!isRoot || !netavark)('compose watch: sync, sync+restart, sync+exec and rebuild, seen through the published port (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let dir: string
  let watch: ReturnType<Netns['miniRunAsync']> | undefined
  const composeEnv = () => ({ ...process.env, CG: env.cgroupParent, WEB_PORT: String(PORT) })
  const compose = (args: string[]) => ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'w', ...args], { cwd: dir, env: composeEnv(), timeout: 120_000 })
  const get = (path: string) => ns.exec(['curl', '-s', '--max-time', '2', '-o', '-', '-w', ' %{http_code}', `http://127.0.0.1:${PORT}/${path}`]).stdout
  const until200 = (path: string, body: string) => until(`${path} to read ${JSON.stringify(body)}`, () => get(path) === `${body} 200`, 30_000)
  const write = (rel: string, text: string) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    dir = join(env.dir, 'w')
    write('web/Dockerfile', `FROM ${BUSYBOX}\nCOPY version /www/version\nCOPY slow /slow\nRUN sleep $(cat /slow)\nRUN ln -s /www /linked\nCMD ["sh", "-c", "echo started $(cat /www/version); date +%s%N >> /www/starts; exec httpd -f -p 80 -h /www"]\n`)
    write('web/version', 'v1')
    write('web/slow', '0')
    write('site/index.html', 'one')
    write('site/old.txt', 'old')
    write('site/skip.tmp', 'not synced')
    mkdirSync(join(dir, 'conf'))
    mkdirSync(join(dir, 'hooks'))
    mkdirSync(join(dir, 'links'))
    write('restart-me', '1')
    writeFileSync(join(dir, 'compose.yaml'), STACK)
  })
  afterAll(async () => {
    watch?.kill()
    await watch?.done
    if (ns && env) compose(['down', '--rmi', 'local'])
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('brings the services up, copies the site in (initial_sync, ignores kept) and says Watch enabled', async () => {
    watch = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'w', 'watch'], composeEnv(), dir)
    await until('Watch enabled', () => watch!.output().includes('Watch enabled\n'), 120_000)
    expect(get('index.html')).toBe('one 200')
    expect(get('old.txt')).toBe('old 200')
    expect(get('version')).toBe('v1 200')
    expect(get('skip.tmp')).toMatch(/ 404$/)
    expect(compose(['ps', '--format', '{{.Service}} {{.State}}']).stdout.split('\n').filter(Boolean).sort()).toEqual(['db running', 'web running'])
  })

  it('a second watch of the project is refused while the first runs, and starts nothing', () => {
    const second = compose(['watch', '--no-up'])
    expect(second.status).not.toBe(0)
    expect(second.stderr).toBe(`mini-run: cannot take exclusive lock for project "w": process with PID ${watch!.child.pid} is still running\n`)
  })

  it('sync: a changed file, a new directory with a file in it, and a removed file reach the container; ignored files do not', async () => {
    write('site/index.html', 'two')
    await until200('index.html', 'two')
    await until('the sync\'s line', () => watch!.output().includes('Syncing service "web" after 1 changes were detected\n'))
    write('site/new.tmp', 'ignored')
    write('site/sub/deep/page.txt', 'deep')
    await until200('sub/deep/page.txt', 'deep')
    expect(get('new.tmp')).toMatch(/ 404$/)
    rmSync(join(dir, 'site', 'old.txt'))
    await until('old.txt to be removed', () => / 404$/.test(get('old.txt')), 30_000)
    rmSync(join(dir, 'site', 'sub'), { recursive: true })
    await until('sub/ to be removed', () => compose(['exec', '-T', 'web', 'ls', '/www']).stdout.split('\n').every((l) => l !== 'sub'), 30_000)
  })

  it('sync+restart copies the file and restarts the service; sync+exec runs its command in the running container', async () => {
    const starts = () => get('starts').replace(/ 200$/, '').trim().split('\n').length
    expect(starts()).toBe(1)
    write('conf/app.conf', 'answer=42\n')
    await until('the restart', () => watch!.output().includes('service(s) ["web"] restarted\n'), 30_000)
    expect(compose(['exec', '-T', 'web', 'cat', '/etc/app/app.conf']).stdout).toBe('answer=42\n')
    await until('httpd to serve again', () => get('starts').endsWith(' 200'))
    expect(starts()).toBe(2)
    write('hooks/h1', 'hooked')
    await until200('hooked.txt', 'hooked')
  })

  it('sync writes through a symlinked directory of the image, and keeps the link', async () => {
    write('links/f', 'through the link')
    await until200('links/f', 'through the link')
    expect(compose(['exec', '-T', 'web', 'readlink', '/linked']).stdout).toBe('/www\n')
  })

  it('a file trigger is still watched after the file is removed and written again', async () => {
    const restarts = () => watch!.output().split('\n').filter((l) => l === 'service(s) ["web"] restarted').length
    const before = restarts()
    rmSync(join(dir, 'restart-me'))
    await until('a restart for the removal', () => restarts() === before + 1, 30_000)
    write('restart-me', '2')
    await until('a restart for the new file', () => restarts() === before + 2, 30_000)
  })

  it('rebuild: a change in the build context builds the image again and replaces the container, restarts its restart: true dependents, and prunes the old image', async () => {
    const imageId = () => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', 'w-web-1']).stdout)[0].Image as string
    const before = imageId()
    const dbStarted = () => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', 'w-db-1']).stdout)[0].State.StartedAt as string
    const dbBefore = dbStarted()
    write('web/version', 'v2')
    await until200('version', 'v2')
    await until('the build\'s lines', () => watch!.output().includes('service(s) ["web"] successfully built\n'))
    expect(watch!.output()).toContain('Rebuilding service(s) ["web"] after changes were detected...\n')
    const after = imageId()
    expect(after).not.toBe(before)
    const images = () => ns.miniRun(['--root', env.storeRoot, 'images', '-a', '-q', '--no-trunc'])
    // the prune comes last in the batch, after the dependents' restart
    await until('the old image pruned', () => !images().stdout.includes(before), 30_000)
    const all = images()
    expect(all.status).toBe(0)
    expect(all.stdout).toContain(after)
    // db depends on web with restart: true: started again after web's new container
    await until('db to start again', () => dbStarted() !== dbBefore, 30_000)
  })

  it('Ctrl-C ends watch with status 130 and leaves the containers running', async () => {
    watch!.child.kill('SIGINT')
    const r = await watch!.done
    expect(r.stderr).not.toMatch(/mini-run: |Error handling/)
    expect(r.status).toBe(130)
    expect(compose(['ps', '--format', '{{.Service}} {{.State}}']).stdout.split('\n').filter(Boolean).sort()).toEqual(['db running', 'web running'])
    expect(existsSync(join(env.stateRoot, 'compose-watch', 'w.pid'))).toBe(false)
    watch = undefined
  })

  it('up --watch: the service\'s output and the watch together; a rebuilt container\'s output is followed on', async () => {
    expect(compose(['down']).status).toBe(0)
    // only web attached: nothing but the batch's hold keeps up attached while its container is replaced
    watch = ns.miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'w', 'up', '--watch', '--attach', 'web'], composeEnv(), dir)
    await until('Watch enabled', () => watch!.output().includes('Watch enabled\n'), 120_000)
    // Docker Compose's prefixes: the width of the longest name, its watch logger's "#watch" among them, and one
    await until('web\'s first line', () => /^web-1 {3}\| started v2$/m.test(watch!.output()))
    write('web/version', 'v3')
    await until200('version', 'v3')
    await until('the new container\'s line, in the same attached output', () => /^web-1 {3}\| started v3$/m.test(watch!.output()))
    // the watch's own lines: ` ⦿ ` after that width
    expect(watch!.output()).toMatch(/^ {8}⦿ Rebuilding service\(s\) \["web"\] after changes were detected\.\.\.$/m)
    expect(watch!.child.exitCode).toBe(null)
    write('site/index.html', 'three')
    await until200('index.html', 'three')
  })

  it('up --watch: Ctrl-C during a rebuild stops the build at once and replaces nothing, then stops the services, and exits 130', async () => {
    const imageOf = () => JSON.parse(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'inspect', 'w-web-1']).stdout)[0].Image as string
    const image = imageOf()
    // a build that would take ten minutes (RUN sleep $(cat /slow)): the test's own time is one; 613 s
    // is a time no other test file sleeps (pgrep sees the files running beside this one too)
    write('web/slow', '613')
    const building = () => spawnSync('pgrep', ['-f', '^sleep 613$']).status === 0
    await until('the rebuild\'s RUN to be running', building, 60_000)
    watch!.child.kill('SIGINT')
    await until('up to end', () => watch!.child.exitCode !== null, 60_000)
    const r = await watch!.done
    expect(r.status).toBe(130)
    expect(r.stderr).not.toMatch(/mini-run: |Error handling|Watch disabled/)
    expect(compose(['ps', '-a', '--format', '{{.Service}} {{.State}}']).stdout.split('\n').filter(Boolean).sort()).toEqual(['db exited', 'web exited'])
    expect(imageOf()).toBe(image)
    expect(building()).toBe(false)
    watch = undefined
  })
})

describe('compose watch refuses, before it starts anything', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())
  const run = (yaml: string, args: string[] = []) => {
    const dir = join(env.dir, `p${Math.random().toString(36).slice(2, 8)}`)
    mkdirSync(join(dir, 'src'), { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), yaml)
    const r = miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'r', 'watch', ...args], { cwd: dir })
    const ps = miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'ps', '-a', '-q'], { cwd: dir })
    expect(ps.stdout).toBe('')
    return r
  }

  it('a project without a develop section', () => {
    const r = run(`services:\n  a:\n    image: ${BUSYBOX}\n`)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toBe('mini-run: none of the selected services is configured for watch, consider setting a \'develop\' section\n')
  })

  it('a sync trigger without a target, and a rebuild of a service that is not built, named by their place in the file', () => {
    const noTarget = run(`services:\n  a:\n    image: ${BUSYBOX}\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n`)
    expect(noTarget.status).not.toBe(0)
    expect(noTarget.stderr).toMatch(/compose\.yaml: services\.a\.develop\.watch\[0\]: target is required for action sync\n$/)
    const noBuild = run(`services:\n  a:\n    image: ${BUSYBOX}\n    develop:\n      watch:\n        - path: ./src\n          action: rebuild\n`)
    expect(noBuild.status).not.toBe(0)
    expect(noBuild.stderr).toMatch(/services\.a\.develop\.watch\[0\]: can't watch service "a" with action rebuild without a build context\n$/)
  })

  it('up --watch refuses -d and --no-build, and a project with nothing to watch', () => {
    const dir = join(env.dir, 'flags')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'compose.yaml'), `services:\n  a:\n    image: ${BUSYBOX}\n`)
    const up = (args: string[]) => miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'f', 'up', ...args], { cwd: dir })
    expect(up(['-d', '--watch']).stderr).toBe('mini-run: --detach cannot be combined with --abort-on-container-exit, --abort-on-container-failure, --attach, --attach-dependencies or --watch\n')
    expect(up(['--no-build', '--watch']).stderr).toBe('mini-run: --no-build and --watch are incompatible\n')
    const none = up(['--watch'])
    expect(none.status).not.toBe(0)
    expect(none.stderr).toContain('none of the selected services is configured for watch')
    expect(miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'ps', '-a', '-q']).stdout).toBe('')
  })

  it('a bad action, by the schema', () => {
    const r = run(`services:\n  a:\n    image: ${BUSYBOX}\n    develop:\n      watch:\n        - path: ./src\n          action: copy\n`)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/services\.a\.develop\.watch\[0\]\.action/)
  })
})
