// Compose's top-level include (src/compose/include.ts), as compose-go
// applies it: loading without root; test/compose-containers.test.ts starts
// an included service.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { configYaml } from '../src/compose/config-document.js'
import { loadProject } from '../src/compose/load.js'
import { checkFileReferences } from '../src/compose/file-objects.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A project directory with these files; load it from there. */
function load(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync('/tmp/mini-run-compose-include-')
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return { dir, ...loadProject({ cwd: dir, env }) }
}
const fails = (files: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
  try {
    load(files, env)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('loaded')
}

const db = [
  'services:',
  '  db:',
  '    image: busybox',
  '    command: echo ${GREETING}',
  '    env_file: ./db.env',
  '    volumes: ["./data:/data"]',
  '    build: ./ctx',
  '  web:',
  '    image: from-sub',
  '    configs: [cfg]',
  '    environment: [FROM_SUB=1, BOTH=sub]',
  'networks:',
  '  back: {}',
  'volumes:',
  '  store:',
  '    driver_opts: {type: none, o: bind, device: ./store}',
  'configs:',
  '  cfg:',
  '    file: ./cfg.txt',
  '',
].join('\n')

describe('compose include', () => {
  it('imports an included project\'s resources, its relative paths from its own directory, its .env under the caller\'s variables', () => {
    const files = {
      'compose.yaml': 'include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: busybox\n    environment: [OWN=1, BOTH=own]\n',
      'sub/compose.yaml': db,
      'sub/.env': 'GREETING=from-sub-env\nOTHER=x\n',
      'sub/db.env': 'A=1\n',
    }
    const { project, dir } = load(files)
    const sub = join(dir, 'sub')
    expect(Object.keys(project.services).sort()).toEqual(['db', 'web'])
    const dbs = project.services.db!
    expect(dbs.command).toEqual(['echo', 'from-sub-env'])
    expect(dbs.environment).toEqual({ A: '1' })
    expect(dbs.volumes[0]).toMatchObject({ type: 'bind', source: join(sub, 'data'), target: '/data' })
    expect(dbs.build?.context).toBe(join(sub, 'ctx'))
    // a service both define: the including file's over the included one's, merged as a second -f file is
    expect(project.services.web!.environment).toEqual({ FROM_SUB: '1', BOTH: 'own', OWN: '1' })
    expect(project.services.web!.image).toBe('busybox')
    expect(project.services.web!.configs).toEqual([{ source: 'cfg', name: `${project.name}_cfg`, from: { file: join(sub, 'cfg.txt') } }])
    expect(project.networks.back?.name).toBe(`${project.name}_back`)
    expect(project.volumes.store?.driverOpts).toEqual({ type: 'none', o: 'bind', device: join(sub, 'store') })
    expect(configYaml(project)).not.toMatch(/^include:/m)
    // the caller's variable wins over the included project's .env
    expect(load(files, { GREETING: 'caller' }).project.services.db!.command).toEqual(['echo', 'caller'])
  })

  it('takes the long form: several files merged, project_directory, env_file (relative to the including project)', () => {
    const { project, dir } = load({
      'compose.yaml': 'include:\n  - path: [sub/compose.yaml, sub/override.yaml]\n    project_directory: elsewhere\n    env_file: [vars/one.env, /dev/null]\n',
      'sub/compose.yaml': 'services:\n  db:\n    image: busybox\n    command: echo ${GREETING}\n    volumes: ["./data:/data"]\n',
      'sub/override.yaml': 'services:\n  db:\n    environment: [B=2]\n',
      'sub/.env': 'GREETING=not-read\n',
      'vars/one.env': 'GREETING=from-env-file\n',
      'elsewhere/.keep': '',
    })
    const dbs = project.services.db!
    expect(dbs.command).toEqual(['echo', 'from-env-file'])
    expect(dbs.environment).toEqual({ B: '2' })
    expect(dbs.volumes[0]!.source).toBe(join(dir, 'elsewhere', 'data'))
  })

  it('includes within includes, each relative to its own project', () => {
    const { project, dir } = load({
      'compose.yaml': 'include: [a/compose.yaml]\n',
      'a/compose.yaml': 'include: [b/compose.yaml]\nservices:\n  one:\n    image: busybox\n    volumes: ["./x:/x"]\n',
      'a/b/compose.yaml': 'services:\n  two:\n    image: busybox\n    volumes: ["./y:/y"]\n',
    })
    expect(project.services.one!.volumes[0]!.source).toBe(join(dir, 'a', 'x'))
    expect(project.services.two!.volumes[0]!.source).toBe(join(dir, 'a', 'b', 'y'))
  })

  it('gives an included project its own variables for what names one alone, its !reset and !override win over it, a build without a context is its directory\'s', () => {
    const { project, dir } = load({
      'compose.yaml': [
        'include:',
        '  - path: sub/compose.yaml',
        '    env_file: []',
        'services:',
        '  db:',
        '    environment: !override [ZOT=QIX]',
        '    ports: !reset []',
        '',
      ].join('\n'),
      'sub/compose.yaml': [
        'services:',
        '  db:',
        '    image: busybox',
        '    environment: [SUB_ONLY, FOO=bar]',
        '    ports: ["8080:80"]',
        '    secrets: [s]',
        '    configs: [c]',
        '  built:',
        '    build: {dockerfile: Dockerfile.x}',
        'secrets:',
        '  s: {environment: SUB_ONLY}',
        'configs:',
        '  c: {environment: SUB_ONLY}',
        'volumes:',
        '  bound: {driver_opts: {type: none, o: bind, device: store}}',
        '  other: {driver_opts: {type: tmpfs, device: ./tmpfs}}',
        '',
      ].join('\n'),
      // env_file: [] is none given: the project's own .env
      'sub/.env': 'SUB_ONLY=from-sub\n',
    })
    const db = project.services.db!
    expect(db.environment).toEqual({ ZOT: 'QIX' })
    expect(db.ports).toEqual([])
    // resolved where the include's variables are, as compose-go's ResolveEnvironment: not the project's
    expect(project.environment.SUB_ONLY).toBeUndefined()
    expect(db.secrets![0]!.from).toEqual({ environment: 'SUB_ONLY', value: 'from-sub' })
    expect(db.configs![0]!.from).toEqual({ environment: 'SUB_ONLY', value: 'from-sub' })
    expect(checkFileReferences(project, [db], () => true)).toEqual([])
    expect(project.services.built!.build?.context).toBe(join(dir, 'sub'))
    expect(project.volumes.bound?.driverOpts?.device).toBe(join(dir, 'sub', 'store'))
    expect(project.volumes.other?.driverOpts?.device).toBe('./tmpfs')
    // without !override, the list form's variable named alone takes the include's value
    const plain = load({ 'compose.yaml': 'include: [sub/compose.yaml]\n', 'sub/compose.yaml': 'services:\n  db:\n    image: busybox\n    environment: [SUB_ONLY]\n', 'sub/.env': 'SUB_ONLY=from-sub\n' })
    expect(plain.project.services.db!.environment).toEqual({ SUB_ONLY: 'from-sub' })
  })

  it('refuses a cycle, a bad entry, a missing env file, and names the included file in errors about it', () => {
    expect(fails({ 'compose.yaml': 'include: [sub/compose.yaml]\n', 'sub/compose.yaml': 'include: [../compose.yaml]\nservices: {}\n' })).toBe(
      'sub/compose.yaml: include[0]: include cycle detected: compose.yaml includes sub/compose.yaml includes compose.yaml',
    )
    expect(fails({ 'compose.yaml': 'include: [compose.yaml]\nservices: {}\n' })).toBe('compose.yaml: include[0]: include cycle detected: compose.yaml includes compose.yaml')
    expect(fails({ 'compose.yaml': 'include: sub/compose.yaml\n' })).toBe('compose.yaml: include: `include` must be a list')
    expect(fails({ 'compose.yaml': 'include:\n  - path: sub/compose.yaml\n    envfile: x\n', 'sub/compose.yaml': 'services: {}\n' })).toBe('compose.yaml: include[0].envfile: not an include option (path, project_directory, env_file)')
    expect(fails({ 'compose.yaml': 'include:\n  - path: sub/compose.yaml\n    env_file: nope.env\n', 'sub/compose.yaml': 'services: {}\n' })).toBe('compose.yaml: include[0].env_file: nope.env is not a file')
    expect(fails({ 'compose.yaml': 'include: [missing.yaml]\n' })).toMatch(/^missing\.yaml: cannot read it: ENOENT$/)
    // the schema, and a service's values, by the included file
    expect(fails({ 'compose.yaml': 'include: [sub/compose.yaml]\n', 'sub/compose.yaml': 'services:\n  db:\n    image: busybox\n    portz: []\n' })).toMatch(/^sub\/compose\.yaml: services\.db/)
    expect(fails({ 'compose.yaml': 'include:\n  - path: [sub/a.yaml, compose.yaml]\n', 'sub/a.yaml': 'services: {}\n' })).toBe('compose.yaml: include[0]: include cycle detected: compose.yaml includes compose.yaml')
    expect(fails({ 'compose.yaml': 'include: [sub/compose.yaml]\n', 'sub/compose.yaml': 'services: {}\nmodels:\n  m: {model: ai/x}\n' })).toBe('compose.yaml: include[0]: sub/compose.yaml: models: not supported by mini-run')
    // a service only in an entry's second file: that file
    expect(fails({ 'compose.yaml': 'include:\n  - path: [sub/a.yaml, sub/b.yaml]\n', 'sub/a.yaml': 'services: {}\n', 'sub/b.yaml': 'services:\n  x:\n    image: busybox\n    secrets: [nope]\n' })).toBe(
      'sub/b.yaml: services.x.secrets[0]: service "x" refers to undefined secret nope',
    )
    // through an include's include: the file that defines it
    expect(fails({ 'compose.yaml': 'include: [a/compose.yaml]\n', 'a/compose.yaml': 'include: [b/compose.yaml]\n', 'a/b/compose.yaml': 'services:\n  two:\n    image: busybox\n    secrets: [nope]\n' })).toBe(
      'a/b/compose.yaml: services.two.secrets[0]: service "two" refers to undefined secret nope',
    )
  })
})
