// Compose's secrets and configs without Swarm, as Docker Compose gives
// them (src/compose/file-objects.ts, inject-files.ts): loading them (no
// root), then a stack that reads them (as root, in a network namespace of
// the test's own).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkFileReferences, containerPath } from '../src/compose/file-objects.js'
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
    const svc = `services:\n  app:\n    image: busybox\n    secrets:\n      - db\n      - source: token\n        target: tok\n        uid: "1000"\n        gid: "1001"\n        mode: 0400\n    configs:\n      - conf\n      - source: inline\n        target: etc/inline.conf\n        mode: "0640"\n`
    const { project, dir } = load(svc + top)
    const app = project.services.app!
    const name = (key: string) => `${project.name}_${key}`
    expect(app.secrets).toEqual([
      { source: 'db', name: name('db'), target: '/run/secrets/db', from: { file: join(dir, 'db.txt') } },
      // YAML's 0400 is octal, as Go's YAML reads it
      { source: 'token', name: name('token'), target: 'tok', uid: '1000', gid: '1001', mode: 0o400, from: { environment: 'TOKEN' } },
    ])
    expect(app.configs).toEqual([
      { source: 'conf', name: name('conf'), from: { file: join(dir, 'conf/app.conf') } },
      { source: 'inline', name: name('inline'), target: 'etc/inline.conf', mode: 0o640, from: { content: 'a=1\n' } },
    ])
    // a relative target: under /run/secrets for a secret, under / for a config; a config's default is /<source>
    expect(app.secrets!.map((r) => containerPath('secret', r))).toEqual(['/run/secrets/db', '/run/secrets/tok'])
    expect(app.configs!.map((r) => containerPath('config', r))).toEqual(['/conf', '/etc/inline.conf'])
    const flags = serviceRunFlags({ service: app, containerName: 'x', networks: [], volumeNames: {}, labels: {}, detach: true }).flags
    expect(flags.mount).toEqual([`type=bind,source=${join(dir, 'db.txt')},target=/run/secrets/db,readonly`, `type=bind,source=${join(dir, 'conf/app.conf')},target=/conf,readonly`])
    expect(configYaml(project)).toContain([
      'secrets:',
      '  db:',
      `    name: ${name('db')}`,
      `    file: ${dir}/db.txt`,
      '  token:',
      `    name: ${name('token')}`,
      '    environment: TOKEN',
      'configs:',
    ].join('\n'))
    expect(configYaml(project)).toMatch(/ {6}- source: token\n {8}target: tok\n {8}uid: "1000"\n {8}gid: "1001"\n {8}mode: "0400"\n/)
    // a service without any has no such keys: its config hash is what it was before they existed
    const plain = load(`services:\n  app:\n    image: busybox\n` + top).project.services.app!
    expect('secrets' in plain || 'configs' in plain).toBe(false)
  })

  it('reads what Docker Compose reads: environment over file, the same target once (the later entry, in place), external: false', () => {
    const { project, dir } = load([
      'services:',
      '  app:',
      '    image: busybox',
      '    secrets: [a, b, {source: c, target: a}]',
      'secrets:',
      '  a: {file: ./a, environment: A}',
      '  b: {file: ./b, external: false}',
      '  c: {file: ./c}',
      // Swarm's, but no service uses it: refused only where used, as Docker Compose refuses it
      '  unused: {external: true}',
      '',
    ].join('\n'))
    expect(project.services.app!.secrets!.map((r) => [r.source, r.from])).toEqual([
      ['a', { environment: 'A' }],
      ['b', { file: join(dir, 'b') }],
      ['c', { file: join(dir, 'c') }],
    ])
    expect(project.services.app!.secrets!.map((r) => r.target)).toEqual(['/run/secrets/a', '/run/secrets/b', 'a'])
  })

  it('refuses what Docker Compose refuses, by its path, in one line', () => {
    expect(fails(`services:\n  app:\n    image: busybox\n    secrets: [nope]\n`)).toBe('compose.yaml: services.app.secrets[0]: service "app" refers to undefined secret nope')
    expect(fails(`services:\n  app:\n    image: busybox\n    configs: [nope]\n`)).toBe('compose.yaml: services.app.configs[0]: service "app" refers to undefined config nope')
    const used = (yaml: string) => `services:\n  app:\n    image: busybox\n    secrets: [s]\n${yaml}`
    expect(fails(used('secrets:\n  s:\n    external: true\n'))).toBe('compose.yaml: services.app.secrets[0]: unsupported external secret s (Swarm\'s)')
    expect(fails(used('secrets:\n  s:\n    file: x\n    driver: vault\n'))).toMatch(/^compose\.yaml: services\.app\.secrets\[0\]: secrets\.\*\.driver is not supported without Swarm \(mini-run-compose-secrets-\w+_s\)$/)
    expect(fails(`services:\n  app:\n    image: busybox\n    configs: [c]\nconfigs:\n  c:\n    file: x\n    template_driver: golang\n`)).toMatch(/^compose\.yaml: services\.app\.configs\[0\]: configs\.\*\.template_driver is not supported without Swarm/)
    expect(fails(`services:\n  app:\n    image: busybox\nsecrets:\n  s: {}\n`)).toBe('compose.yaml: secrets.s: secret "s" must declare either `file` or `environment`')
    // the schema: a secret has no content
    expect(fails(`services:\n  app:\n    image: busybox\nsecrets:\n  s:\n    content: a\n`)).toMatch(/^compose\.yaml: secrets\.s/)
    expect(fails(`services:\n  app:\n    image: busybox\n    secrets:\n      - source: s\n        mode: "0999"\nsecrets:\n  s:\n    file: a\n`)).toBe('compose.yaml: services.app.secrets[0].mode: invalid file mode "0999": octal permission bits, as 0440')
    expect(fails(`services:\n  app:\n    image: busybox\n    secrets:\n      - source: s\n        uid: root\nsecrets:\n  s:\n    file: a\n`)).toBe('compose.yaml: services.app.secrets[0].uid: "root" is not a number (uid and gid are numeric ids)')
  })

  it('before a verb makes containers, for the services it makes: an unset variable, a written one in a read-only service; a file\'s uid, gid and mode warn', () => {
    const yaml = [
      'services:',
      '  app:',
      '    image: busybox',
      '    secrets: [token, {source: db, mode: 0440}]',
      '  ro:',
      '    image: busybox',
      '    read_only: true',
      '    secrets: [db]',
      '    configs: [empty, inline]',
      top,
      '  empty:',
      '    content: ""',
    ].join('\n')
    const { project } = load(yaml)
    const check = (names: string[], environment: Record<string, string> = {}, exists = () => false) => checkFileReferences({ ...project, environment }, names.map((n) => project.services[n]!), exists)
    const fail = (...a: Parameters<typeof check>) => {
      try {
        check(...a)
      } catch (err) {
        return (err as Error).message
      }
      throw new Error('passed')
    }
    expect(fail(['app'])).toBe(`compose.yaml: services.app.secrets[0]: environment variable "TOKEN" required by secret "${project.name}_token" is not set`)
    expect(check(['app'], { TOKEN: 't' })).toEqual(['secrets \`uid\`, \`gid\` and \`mode\` are not supported, they will be ignored', `secret file ${project.name}_db does not exist`])
    expect(check(['app'], { TOKEN: 't' }, () => true)).toEqual(['secrets \`uid\`, \`gid\` and \`mode\` are not supported, they will be ignored'])
    // a read-only service: a file's bind and empty content (not written) are fine, inline content is not
    expect(fail(['ro'])).toBe(`compose.yaml: services.ro.configs[1]: cannot create config "${project.name}_inline" in read-only service ro: \`file\` is the sole supported option`)
    // only the services being made are checked: ro alone, without TOKEN set, is not refused for app's
    expect(fail(['ro'])).not.toMatch(/TOKEN/)
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
        '        target: tok',
        '        uid: "1000"',
        '        gid: "1001"',
        '        mode: 0400',
        '    configs:',
        '      - source: conf',
        '        target: /etc/app.conf',
        '      - source: inline',
        '        target: /deep/er/inline.conf',
        // a profile not enabled: its unset variable stops nothing else
        '  later:',
        `    image: ${BUSYBOX}`,
        '    profiles: [later]',
        '    secrets: [unset]',
        // a target where a directory is: the write fails once the container is made
        '  broken:',
        `    image: ${BUSYBOX}`,
        `    cgroup_parent: ${env.cgroupParent}`,
        '    profiles: [broken]',
        '    configs: [{source: inline, target: /etc}]',
        'secrets:',
        '  db:',
        '    file: ./db.txt',
        '  token:',
        '    environment: TOKEN',
        '  unset:',
        '    environment: NOT_SET_ANYWHERE',
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
    const read = c(['exec', 'app', 'sh', '-c', 'cat /run/secrets/db /run/secrets/tok /etc/app.conf /deep/er/inline.conf; stat -c "%n %u:%g %a" /run/secrets/tok /deep/er/inline.conf /deep /deep/er'])
    expect(read.status, read.stderr).toBe(0)
    expect(read.stdout).toBe('s3cret\ntok123setting=1\nhello inline\n/run/secrets/tok 1000:1001 400\n/deep/er/inline.conf 0:0 444\n/deep 0:0 755\n/deep/er 0:0 755\n')
    // a bind of the host's file, read-only
    const write = c(['exec', 'app', 'sh', '-c', 'echo x >> /run/secrets/db'])
    expect(write.status).not.toBe(0)
    expect(write.stderr).toMatch(/Read-only file system/)
  })

  it('stop, then start writes the variable\'s value again, as Docker Compose does before each start; restart does not', () => {
    expect(c(['stop']).status).toBe(0)
    const started = c(['start'], { TOKEN: 'changed' })
    expect(started.status, started.stderr).toBe(0)
    expect(c(['exec', 'app', 'cat', '/run/secrets/tok']).stdout).toBe('changed')
    // the daemon's restart in Docker Compose (restart.go): nothing written, no variable needed
    const restarted = c(['restart'])
    expect(restarted.status, restarted.stderr).toBe(0)
    expect(c(['exec', 'app', 'cat', '/run/secrets/tok']).stdout).toBe('changed')
  })

  it('run -d and a foreground run write them into the one-off container too; --rm leaves none, nor does a start that fails', () => {
    const before = c(['ps', '-a', '-q']).stdout
    const oneoff = c(['run', '-d', '--name', 'sec-oneoff', 'app'], { TOKEN: 'one' })
    expect(oneoff.status, oneoff.stderr).toBe(0)
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'exec', 'sec-oneoff', 'cat', '/run/secrets/tok', '/deep/er/inline.conf']).stdout).toBe('onehello inline\n')
    expect(ns.miniRun(['--root', env.storeRoot, '--state', env.stateRoot, 'rm', '-f', 'sec-oneoff']).status).toBe(0)
    // made, written, then started under its monitor and attached: its output and exit code are the command's
    const fg = c(['run', '--rm', 'app', 'sh', '-c', 'cat /run/secrets/db /run/secrets/tok /deep/er/inline.conf; exit 3'], { TOKEN: 'fg' })
    expect([fg.status, fg.stdout], fg.stderr).toEqual([3, 's3cret\nfghello inline\n'])
    const missing = c(['run', '--rm', 'app', '/no/such/command'], { TOKEN: 'fg' })
    expect(missing.status, missing.stderr).toBe(127)
    expect(c(['ps', '-a', '-q']).stdout).toBe(before)
  })

  it('a write that fails (a directory at the target) leaves no container; up without the variable changes nothing and says which', () => {
    const before = c(['ps', '-a', '--format', '{{.ID}} {{.State}}']).stdout
    const broken = c(['--profile', 'broken', 'up', '-d', 'broken'], { TOKEN: 'x' })
    expect(broken.status).not.toBe(0)
    expect(broken.stderr.trim().split('\n').at(-1)).toMatch(/^mini-run: .*\/etc/)
    expect(c(['ps', '-a', '--format', '{{.ID}} {{.State}}']).stdout).toBe(before)
    const up = c(['up', '-d'], { TOKEN: undefined })
    expect(up.status).toBe(1)
    expect(up.stderr.trim().split('\n').at(-1)).toBe('mini-run: compose.yaml: services.app.secrets[1]: environment variable "TOKEN" required by secret "sec_token" is not set')
    expect(c(['ps', '-a', '--format', '{{.ID}} {{.State}}']).stdout).toBe(before)
  })
})
