/**
 * Dockerfile parsing (src/build/dockerfile.ts) and the pure parts of the
 * instructions (src/build/config-steps.ts): stages, flags, JSON and shell
 * forms, continuations, parser directives, heredocs, and the errors.
 */
import { describe, expect, test } from 'vitest'
import { commandOf, exposedPorts, healthcheckOf, heredocScript, parseDuration, parseKeyValues, rawKeyValues, setEnv, workdirOf } from '../src/build/config-steps.js'
import { flagValue, heredocName, instructionText, parseDockerfile, parseTrigger, type Instruction } from '../src/build/dockerfile.js'
import { lookupOf } from '../src/build/shell-lex.js'

const none = lookupOf([])

describe('parseDockerfile', () => {
  test('global ARGs, stages with names, flags, JSON and shell forms, lines', () => {
    const df = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=busybox',
        'FROM --platform=$BUILDPLATFORM ${BASE}:1.36 AS Build',
        'RUN --mount=type=cache,target=/root/.cache \\',
        '    make \\',
        '    # a comment inside a continued line',
        '    all',
        'COPY --from=build --chown=1:2 a b /dst/',
        'FROM scratch',
        'CMD ["/app", "--flag"]',
        'ENTRYPOINT /bin/sh -c',
      ].join('\n'),
    )
    expect(df.directives.get('syntax')).toBe('docker/dockerfile:1')
    expect(df.escape).toBe('\\')
    expect(df.globalArgs.map((i) => i.args)).toEqual(['BASE=busybox'])
    expect(df.stages).toHaveLength(2)
    const [build, final] = df.stages as [NonNullable<(typeof df.stages)[0]>, NonNullable<(typeof df.stages)[0]>]
    expect(build.name).toBe('build')
    expect(build.base).toBe('${BASE}:1.36')
    expect(flagValue(build.from, 'platform')).toBe('$BUILDPLATFORM')
    const run = build.instructions[0]!
    expect(run.keyword).toBe('RUN')
    expect([run.line, run.endLine]).toEqual([4, 7])
    expect(run.flags).toEqual([{ name: 'mount', value: 'type=cache,target=/root/.cache' }])
    expect(run.args.replace(/\s+/g, ' ').trim()).toBe('make all')
    expect(run.json).toBeUndefined()
    const copy = build.instructions[1]!
    expect(copy.flags).toEqual([
      { name: 'from', value: 'build' },
      { name: 'chown', value: '1:2' },
    ])
    expect(copy.args).toBe('a b /dst/')
    expect(final.name).toBeUndefined()
    expect(final.base).toBe('scratch')
    expect(final.instructions[0]!.json).toEqual(['/app', '--flag'])
    expect(final.instructions[1]!.json).toBeUndefined()
    expect(instructionText(copy)).toBe('COPY --from=build --chown=1:2 a b /dst/')
  })

  test('a flag value quoted with a blank in it is one value, quotes taken out, as BuildKit\'s extractBuilderFlags reads it', () => {
    const df = parseDockerfile(
      [
        'FROM --platform="linux/amd64" busybox',
        'RUN --mount=type=secret,id=a,target="/run/my secret" cat "/run/my secret"',
        'RUN --mount="type=bind,target=/a b" \\',
        '    # a comment between',
        "    --network='none' echo '--not-a-flag'",
        'COPY --chown="1000:1000" --exclude="my notes.txt" --link a b',
        'COPY --chown=a\\ b\\"c -- --odd-name /dst/',
        'RUN --mount=type=secret,id=s,target="/x y" <<EOF',
        'cat "/x y"',
        'EOF',
        'HEALTHCHECK --interval="5 s" CMD ["true"]',
      ].join('\n'),
    )
    const [secret, bind, copy, odd, heredoc, health] = df.stages[0]!.instructions as Instruction[]
    expect(flagValue(df.stages[0]!.from, 'platform')).toBe('linux/amd64')
    expect([secret!.flags, secret!.args]).toEqual([[{ name: 'mount', value: 'type=secret,id=a,target=/run/my secret' }], 'cat "/run/my secret"'])
    expect([bind!.flags, bind!.args.trim()]).toEqual([[{ name: 'mount', value: 'type=bind,target=/a b' }, { name: 'network', value: 'none' }], "echo '--not-a-flag'"])
    expect([copy!.flags, copy!.args]).toEqual([[{ name: 'chown', value: '1000:1000' }, { name: 'exclude', value: 'my notes.txt' }, { name: 'link', value: undefined }], 'a b'])
    // the escape character keeps the next character as it is; a lone -- ends the flags
    expect([odd!.flags, odd!.args]).toEqual([[{ name: 'chown', value: 'a b"c' }], '--odd-name /dst/'])
    expect([heredoc!.flags, heredoc!.args, heredoc!.heredocs]).toEqual([[{ name: 'mount', value: 'type=secret,id=s,target=/x y' }], '<<EOF', [{ name: 'EOF', content: 'cat "/x y"\n', expand: true }]])
    expect([health!.flags, health!.json]).toEqual([[{ name: 'interval', value: '5 s' }], undefined])
    expect(health!.args).toBe('CMD ["true"]')
  })

  test('the escape directive makes ` the continuation character (Windows style)', () => {
    const df = parseDockerfile(['# escape=`', 'FROM busybox', 'RUN echo a `', '  b\\c'].join('\n'))
    expect(df.escape).toBe('`')
    expect(df.stages[0]!.instructions[0]!.args.replace(/\s+/g, ' ')).toBe('echo a b\\c')
  })

  // BuildKit's line continuation regex, ([^E])E[ \t]*$|^E[ \t]*$: an escape after another
  // ends the line (its parser's testfiles/trailing-backslash, docker/for-win#5254)
  test('a line that ends in two escapes is not continued; one alone on a line is', () => {
    const args = (text: string) => parseDockerfile(text).stages[0]!.instructions.map((i) => i.args)
    const buildkitCase = [
      'FROM hello-world', '', 'ENV A path', 'ENV B another\\\\path', 'ENV C trailing\\\\backslash\\\\', 'ENV D This should not be appended to C',
      'ENV E hello\\', '\\', 'world', 'ENV F hello\\', ' \\', 'world', 'ENV G hello \\', '\\', 'world',
    ]
    expect(args(buildkitCase.join('\n'))).toEqual(['A path', 'B another\\\\path', 'C trailing\\\\backslash\\\\', 'D This should not be appended to C', 'E helloworld', 'F hello world', 'G hello world'])
    // CRLF, blanks after them, a flag, the backtick escape, the file's end: the same
    expect(args('FROM x\r\nRUN --mount=type=cache,target=/c echo hi \\\\  \r\nRUN b\r\n').map((a) => a.trimEnd())).toEqual(['echo hi \\\\', 'b'])
    expect(args('# escape=`\nFROM x\nRUN echo a``\nRUN b')).toEqual(['echo a``', 'b'])
    expect(args('FROM x\nRUN echo hi \\\\')).toEqual(['echo hi \\\\'])
    // one escape at the file's end goes, as any continuation's
    expect(args('FROM x\nRUN echo hi\\')).toEqual(['echo hi'])
    // a comment inside a continued instruction is dropped, whatever it ends in
    expect(args('FROM x\nRUN echo a \\\n# c \\\\\n  b\nRUN z')).toEqual(['echo a   b', 'z'])
  })

  test('heredocs: the bodies, <<- strips tabs, a quoted delimiter is not expanded', () => {
    const df = parseDockerfile(['FROM busybox', 'RUN <<EOF', 'echo one', 'echo two', 'EOF', 'COPY <<-"END" /x', '\tliteral $HOME', '\tEND', 'RUN echo after'].join('\n'))
    const [run, copy, after] = df.stages[0]!.instructions as [NonNullable<(typeof df.stages)[0]['instructions'][0]>, ReturnType<typeof Object>, ReturnType<typeof Object>]
    expect(run.args).toBe('<<EOF')
    expect(run.heredocs).toEqual([{ name: 'EOF', content: 'echo one\necho two\n', expand: true }])
    expect(commandOf(run, ['/bin/sh', '-c'])).toEqual(['/bin/sh', '-c', 'echo one\necho two\n'])
    expect((copy as typeof run).heredocs).toEqual([{ name: 'END', content: 'literal $HOME\n', expand: false }])
    expect((after as typeof run).args).toBe('echo after')
  })

  test('a heredoc fed to a command goes to the shell whole', () => {
    const df = parseDockerfile(['FROM busybox', 'RUN cat > /f <<EOF', 'x', 'EOF'].join('\n'))
    expect(commandOf(df.stages[0]!.instructions[0]!, ['/bin/sh', '-c'])).toEqual(['/bin/sh', '-c', 'cat > /f <<EOF\nx\nEOF'])
  })

  test('heredoc names with - and . (BuildKit\'s ^(\\d*)<<(-?)\\s*([^<]*)$); a "#!" RUN heredoc is a script', () => {
    expect(['<<EOF', '<<-"run-me.sh"', "<<'a.b'", '<<robots.txt', '2<<x', 'x<<y', '<<a<b'].map(heredocName)).toEqual(['EOF', 'run-me.sh', 'a.b', 'robots.txt', 'x', undefined, undefined])
    const df = parseDockerfile(['FROM busybox', 'RUN <<run-me.sh', 'echo hi', 'run-me.sh', 'RUN <<EOF', '#!/usr/bin/awk -f', 'BEGIN { print 1 }', 'EOF'].join('\n'))
    const [plain, awk] = df.stages[0]!.instructions as [Instruction, Instruction]
    expect(commandOf(plain, ['/bin/sh', '-c'])).toEqual(['/bin/sh', '-c', 'echo hi\n'])
    expect(heredocScript(plain)).toBeUndefined()
    expect(heredocScript(awk)).toEqual({ name: 'EOF', content: '#!/usr/bin/awk -f\nBEGIN { print 1 }\n' })
  })

  test('an ONBUILD trigger with a heredoc keeps its lines (BuildKit\'s expression), so the child parses the same RUN', () => {
    const df = parseDockerfile(['FROM busybox', 'ONBUILD RUN <<EOF', 'echo one', 'echo two', 'EOF', 'ONBUILD RUN echo a \\', '  && echo b'].join('\n'))
    const [heredoc, continued] = df.stages[0]!.instructions as [Instruction, Instruction]
    expect(heredoc.args).toBe('RUN <<EOF\necho one\necho two\nEOF')
    expect(continued.args).toBe('RUN echo a   && echo b')
    const trigger = parseTrigger(heredoc.args, '\\', 2)
    expect(commandOf(trigger, ['/bin/sh', '-c'])).toEqual(['/bin/sh', '-c', 'echo one\necho two\n'])
    // an image's own triggers are checked where they run, at the FROM's line
    expect(() => parseTrigger('FROM alpine', '\\', 7)).toThrow(/^Dockerfile:7: FROM isn't allowed as an ONBUILD trigger$/)
    expect(() => parseTrigger('ONBUILD RUN x', '\\', 7)).toThrow(/^Dockerfile:7: Chaining ONBUILD/)
  })

  test.each([
    ['RUN echo before', /Dockerfile:1: RUN before the first FROM/],
    ['FROM a AS b c', /FROM requires either one argument, or three/],
    ['FROM a AS x\nFROM b AS x', /duplicate stage name "x"/],
    ['FROM a\nFROBNICATE now', /Dockerfile:2: unknown instruction: FROBNICATE/],
    ['FROM a\nCOPY --frm=x a b', /unknown flag for COPY: --frm/],
    ['FROM a\nWORKDIR', /Dockerfile:2: WORKDIR requires at least one argument/],
    // the escape at the file's end is taken out, as BuildKit trims it: no command `\`
    ['FROM a\nRUN --mount=type=cache,target=/c \\', /Dockerfile:2: RUN requires at least one argument/],
    ['FROM a\nRUN \\', /Dockerfile:2: RUN requires at least one argument/],
    ['# just a comment', /no FROM instruction/],
    // where ONBUILD is written, as BuildKit's parseOnBuild (not only in the image built on it)
    ['FROM a\nONBUILD FROM b', /Dockerfile:2: FROM isn't allowed as an ONBUILD trigger/],
    ['FROM a\nONBUILD maintainer me', /Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger/],
    ['FROM a\nONBUILD ONBUILD RUN x', /Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseDockerfile(text)).toThrow(message)
  })
})

