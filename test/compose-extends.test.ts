// Compose without root: a service's extends, as compose-go applies it
// (loader/extends.go): a service of the same file or of another, itself
// extended first, this one merged over it by the rules files merge by,
// paths from another file relative to that file's directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadProject } from '../src/compose/load.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function load(files: Record<string, string>, env: Record<string, string> = {}) {
  const dir = mkdtempSync('/tmp/mini-run-compose-extends-')
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return { dir, ...loadProject({ cwd: dir, env }) }
}
const fails = (files: Record<string, string>) => {
  try {
    load(files)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('it loaded')
}

describe('compose: extends', () => {
  it('a service of the same file: its keys, with this one merged over them as a second file would be', () => {
    const { project } = load({
      'compose.yaml': [
        'services:',
        '  base:',
        '    image: busybox',
        '    command: sleep 1',
        '    environment: {A: "1", B: "2"}',
        '    ports: ["8080:80"]',
        '    labels: [one=1]',
        '  web:',
        '    extends: base',
        '    command: ["echo", "web"]',
        '    environment: [B=3]',
        '    ports: ["8081:81"]',
        '  deeper:',
        '    extends: {service: web}',
        '    labels: {two: "2"}',
        '',
      ].join('\n'),
    })
    const web = project.services.web!
    expect([web.image, web.command, web.environment, web.ports]).toEqual(['busybox', ['echo', 'web'], { A: '1', B: '3' }, ['8080:80', '8081:81']])
    expect(project.services.deeper!.labels).toMatchObject({ one: '1', two: '2' })
    expect(project.services.deeper!.command).toEqual(['echo', 'web'])
  })

  it('a service of another file, interpolated, its relative paths from that file\'s directory; !override and !reset drop what it had', () => {
    const { dir, project } = load(
      {
        'common/base.yaml': [
          'services:',
          '  app:',
          '    image: ${IMAGE}',
          '    env_file: app.env',
          '    build: ./ctx',
          '    volumes: ["./data:/data", "named:/named", "/abs:/abs"]',
          '    ports: ["8080:80"]',
          '    depends_on: [db]',
          '',
        ].join('\n'),
        'common/app.env': 'FROM_FILE=yes\n',
        'compose.yaml': [
          'services:',
          '  web:',
          '    extends: {file: common/base.yaml, service: app}',
          '    ports: !override ["9090:80"]',
          '    depends_on: !reset []',
          'volumes:',
          '  named: {}',
          '',
        ].join('\n'),
      },
      { IMAGE: 'busybox:1' },
    )
    const web = project.services.web!
    expect(web.image).toBe('busybox:1')
    expect(web.environment).toEqual({ FROM_FILE: 'yes' })
    expect(web.build?.context).toBe(join(dir, 'common/ctx'))
    expect(web.volumes.map((v) => `${v.type}:${v.source}:${v.target}`)).toEqual([`bind:${join(dir, 'common/data')}:/data`, 'volume:named:/named', 'bind:/abs:/abs'])
    expect(web.ports).toEqual(['9090:80'])
    expect(web.dependsOn).toEqual({})
  })

  it('errors name the service and the file: a service not found, a file not found, a cycle', () => {
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    extends: nope\n' })).toBe('compose.yaml: services.web.extends: cannot extend service "web" in compose.yaml: service "nope" not found')
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    extends: {file: other.yaml, service: x}\n', 'other.yaml': 'services:\n  y: {image: a}\n' })).toBe(
      'compose.yaml: services.web.extends: cannot extend service "web" in compose.yaml: service "x" not found in other.yaml',
    )
    expect(fails({ 'compose.yaml': 'services:\n  web:\n    extends: {file: missing.yaml, service: x}\n' })).toMatch(/^compose.yaml: services.web.extends.file: cannot read .*missing.yaml: ENOENT$/)
    expect(fails({ 'compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    image: x\n    extends: a\n' })).toBe('compose.yaml: services.a.extends: circular reference: a -> b -> a')
    expect(fails({ 'compose.yaml': 'services:\n  a:\n    extends: {file: other.yaml}\n' })).toBe('compose.yaml: services.a.extends.service: required: the name of the service to extend')
  })
})
