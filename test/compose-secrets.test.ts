// Compose's secrets and configs without Swarm, as Docker Compose gives
// them (src/compose/file-objects.ts, inject-files.ts): loading them (no
// root), then a stack that reads them (as root, in a network namespace of
// the test's own).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configHash } from '../src/compose/config-hash.js'
import { configYaml } from '../src/compose/config-document.js'
import { loadProject } from '../src/compose/load.js'
import { serviceRunFlags } from '../src/compose/service-flags.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { findHelper } from '../src/network/netavark.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function load(yaml: string, o: { env?: NodeJS.ProcessEnv; onHost?: boolean; files?: Record<string, string> } = {}) {
  const dir = mkdtempSync('/tmp/mini-run-compose-secrets-')
  dirs.push(dir)
  writeFileSync(join(dir, 'compose.yaml'), yaml)
  for (const [name, text] of Object.entries(o.files ?? {})) writeFileSync(join(dir, name), text)
  return { dir, ...loadProject({ cwd: dir, env: o.env ?? {}, onHost: o.onHost === true }) }
}
const fails = (yaml: string, o: Parameters<typeof load>[1] = {}) => {
  try {
    load(yaml, o)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('loaded')
}

describe('compose secrets and configs: loading', () => {
  const top = `secrets:\n  db:\n    file: ./db.txt\n  token:\n    environment: TOKEN\nconfigs:\n  conf:\n    file: conf/app.conf\n  inline:\n    content: |\n      a=1\n`

  it('takes short and long entries with Docker Compose\'s targets; files are read-only binds, the rest is written in', () => {
    const svc = `services:\n  app:\n    image: busybox\n    secrets:\n      - db\n      - source: token\n        target: tok\n        uid: "1000"\n        gid: "1001"\n        mode: 0400\n    configs:\n      - conf\n      - source: inline\n        target: /etc/inline.conf\n        mode: "0640"\n`
    const { project, dir } = load(svc + top)
    const app = project.services.app!
    expect(app.secrets).toEqual([
      { source: 'db', target: '/run/secrets/db', from: { file: join(dir, 'db.txt') } },
      // YAML's 0400 is octal, as Go's YAML reads it; a relative target goes under /run/secrets
      { source: 'token', target: 'tok', uid: '1000', gid: '1001', mode: 0o400, from: { environment: 'TOKEN' } },
    ])
    expect(app.configs).toEqual([
      { source: 'conf', from: { file: join(dir, 'conf/app.conf') } },
      { source: 'inline', target: '/etc/inline.conf', mode: 0o640, from: { content: 'a=1\n' } },
    ])
    const flags = serviceRunFlags({ service: app, containerName: 'x', networks: [], volumeNames: {}, labels: {}, detach: true }).flags
    // a config's default target is /<source>
    expect(flags.mount).toEqual([`type=bind,source=${join(dir, 'db.txt')},target=/run/secrets/db,readonly`, `type=bind,source=${join(dir, 'conf/app.conf')},target=/conf,readonly`])
    expect(configYaml(project)).toContain([
      'secrets:',
      '  db:',
      `    name: ${project.name}_db`,
      `    file: ${dir}/db.txt`,
      '  token:',
      `    name: ${project.name}_token`,
      '    environment: TOKEN',
      'configs:',
    ].join('\n'))
    expect(configYaml(project)).toMatch(/ {6}- source: token\n {8}target: tok\n {8}uid: "1000"\n {8}gid: "1001"\n {8}mode: "0400"\n/)
    // a service without any hashes as before: no empty lists in its entry
    const plain = load(`services:\n  app:\n    image: busybox\n` + top).project.services.app!
    expect('secrets' in plain || 'configs' in plain).toBe(false)
    expect(configHash(plain, 'i', [], {})).not.toBe(configHash(app, 'i', [], {}))
  })

  it('refuses what Docker Compose refuses, by its path, in one line', () => {
    expect(fails(`services:\n  app:\n    image: busybox\n    secrets: [nope]\n`)).toBe('compose.yaml: services.app.secrets[0]: service "app" refers to undefined secret nope')
    expect(fails(`services:\n  app:\n    image: busybox\n    configs: [nope]\n`)).toBe('compose.yaml: services.app.configs[0]: service "app" refers to undefined config nope')
    expect(fails(`services:\n  app:\n    image: busybox\nsecrets:\n  s:\n    external: true\n`)).toMatch(/^compose\.yaml: secrets\.s\.external: not supported by mini-run/)
    expect(fails(`services:\n  app:\n    image: busybox\nconfigs:\n  c:\n    file: x\n    template_driver: golang\n`)).toMatch(/^compose\.yaml: configs\.c\.template_driver: not supported by mini-run/)
    expect(fails(`services:\n  app:\n    image: busybox\nsecrets:\n  s: {}\n`)).toBe('compose.yaml: secrets.s: secret "s" must declare either `file` or `environment`')
    expect(fails(`services:\n  app:\n    image: busybox\nsecrets:\n  s:\n    file: a\n    environment: B\n`)).toBe('compose.yaml: secrets.s: secret "s" must declare either `file` or `environment`')
    // the schema: a secret has no content
    expect(fails(`services:\n  app:\n    image: busybox\nsecrets:\n  s:\n    content: a\n`)).toMatch(/^compose\.yaml: secrets\.s/)
    expect(fails(`services:\n  app:\n    image: busybox\n    read_only: true\n    configs: [c]\nconfigs:\n  c:\n    content: hi\n`)).toBe('compose.yaml: services.app.configs[0]: cannot create config "c" in read-only service app: `file` is the sole supported option')
    expect(fails(`services:\n  app:\n    image: busybox\n    secrets:\n      - source: s\n        mode: "0999"\nsecrets:\n  s:\n    file: a\n`)).toBe('compose.yaml: services.app.secrets[0].mode: invalid file mode "0999": octal permission bits, as 0440')
    expect(fails(`services:\n  app:\n    image: busybox\n    secrets:\n      - source: s\n        uid: root\nsecrets:\n  s:\n    file: a\n`)).toBe('compose.yaml: services.app.secrets[0].uid: "root" is not a number (uid and gid are numeric ids)')
    // a read-only service may have a file's: a bind
    expect(load(`services:\n  app:\n    image: busybox\n    read_only: true\n    secrets: [s]\nsecrets:\n  s:\n    file: a\n`).project.services.app!.secrets).toHaveLength(1)
  })

  it('for a verb that makes containers: an unset variable is refused before anything is made; a file\'s uid, gid and mode warn', () => {
    const yaml = `services:\n  app:\n    image: busybox\n    secrets:\n      - source: token\n      - source: db\n        mode: 0440\n${top}`
    // config only reads: neither
    expect(load(yaml).warnings).toEqual([])
    expect(fails(yaml, { onHost: true })).toBe('compose.yaml: services.app.secrets[0]: environment variable "TOKEN" required by secret "token" is not set')
    const { warnings } = load(yaml, { onHost: true, env: { TOKEN: 't' } })
    expect(warnings).toEqual(['secrets `uid`, `gid` and `mode` are not supported, they will be ignored', 'secret file db does not exist'])
    expect(load(yaml, { onHost: true, env: { TOKEN: 't' }, files: { 'db.txt': 'x' } }).warnings).toEqual(['secrets `uid`, `gid` and `mode` are not supported, they will be ignored'])
  })
})

const netavark = findHelper('netavark') !== undefined

describe.skipIf(!isRoot || !netavark)('compose secrets and configs in a running stack (needs root, netavark)', () => {
  let env: TestEnv
  let ns: Netns
  let dir: string
  const c = (more: string[], vars: NodeJS.ProcessEnv = {}) =>
    // -f: with -p alone, start and stop find the project by its containers' labels, reading no file (docker compose's projectOrName)
    ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'sec', '-f', join(dir, 'compose.yaml'), ...more], { cwd: dir, timeout: 120_000, env: { ...process.env, ...vars } })

  beforeAll(async () => {
    env = await makeTestEnv()
    ns = makeNetns()
    dir = join(env.dir, 'sec')
    mkdirSync(join(dir, 'conf'), { recursive: true })
    writeFileSync(join(dir, 'db.txt'), 's3cret\n')
    writeFileSync(join(dir, 'conf', 'app.conf'), 'setting=1\n')
    writeFileSync(
      join(dir, 'compose.yaml'),
      [
        'services:',
        '  app:',
        `    image: ${BUSYBOX}`,
        '    command: [sleep, "1000"]',
        '    init: true',
        `    cgroup_parent: ${env.cgroupParent}`,
        '    secrets:',
        '      - db',
        '      - source: token',
        '        uid: "1000"',
        '        gid: "1001"',
        '        mode: 0400',
        '    configs:',
        '      - source: conf',
        '        target: /etc/app.conf',
        '      - inline',
        'secrets:',
        '  db:',
        '    file: ./db.txt',
        '  token:',
        '    environment: TOKEN',
        'configs:',
        '  conf:',
        '    file: ./conf/app.conf',
        '  inline:',
        '    content: |',
        '      hello inline',
        '',
      ].join('\n'),
    )
  })
  afterAll(() => {
    ns?.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'compose', '-p', 'sec', '-f', join(dir, 'compose.yaml'), 'down'], { cwd: dir, env: { ...process.env, TOKEN: 'x' } })
    ns?.close([env.stateRoot])
    env?.cleanup()
  })

  it('the service reads each where Docker Compose puts it: files bound read-only, the others written with their owner and mode', () => {
    const up = c(['up', '-d'], { TOKEN: 'tok123' })
    expect(up.status, up.stderr).toBe(0)
    const read = c(['exec', 'app', 'sh', '-c', 'cat /run/secrets/db /run/secrets/token /etc/app.conf /inline; stat -c "%n %u:%g %a" /run/secrets/token /inline /run/secrets'])
    expect(read.status, read.stderr).toBe(0)
    expect(read.stdout).toBe('s3cret\ntok123setting=1\nhello inline\n/run/secrets/token 1000:1001 400\n/inline 0:0 444\n/run/secrets 0:0 755\n')
    // a bind of the host's file, read-only
    const write = c(['exec', 'app', 'sh', '-c', 'echo x >> /run/secrets/db'])
    expect(write.status).not.toBe(0)
    expect(write.stderr).toMatch(/Read-only file system/)
  })

  it('stop, then start: the variable\'s value is written again, as Docker Compose writes it before each start', () => {
    expect(c(['stop']).status).toBe(0)
    const started = c(['start'], { TOKEN: 'changed' })
    expect(started.status, started.stderr).toBe(0)
    expect(c(['exec', 'app', 'cat', '/run/secrets/token']).stdout).toBe('changed')
  })

  it('run -d and a foreground run write them into the one-off container too; --rm leaves none', () => {
    const oneoff = c(['run', '-d', '--name', 'sec-oneoff', 'app'], { TOKEN: 'one' })
    expect(oneoff.status, oneoff.stderr).toBe(0)
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'exec', 'sec-oneoff', 'cat', '/run/secrets/token', '/inline']).stdout).toBe('onehello inline\n')
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'rm', '-f', 'sec-oneoff']).status).toBe(0)
    // made, written, then started attached (start -a's path): its output and exit code are the command's
    const fg = c(['run', '--rm', 'app', 'sh', '-c', 'cat /run/secrets/db /run/secrets/token /inline; exit 3'], { TOKEN: 'fg' })
    expect([fg.status, fg.stdout], fg.stderr).toEqual([3, 's3cret\nfghello inline\n'])
    expect(c(['ps', '-a', '-q']).stdout.trim().split('\n')).toHaveLength(1)
  })

  it('up without the variable changes nothing and says which', () => {
    const before = c(['ps', '-a', '--format', '{{.ID}} {{.State}}']).stdout
    const up = c(['up', '-d'], { TOKEN: undefined })
    expect(up.status).toBe(1)
    expect(up.stderr.trim().split('\n').at(-1)).toBe('mini-run: compose.yaml: services.app.secrets[1]: environment variable "TOKEN" required by secret "token" is not set')
    expect(c(['ps', '-a', '--format', '{{.ID}} {{.State}}']).stdout).toBe(before)
  })
})
