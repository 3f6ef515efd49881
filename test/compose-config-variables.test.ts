/**
 * `compose config --variables` (src/compose/variables.ts): the variables of
 * the files as written, as compose-go's ExtractVariables finds them, in
 * docker compose's table, json and yaml; a required variable that is unset
 * is listed, not an error.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { extractVariables } from '../src/compose/variables.js'
import { miniRun } from './helpers/cli.js'

const dir = mkdtempSync('/var/tmp/mini-run-variables-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('compose config --variables', () => {
  it('finds $NAME, ${NAME}, defaults (searched too), alternates and required ones; $$ is a dollar', () => {
    const found = extractVariables({ a: ['$X and ${Y}', { b: '${A:-${B:-deep}} ${R:?why} ${P:+on} $$NOT ${D-dash} ${Q?} ${E+alt}' }], n: 3 })
    expect(Object.fromEntries([...found].map(([k, v]) => [k, [v.required, v.defaultValue, v.presenceValue]]))).toEqual({
      X: [false, '', ''],
      Y: [false, '', ''],
      A: [false, '${B:-deep}', ''],
      B: [false, 'deep', ''],
      R: [true, '', ''],
      P: [false, '', 'on'],
      D: [false, 'dash', ''],
      Q: [true, '', ''],
      E: [false, '', 'alt'],
    })
  })

  it('prints them from every file, sorted, as a table, json or yaml, with DB_HOST unset', () => {
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: "nginx:${TAG:-1.25}"\n    environment:\n      DB: "${DB_HOST:?the database host}"\n')
    writeFileSync(join(dir, 'compose.override.yaml'), 'services:\n  web:\n    environment:\n      OPT: "${EXTRA:+--extra}"\n')
    const run = (args: string[]) => miniRun(['compose', 'config', '--variables', ...args], { cwd: dir, env: { ...process.env, DB_HOST: undefined } })
    const table = run([])
    expect([table.status, table.stderr]).toEqual([0, ''])
    expect(table.stdout).toBe([
      'NAME                REQUIRED            DEFAULT VALUE       ALTERNATE VALUE',
      'DB_HOST             true',
      'EXTRA               false                                   --extra',
      'TAG                 false               1.25',
      '',
    ].join('\n'))
    expect(JSON.parse(run(['--format', 'json']).stdout)).toEqual({
      DB_HOST: { Name: 'DB_HOST', DefaultValue: '', PresenceValue: '', Required: true },
      EXTRA: { Name: 'EXTRA', DefaultValue: '', PresenceValue: '--extra', Required: false },
      TAG: { Name: 'TAG', DefaultValue: '1.25', PresenceValue: '', Required: false },
    })
    expect(run(['--format', 'yaml']).stdout).toContain('TAG:\n  name: TAG\n  defaultvalue: "1.25"\n  presencevalue: ""\n  required: false\n')
    expect(run(['web']).stderr).toBe('WARNING: service filtering is not applied when --variables is set, variables from the full model will be rendered\n')
    expect(run(['--format', 'xml']).stderr).toBe('mini-run: invalid --format "xml": table, json or yaml\n')
    // without --variables, the same file is an error for the unset required variable
    expect(miniRun(['compose', 'config', '-q'], { cwd: dir, env: { ...process.env, DB_HOST: undefined } }).stderr).toMatch(/required variable DB_HOST is missing a value/)
  })
})

describe('compose config --hash', () => {
  it('prints "NAME HASH" of the services named, or of all with *, by name; a changed service changes its own alone', () => {
    const project = join(dir, 'hash')
    mkdirSync(project, { recursive: true })
    const write = (webEnv: string, dependsOn = '') =>
      writeFileSync(join(project, 'compose.yaml'), `services:\n  web:\n    image: busybox\n    environment: {MODE: ${webEnv}}\n${dependsOn}  db:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [debug]\n`)
    const hash = (which: string) => miniRun(['compose', 'config', '--hash', which], { cwd: project })
    write('one')
    const all = hash('*')
    expect([all.status, all.stderr]).toEqual([0, ''])
    const lines = all.stdout.split('\n').filter(Boolean)
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['db', 'web'])
    for (const l of lines) expect(l).toMatch(/^[a-z]+ [0-9a-f]{64}$/)
    expect(hash('web,db').stdout).toBe(all.stdout)
    expect(hash('web').stdout).toBe(`${lines[1]}\n`)
    write('two')
    const after = hash('*').stdout.split('\n').filter(Boolean)
    expect(after[0]).toBe(lines[0])
    expect(after[1]).not.toBe(lines[1])
    expect(hash('nope')).toMatchObject({ status: 1, stderr: 'mini-run: no such service: nope\n' })
    // a service its profile disables is none, as docker compose's; a name twice is one line; depends_on is not part of it (ServiceHash)
    expect(hash('debug')).toMatchObject({ status: 1, stderr: 'mini-run: no such service: debug\n' })
    expect(hash('web,web').stdout).toBe(`${after[1]}\n`)
    write('two', '    depends_on: [db]\n')
    expect(hash('web').stdout).toBe(`${after[1]}\n`)
  })
})