describe('instruction arguments', () => {
  const instr = (line: string) => parseDockerfile(`FROM a\n${line}`).stages[0]!.instructions[0]!

  test('ENV: pairs with quotes and escapes, each expanded with the values from before the line (the Dockerfile reference\'s abc/def example); the legacy form', () => {
    expect(parseKeyValues(instr('ENV A=1 B="two words" C=\\$A D=${A}x'), '\\', none)).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', '$A'],
      ['D', 'x'],
    ])
    const before = (name: string) => (name === 'abc' ? 'hello' : undefined)
    expect(parseKeyValues(instr('ENV abc=bye def=$abc'), '\\', before)).toEqual([
      ['abc', 'bye'],
      ['def', 'hello'],
    ])
    expect(parseKeyValues(instr('ENV PATH_EXTRA /opt/bin and more'), '\\', none)).toEqual([['PATH_EXTRA', '/opt/bin and more']])
    expect(() => parseKeyValues(instr('ENV A=1 B'), '\\', none)).toThrow(/"B" must be of the form NAME=VALUE/)
  })

  test('ARG: names with and without defaults', () => {
    expect(parseKeyValues(instr('ARG A B=2'), '\\', none, { bareNames: true })).toEqual([
      ['A', undefined],
      ['B', '2'],
    ])
    // the values raw: builder.ts and stage-run.ts expand each after the one before is set
    expect(rawKeyValues(instr('ARG A=1 B=${A}x C'), '\\', none, { bareNames: true })).toEqual([
      ['A', '1'],
      ['B', '${A}x'],
      ['C', undefined],
    ])
  })

  test('EXPOSE, WORKDIR, HEALTHCHECK, durations, Env replacement', () => {
    expect(exposedPorts(instr('EXPOSE 80'), ['80', '53/udp', '8000-8002'])).toEqual(['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp'])
    expect(() => exposedPorts(instr('EXPOSE x'), ['http'])).toThrow(/invalid port "http"/)
    expect(workdirOf('/app', 'src/../lib')).toBe('/app/lib')
    expect(workdirOf('/app', '/abs')).toBe('/abs')
    expect(workdirOf(undefined, 'rel')).toBe('/rel')
    expect(parseDuration('1m30s')).toBe(90e9)
    expect(parseDuration('500ms')).toBe(5e8)
    expect(() => parseDuration('5 s')).toThrow(/invalid duration/)
    expect(healthcheckOf(instr('HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost'))).toEqual({
      Test: ['CMD-SHELL', 'wget -q localhost'],
      Interval: 5e9,
      Retries: 3,
    })
    expect(healthcheckOf(instr('HEALTHCHECK CMD ["true"]'))).toEqual({ Test: ['CMD', 'true'] })
    expect(healthcheckOf(instr('HEALTHCHECK NONE'))).toEqual({ Test: ['NONE'] })
    // BuildKit's parseOptInterval: 0 is the default, anything else at least 1ms
    expect(healthcheckOf(instr('HEALTHCHECK --timeout=1ms --interval=0s CMD true'))).toMatchObject({ Timeout: 1e6, Interval: 0 })
    expect(() => healthcheckOf(instr('HEALTHCHECK --timeout=500us CMD true'))).toThrow(/HEALTHCHECK: Interval "timeout" cannot be less than 1ms$/)
    expect(() => healthcheckOf(instr('HEALTHCHECK --start-interval=999us CMD true'))).toThrow(/Interval "start-interval" cannot be less than 1ms$/)
    expect(setEnv(['A=1', 'B=2'], 'A', '3')).toEqual(['A=3', 'B=2'])
    expect(setEnv(['A=1'], 'C', '3')).toEqual(['A=1', 'C=3'])
  })
})
