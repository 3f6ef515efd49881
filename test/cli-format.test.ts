// --format's Go templates (the subset Docker users write), tabwriter
// tables, Docker's list formats, the detach keys, and commander's usage
// errors in Docker's words. Literal expected text throughout; no root.
import { describe, expect, it } from 'vitest'
import { DetachWatcher, parseDetachKeys } from '../src/cli/detach-keys.js'
import { formatEach, formatList } from '../src/cli/format/format-list.js'
import { alignTabs } from '../src/cli/format/tab-writer.js'
import { compileTemplate } from '../src/cli/format/template-exec.js'
import { goPrint } from '../src/cli/format/template-functions.js'
import { dockerUsageError } from '../src/cli/main-errors.js'

const run = (src: string, data: unknown) => compileTemplate(src).execute(data)

describe('Go templates', () => {
  const c = {
    ID: 'abc123',
    Names: 'web',
    State: { Status: 'running', Pid: 42, Running: true },
    Config: { Env: ['A=1', 'B=2'], Labels: { tier: 'front', 'com.x': 'y' } },
    Mounts: [],
    Nil: null,
    Label: (k: unknown) => (k === 'tier' ? 'front' : ''),
  }

  it('fields, nested fields, methods with arguments, and a missing key', () => {
    expect(run('{{.ID}} {{.Names}}', c)).toBe('abc123 web')
    expect(run('{{.State.Status}}/{{.State.Pid}}/{{.State.Running}}', c)).toBe('running/42/true')
    expect(run('{{.Label "tier"}}', c)).toBe('front')
    expect(run('{{.Nope}}', c)).toBe('<no value>')
    expect(run('{{.Nil}}', c)).toBe('<nil>')
  })

  it('prints lists and maps as fmt does, json as Docker\'s json function does', () => {
    expect(run('{{.Config.Env}}', c)).toBe('[A=1 B=2]')
    expect(run('{{.Config.Labels}}', c)).toBe('map[com.x:y tier:front]')
    expect(run('{{json .State}}', c)).toBe('{"Status":"running","Pid":42,"Running":true}')
    expect(run('{{json .Mounts}}', c)).toBe('[]')
    expect(run('{{json .ID}}', c)).toBe('"abc123"')
    expect(goPrint([1, 'a', null])).toBe('[1 a <nil>]')
  })

  it('pipelines, parentheses and the functions: join, index, lower, upper, title, len, printf, split, pad, truncate', () => {
    expect(run('{{join .Config.Env ","}}', c)).toBe('A=1,B=2')
    expect(run('{{index .Config.Labels "com.x"}}', c)).toBe('y')
    expect(run('{{index .Config.Env 1}}', c)).toBe('B=2')
    // a key the map lacks: its elements' zero value, as Go's index gives it (a field's lookup: <no value>)
    expect(run('[{{index .Config.Labels "nope"}}]{{if eq (index .Config.Labels "nope") ""}} empty{{end}}', c)).toBe('[] empty')
    expect(run('[{{index .Empty "nope"}}] {{index .Ports "80/udp"}} {{index .Networks "nope"}} {{.Config.Labels.nope}}', { ...c, Empty: {}, Ports: { '80/tcp': [] }, Networks: { bridge: { IPAddress: '' } } })).toBe('[] [] <nil> <no value>')
    // a nil map (null in the JSON) indexes to ""; a null value among lists says nothing of the type
    expect(run('[{{index .Labels "x"}}] {{index .Ports "81/tcp"}}', { Labels: null, Ports: { '80/tcp': null, '90/tcp': [{ HostPort: '1' }] } })).toBe('[] []')
    expect(run('{{.Names | upper}}', c)).toBe('WEB')
    expect(run('{{lower "ABC"}} {{title "hello world"}}', c)).toBe('abc Hello World')
    expect(run('{{len .Config.Env}}', c)).toBe('2')
    expect(run('{{printf "%s:%d" .Names .State.Pid}}', c)).toBe('web:42')
    expect(run('{{printf "%-6s|" .Names}}', c)).toBe('web   |')
    expect(run('{{(index .Config.Env 0) | lower}}', c)).toBe('a=1')
    expect(run('{{join (split "a-b-c" "-") "+"}}', c)).toBe('a+b+c')
    expect(run('{{pad .Names 1 2}}|{{truncate .ID 3}}', c)).toBe(' web  |abc')
  })

  it('range (with variables), if/else if/else, with, comparisons, and/or/not', () => {
    expect(run('{{range .Config.Env}}[{{.}}]{{end}}', c)).toBe('[A=1][B=2]')
    expect(run('{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}', c)).toBe('0=A=1;1=B=2;')
    expect(run('{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}', c)).toBe('com.x:y tier:front ')
    expect(run('{{range .Mounts}}x{{else}}none{{end}}', c)).toBe('none')
    expect(run('{{if eq .State.Status "running"}}up{{else if eq .State.Status "exited"}}down{{else}}?{{end}}', c)).toBe('up')
    expect(run('{{if eq .State.Status "paused" "exited"}}a{{else if .State.Running}}b{{end}}', c)).toBe('b')
    expect(run('{{with .State}}{{.Pid}}{{end}}{{with .Nope}}x{{else}}y{{end}}', c)).toBe('42y')
    expect(run('{{if and .State.Running (gt .State.Pid 1)}}yes{{end}}{{if or .Nil .Names}}+{{end}}{{if not .Nil}}!{{end}}', c)).toBe('yes+!')
    expect(run('{{$n := .Names}}{{range .Config.Env}}{{$n}}{{end}}{{$.ID}}', c)).toBe('webwebabc123')
  })

  it('trims with {{- and -}}, skips comments', () => {
    expect(run('a  {{- .Names -}}  b{{/* a comment */}}', c)).toBe('awebb')
    expect(run('{{- /* x */ -}}\n{{.Names}}', c)).toBe('web')
  })

  it('refuses what it does not know, with the place', () => {
    expect(() => run('{{.Names', c)).toThrow('template: :1: unclosed action')
    expect(() => run('{{template "x"}}', c)).toThrow('{{template}} is not supported')
    expect(() => run('{{nosuch .Names}}', c)).toThrow('function "nosuch" not defined')
    expect(() => run('{{if .Names}}x', c)).toThrow('unexpected EOF')
    expect(() => run('{{end}}', c)).toThrow('unexpected {{end}}')
  })
})

