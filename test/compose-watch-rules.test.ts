// compose watch's rules without containers: develop.watch as loaded and
// printed, which trigger a changed path sets off (include, ignore, the
// editors' files, .git, the build context's .dockerignore), where it goes
// in the container, and what one batch asks for.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { At } from '../src/compose/compose-error.js'
import { configYaml } from '../src/compose/config-document.js'
import { configHash } from '../src/compose/config-hash.js'
import { loadProject } from '../src/compose/load.js'
import { filesToSync, planBatch, quotedList } from '../src/compose/watch-actions.js'
import { serviceRules } from '../src/compose/watch-rules.js'
import { watchProject, watchRules } from '../src/compose/watch.js'
import { lockWatch } from '../src/compose/watch-lock.js'
import { until } from './helpers/until.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function project(yaml: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mini-run-watch-rules-'))
  dirs.push(dir)
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  writeFileSync(join(dir, 'compose.yaml'), yaml)
  return { dir, ...loadProject({ cwd: dir, env: {} }).project }
}

const WEB = `services:
  web:
    build: ./app
    develop:
      watch:
        - path: ./app/src
          action: sync
          target: srv/app
          ignore: ["*.log", "node_modules/", "!keep.log"]
        - path: ./app
          action: rebuild
        - path: ./app/conf
          action: sync+restart
          target: /etc/app
          include: ["*.conf"]
          initial_sync: true
        - path: ./app/hooks
          action: sync+exec
          target: /hooks
          exec: {command: ["sh", "-c", "true"], user: nobody, environment: {A: b}}
`