describe('Docker\'s list formats', () => {
  const rows = [
    { ID: 'aaa', Names: 'first', Status: 'Up 2 seconds' },
    { ID: 'bbbbbbbbbbbbbbbbbbbbbb', Names: 'second', Status: 'Exited (0) 1 second ago' },
  ]
  const o = { defaultTable: '{{.ID}}\t{{.Names}}\t{{.Status}}', headers: { ID: 'CONTAINER ID', Names: 'NAMES', Status: 'STATUS' } }

  it('table: headers, columns as wide as the widest cell plus 3 and at least 10, the last one unpadded', () => {
    expect(formatList(undefined, rows, o)).toBe(
      'CONTAINER ID             NAMES     STATUS\n' +
        'aaa                      first     Up 2 seconds\n' +
        'bbbbbbbbbbbbbbbbbbbbbb   second    Exited (0) 1 second ago\n',
    )
    expect(formatList('table {{.Names}}\\t{{.ID}}', rows, o)).toBe('NAMES     ID\nfirst     aaa\nsecond    bbbbbbbbbbbbbbbbbbbbbb\n'.replace('ID\n', 'CONTAINER ID\n'))
  })

  it('a plain template gives one line an item; json one object a line', () => {
    expect(formatList('{{.Names}}', rows, o)).toBe('first\nsecond\n')
    expect(formatList('{{.ID}}:{{.Names}}', [], o)).toBe('')
    expect(formatList('json', rows.slice(0, 1), o)).toBe('{"ID":"aaa","Names":"first","Status":"Up 2 seconds"}\n')
    expect(formatEach('{{.Names}}', rows)).toBe('first\nsecond\n')
  })

  it('tabwriter: a column block ends where a line has no cell in it', () => {
    expect(alignTabs('a\tb\nccc\nlong-cell-here\tx')).toBe('a         b\nccc\nlong-cell-here   x')
  })

  it('a bad template is one line, Docker\'s', () => {
    expect(() => formatList('{{.ID', rows, o)).toThrow('template parsing error: template: :1: unclosed action')
  })
})

describe('detach keys', () => {
  it('reads Docker\'s key names', () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17])
    expect([...parseDetachKeys('ctrl-a,x')]).toEqual([1, 120])
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-_')]).toEqual([0, 27, 31])
    expect(() => parseDetachKeys('ctrl-1')).toThrow("invalid detach keys (ctrl-1): unknown character: '1'")
    expect(() => parseDetachKeys('xy')).toThrow('unknown character')
  })

  it('holds what starts the sequence, detaches on the whole, lets the rest through', () => {
    const w = new DetachWatcher(parseDetachKeys('ctrl-p,ctrl-q'))
    expect(w.filter(Buffer.from('ab\x10'))).toEqual({ pass: Buffer.from('ab'), detach: false })
    expect(w.filter(Buffer.from('c'))).toEqual({ pass: Buffer.from('\x10c'), detach: false })
    expect(w.filter(Buffer.from('\x10\x10'))).toEqual({ pass: Buffer.from('\x10'), detach: false })
    expect(w.filter(Buffer.from('\x11after'))).toEqual({ pass: Buffer.from(''), detach: true })
  })
})

describe('usage errors in Docker\'s words', () => {
  it('two lines: what is wrong, and where the help is', () => {
    expect(dockerUsageError("error: unknown option '--bogus'", 'mini-run run')).toBe("unknown flag: --bogus\nSee 'mini-run run --help'.\n")
    expect(dockerUsageError("error: unknown option '-Z'", 'mini-run ps')).toBe("unknown shorthand flag: 'Z' in -Z\nSee 'mini-run ps --help'.\n")
    expect(dockerUsageError("error: missing required argument 'container'", 'mini-run rm')).toBe('"mini-run rm" requires at least 1 argument.\nSee \'mini-run rm --help\'.\n')
    expect(dockerUsageError("error: option '-t, --time <seconds>' argument missing", 'mini-run stop')).toBe("flag needs an argument: 't' in -t\nSee 'mini-run stop --help'.\n")
    expect(dockerUsageError("error: too many arguments for 'rename'. Expected 2 arguments but got 3.", 'mini-run rename')).toBe('"mini-run rename" requires at most 2 arguments.\nSee \'mini-run rename --help\'.\n')
  })
})