describe('develop.watch, loaded', () => {
  it('paths from the project directory, targets from the container root, the exec hook as post_start is read', () => {
    const p = project(WEB, { 'app/Dockerfile': 'FROM x\n' })
    const watch = p.services.web!.develop!.watch
    expect(watch.map((t) => [t.path.slice(p.workingDir.length), t.action, t.target])).toEqual([
      ['/app/src', 'sync', '/srv/app'],
      ['/app', 'rebuild', undefined],
      ['/app/conf', 'sync+restart', '/etc/app'],
      ['/app/hooks', 'sync+exec', '/hooks'],
    ])
    expect(watch[2]!.initialSync).toBe(true)
    expect(watch[3]!.exec).toEqual({ command: ['sh', '-c', 'true'], user: 'nobody', environment: { A: 'b' } })
  })

  it('config prints it as compose-go does, and it changes no container: the config hash stays', () => {
    const p = project(WEB, { 'app/Dockerfile': 'FROM x\n' })
    const yaml = configYaml({ ...p, name: 'p' })
    expect(yaml).toContain(`    develop:\n      watch:\n        - path: ${p.workingDir}/app/src\n          action: sync\n          target: /srv/app\n          ignore:\n            - "*.log"\n`)
    expect(yaml).toContain('          initial_sync: true\n')
    const s = p.services.web!
    const { develop: _d, ...without } = s
    expect(configHash(s, 'sha256:x', [], {})).toBe(configHash(without, 'sha256:x', [], {}))
  })

  it('a service extended from another file watches paths from that file\'s directory', () => {
    const p = project(`services:\n  a:\n    extends: {file: base/common.yaml, service: a}\n`, { 'base/common.yaml': 'services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ./src, action: restart}\n' })
    expect(p.services.a!.develop!.watch[0]!.path).toBe(join(p.workingDir, 'base', 'src'))
  })

  it('a watched path through a symlink is the real one', () => {
    const p = project(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ./link/sub, action: sync, target: /t}\n`, { 'real/f': '' })
    symlinkSync(join(p.workingDir, 'real'), join(p.workingDir, 'link'))
    const again = loadProject({ cwd: p.workingDir, env: {} }).project
    expect(again.services.a!.develop!.watch[0]!.path).toBe(join(p.workingDir, 'real', 'sub'))
  })
})

describe('which trigger a change sets off', () => {
  const p = project(WEB, {
    'app/Dockerfile': 'FROM x\n',
    'app/.dockerignore': 'dist\n*.md\n',
    'app/src/index.js': '',
    'app/src/keep.log': '',
    'app/src/x.log': '',
    'app/src/sub/y.log': '',
    'app/src/node_modules/m/i.js': '',
    'app/conf/a.conf': '',
    'app/conf/sub/b.conf': '',
    'app/conf/c.txt': '',
  })
  const rules = serviceRules(p.services.web!, new At('compose.yaml', ['services', 'web']))
  const hits = (rel: string) => rules.filter((r) => r.matches(join(p.workingDir, rel))).map((r) => r.trigger.action)

  it('a path under several triggers sets off each of them', () => {
    expect(hits('app/src/index.js')).toEqual(['sync', 'rebuild'])
    expect(hits('app/Dockerfile')).toEqual(['rebuild'])
    expect(hits('other/file')).toEqual([])
  })

  it('ignore is rooted at the trigger\'s path, a directory pattern takes what is below it, "!" brings one back', () => {
    expect(hits('app/src/x.log')).toEqual(['rebuild'])
    expect(hits('app/src/keep.log')).toEqual(['sync', 'rebuild'])
    expect(hits('app/src/sub/y.log')).toEqual(['sync', 'rebuild'])
    expect(hits('app/src/node_modules/m/i.js')).toEqual(['rebuild'])
  })

  it('include takes only what it names; editors\' files and .git never; the build context\'s .dockerignore for every trigger of the service', () => {
    expect(hits('app/conf/a.conf')).toContain('sync+restart')
    expect(hits('app/conf/c.txt')).not.toContain('sync+restart')
    for (const f of ['app/src/.index.js.swp', 'app/src/index.js~', 'app/src/4913', 'app/src/.git/HEAD', 'app/.git/config', 'app/src/.idea/x']) expect(hits(f)).toEqual([])
    expect(hits('app/dist/bundle.js')).toEqual([])
    expect(hits('app/README.md')).toEqual([])
    expect(hits('app/src/README.md')).toEqual(['sync', 'rebuild'])
  })

  it('a path goes to the target, below it as below the trigger\'s path', () => {
    const sync = rules[0]!
    expect(sync.containerPath(join(p.workingDir, 'app/src'))).toBe('/srv/app')
    expect(sync.containerPath(join(p.workingDir, 'app/src/sub/y.log'))).toBe('/srv/app/sub/y.log')
  })

  it('initial_sync takes the files the trigger takes, and reads no ignored directory', () => {
    expect(filesToSync(rules[2]!).map((i) => i.container)).toEqual(['/etc/app/a.conf'])
    expect(filesToSync(rules[0]!).map((i) => i.container).sort()).toEqual(['/srv/app/index.js', '/srv/app/keep.log', '/srv/app/sub/y.log'])
  })

  it('a batch: services to rebuild and restart, each container path once, each sync+exec trigger once', () => {
    const plan = planBatch(['app/src/index.js', 'app/src/index.js', 'app/conf/a.conf', 'app/hooks/h', 'app/hooks/i'].map((r) => join(p.workingDir, r)), rules)
    expect([...plan.rebuild]).toEqual(['web'])
    expect([...plan.restart]).toEqual(['web'])
    expect([...plan.sync.get('web')!.keys()]).toEqual(['/srv/app/index.js', '/etc/app/a.conf', '/hooks/h', '/hooks/i'])
    expect(plan.exec.map((r) => r.index)).toEqual([3])
    expect(quotedList(['b', 'a'])).toBe('["a" "b"]')
  })
})

describe('an allow-list .dockerignore', () => {
  it('holding `*`, it ignores nothing for watch, as in Docker Compose (else the Dockerfile would never rebuild)', () => {
    const p = project(`services:\n  a:\n    build: .\n    develop:\n      watch:\n        - {path: ., action: rebuild}\n`, { Dockerfile: 'FROM x\n', '.dockerignore': '*\n!src\n' })
    const [rule] = serviceRules(p.services.a!, new At('compose.yaml', ['services', 'a']))
    expect(rule!.matches(join(p.workingDir, 'Dockerfile'))).toBe(true)
    expect(rule!.matches(join(p.workingDir, 'src', 'x'))).toBe(true)
  })
})

describe('watch\'s own checks', () => {
  it('a sync under a bind mount\'s source is not watched, with Docker Compose\'s warning; none left is an error', () => {
    const p = project(`services:\n  a:\n    image: x\n    volumes: ["./src:/app"]\n    develop:\n      watch:\n        - {path: ./src/lib, action: sync, target: /app/lib}\n`)
    const warnings: string[] = []
    expect(() => watchRules(p, [], (w) => warnings.push(w))).toThrow('none of the selected services is configured for watch')
    expect(warnings).toEqual([`path '${p.workingDir}/src/lib' also declared by a bind mount volume, this path won't be monitored!`])
  })

  it('the services named and what they depend on', () => {
    const p = project(`services:
  a: {image: x, depends_on: [b], develop: {watch: [{path: ./a, action: restart}]}}
  b: {image: x, develop: {watch: [{path: ./b, action: restart}]}}
  c: {image: x, develop: {watch: [{path: ./c, action: restart}]}}
`)
    expect(watchRules(p, ['a'], () => undefined).map((r) => r.service)).toEqual(['a', 'b'])
    expect(watchRules(p, [], () => undefined).map((r) => r.service)).toEqual(['a', 'b', 'c'])
  })
})

describe('the watcher, without containers (a sync with none to write to says its line and does nothing else)', () => {
  const watching = async (p: ReturnType<typeof project>) => {
    const state = mkdtempSync(join(tmpdir(), 'mini-run-watch-state-'))
    dirs.push(state)
    const lines: string[] = []
    const warnings: string[] = []
    const stop = new AbortController()
    let ready!: () => void
    const started = new Promise<void>((r) => (ready = r))
    const done = watchProject(
      { storeRoot: state, stateRoot: state, selfCommand: [] },
      p,
      { prune: false, signal: stop.signal, warn: (w) => warnings.push(w), onReady: ready },
      { line: (l) => lines.push(l), fds: [1, 2] },
    )
    await started
    return { lines, warnings, stop: async () => (stop.abort(), done) }
  }
  const syncs = (lines: string[]) => lines.filter((l) => l.startsWith('Syncing'))

  it('changes close together are one batch, each path once; a path made after the start is watched from its parent', async () => {
    const p = project(`services:\n  a:\n    image: x\n    develop:\n      watch:\n        - {path: ./src, action: sync, target: /a}\n        - {path: ./later/deep, action: sync, target: /l}\n`, { 'src/one': '' })
    const w = await watching(p)
    try {
      for (const f of ['one', 'two', 'three', 'one']) writeFileSync(join(p.workingDir, 'src', f), f)
      await until('the batch', () => syncs(w.lines).length === 1)
      expect(w.lines).toEqual(['Watch enabled', 'Syncing service "a" after 3 changes were detected'])
      mkdirSync(join(p.workingDir, 'later', 'deep'), { recursive: true })
      writeFileSync(join(p.workingDir, 'later', 'deep', 'f'), '')
      await until('the later path\'s batch', () => syncs(w.lines).length === 2)
    } finally {
      await w.stop()
    }
    expect(w.warnings).toEqual([])
  })

  it('a trigger below a directory another one ignores is still watched, even when it does not exist yet', async () => {
    const p = project(`services:
  a: {image: x, develop: {watch: [{path: ., action: sync, target: /a, ignore: [src/]}]}}
  b: {image: x, develop: {watch: [{path: ./src/web, action: sync, target: /b}]}}
`, { 'src/other': '' })
    const w = await watching(p)
    try {
      mkdirSync(join(p.workingDir, 'src', 'web'))
      writeFileSync(join(p.workingDir, 'src', 'web', 'f'), '')
      await until('b\'s batch', () => syncs(w.lines).some((l) => l.includes('"b"')))
      expect(syncs(w.lines).some((l) => l.includes('"a"'))).toBe(false)
    } finally {
      await w.stop()
    }
  })
})

describe('one watch per project', () => {
  it('a second lock of the project is refused while the first is held; a lock left by a process that ended is taken over; a release removes it', () => {
    const state = mkdtempSync(join(tmpdir(), 'mini-run-watch-lock-'))
    dirs.push(state)
    const file = join(state, 'compose-watch', 'p.pid')
    const release = lockWatch(state, 'p')
    expect(() => lockWatch(state, 'p')).toThrow(`cannot take exclusive lock for project "p": process with PID ${process.pid} is still running`)
    const other = lockWatch(state, 'q')
    other()
    release()
    expect(existsSync(file)).toBe(false)
    // this pid, but another start time: a process that has ended, its pid reused
    writeFileSync(file, `${process.pid} 1\n`)
    const again = lockWatch(state, 'p')
    expect(readFileSync(file, 'utf8')).not.toBe(`${process.pid} 1\n`)
    again()
    expect(existsSync(file)).toBe(false)
  })
})
