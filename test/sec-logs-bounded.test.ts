// Security issue "Logs without limits": a container printing 100 MB of ESC
// bytes made a 600 MB container.log, and `logs --tail 1` then failed with
// "Cannot create a string longer than 0x1fffffe8 characters": a container
// could fill the disk and hide its own logs. The monitor now rotates the
// log (--log-opt max-size, max-file, with a default cap) and `logs` streams
// it, reading --tail from the end.
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseLogOptions, parseLogSize } from '../src/runtime/spec/log-options.js'
import { cliEnv, miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/until.js'
import { BUSYBOX, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'


/** Bytes the files of a directory take on disk, as du counts them. */
function diskUsage(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).blocks * 512, 0)
}

/** The numbers n of "<prefix>n..." lines, which must come in order, each once, ending just before the last line. */
function expectContiguous(lines: string[], pattern: RegExp, last: number): number[] {
  const numbers = lines.map((l) => {
    const m = pattern.exec(l)
    if (!m) throw new Error(`a line cut or foreign: ${JSON.stringify(l.slice(0, 200))}`)
    return Number(m[1])
  })
  const first = numbers[0]!
  expect(numbers).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i))
  return numbers
}

describe('--log-opt for the json-file log (pure)', () => {
  it('reads sizes as Docker\'s go-units FromHumanSize does: decimal units, case-insensitive', () => {
    expect(parseLogSize('10k')).toBe(10_000)
    expect(parseLogSize('1m')).toBe(1_000_000)
    expect(parseLogSize('20M')).toBe(20_000_000)
    expect(parseLogSize('1g')).toBe(1_000_000_000)
    expect(parseLogSize('1.5kb')).toBe(1500)
    expect(parseLogSize('512')).toBe(512)
    expect(parseLogSize('2 mb')).toBe(2_000_000)
    for (const bad of ['', 'abc', '-1', '1x', '1mm', '1.m', 'm']) expect(parseLogSize(bad)).toBeUndefined()
  })

  it('caps the log by default at 5 files of 20m (Docker\'s local driver)', () => {
    expect(parseLogOptions([])).toEqual({ maxSize: 20_000_000, maxFile: 5, options: { 'max-size': '20m', 'max-file': '5' } })
    expect(parseLogOptions(['max-size=1m', 'max-file=2', 'max-size=2m'])).toEqual({
      maxSize: 2_000_000,
      maxFile: 2,
      options: { 'max-size': '2m', 'max-file': '2' },
    })
  })

  it('refuses bad values and unknown keys with Docker\'s words', () => {
    expect(() => parseLogOptions(['foo=bar'])).toThrow("unknown log opt 'foo' for json-file log driver")
    expect(() => parseLogOptions(['compress=true'])).toThrow('--log-opt compress: not supported by mini-run (max-size, max-file)')
    expect(() => parseLogOptions(['max-size=0'])).toThrow('invalid --log-opt max-size=0: a positive size such as 10k, 1m or 20m')
    expect(() => parseLogOptions(['max-size'])).toThrow('invalid --log-opt max-size=: a positive size')
    expect(() => parseLogOptions(['max-file=0'])).toThrow('invalid --log-opt max-file=0: a whole number of files, at least 1')
    expect(() => parseLogOptions(['max-file=1.5'])).toThrow('invalid --log-opt max-file=1.5')
    expect(() => parseLogOptions(['max-file=99999999999'])).toThrow('invalid --log-opt max-file=99999999999')
  })
})

const timeTool = '/usr/bin/time'

describe.skipIf(!existsSync(timeTool))('logs on a large log runs in bounded memory (needs /usr/bin/time)', () => {
  let dir: string
  let pieces = 0
  const id = 'a'.repeat(64)
  const smallId = 'b'.repeat(64)
  const MB = 1024 * 1024
  const time = '2024-05-01T10:20:30.123456789Z'
  const lastLine = `{"log":"LAST-LINE\\n","stream":"stdout","time":"${time}"}\n`
  /** A container that has exited, as its state directory holds it. */
  const fakeContainer = (cid: string, name: string) => {
    const state = join(dir, 'state', cid)
    mkdirSync(state, { recursive: true })
    writeFileSync(join(state, 'state.json'), JSON.stringify({ id: cid, name, command: ['sh'], created: new Date().toISOString(), status: 'exited' }))
    return join(state, 'container.log')
  }
  beforeAll(() => {
    dir = mkdtempSync('/var/tmp/mini-run-logs-')
    writeFileSync(fakeContainer(smallId, 'small'), lastLine)
    // what the monitor writes for a flood of ESC bytes without a newline:
    // 16 KiB pieces, each \u001b six bytes in the file
    const piece = `{"log":"${'\\u001b'.repeat(16384)}","stream":"stdout","time":"${time}"}\n`
    const block = piece.repeat(16)
    const fd = openSync(fakeContainer(id, 'flood'), 'w')
    for (let written = 0; written < 64 * MB; written += block.length, pieces += 16) writeSync(fd, block)
    writeSync(fd, lastLine)
    closeSync(fd)
  })
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }))

  /** Peak RSS in bytes of `mini-run logs ...` on the fake state, and its output. */
  function measured(args: string[], container = id): { rss: number; status: number | null; stdout: Buffer; stderr: string } {
    const r = spawnSync(timeTool, ['-f', '%M', 'mini-run', '--state', join(dir, 'state'), 'logs', ...args, container], {
      env: cliEnv(),
      maxBuffer: 256 * MB,
      timeout: 120_000,
    })
    const stderr = r.stderr.toString()
    const rss = Number(/(\d+)\s*$/.exec(stderr)?.[1]) * 1024
    return { rss, status: r.status, stdout: r.stdout, stderr: stderr.replace(/\d+\s*$/, '') }
  }
  let footprint: number | undefined
  /** The CLI's own peak RSS, measured the same way on a one-line log. */
  const baseline = () => {
    if (footprint === undefined) {
      const small = measured(['--tail', '1'], smallId)
      expect(small.stdout.toString()).toBe('LAST-LINE\n')
      footprint = small.rss
    }
    return footprint
  }

  it('--tail 1 prints the last line of a 64 MB log, holding far less than the file', () => {
    const r = measured(['--tail', '1'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.toString()).toBe('LAST-LINE\n')
    expect(r.rss).toBeGreaterThan(0)
    // the old reader held the file as a Buffer, a string and its lines: several times 64 MB
    expect(r.rss).toBeLessThan(baseline() + 16 * MB)
    expect(r.rss).toBeLessThan(64 * MB * 1.5)
    const two = measured(['--tail', '2'])
    expect(two.stdout.toString()).toBe('\x1b'.repeat(16384) + 'LAST-LINE\n')
  })

  it('logs streams the whole 64 MB log without holding it', () => {
    const r = spawnSync('sh', ['-c', `${timeTool} -f %M mini-run --state "$0" logs "$1" | wc -c`, join(dir, 'state'), id], {
      env: cliEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    })
    const [rssKb] = /\d+/.exec(r.stderr) ?? []
    expect(Number(r.stdout.trim())).toBe(pieces * 16384 + 'LAST-LINE\n'.length)
    // wc reads slower than the log is parsed: without waiting for the pipe, the output piles up
    expect(Number(rssKb) * 1024).toBeLessThan(baseline() + 32 * MB)
  })
})

describe.skipIf(!isRoot)('run -d --log-opt: the monitor rotates the log (needs root)', () => {
  let env: TestEnv
  const detached = (args: string[]) => {
    const r = env.run(['run', '-d', '--cgroup-parent', env.cgroupParent, ...args])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout.trim()
  }
  const inspect = (ref: string) => JSON.parse(env.run(['inspect', ref]).stdout)[0]
  const stateOf = (id: string) => join(env.stateRoot, id)
  const monitorArgs = (id: string) => readFileSync(`/proc/${inspect(id).MonitorPid}/cmdline`, 'utf8').split('\0')
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterEach(() => {
    const ids = env.run(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
    if (ids.length) env.run(['rm', '-f', ...ids])
    expect(env.leftovers()).toEqual([])
  })
  afterAll(() => env?.cleanup())

  it('keeps 60,000 lines within max-size x max-file, rotated at line boundaries, and logs --tail 1 shows the last', async () => {
    const id = detached([
      '--log-opt', 'max-size=1m', '--log-opt', 'max-file=2',
      BUSYBOX, 'sh', '-c',
      'i=0; while [ $i -lt 60000 ]; do echo line-$i-padding-padding-padding-padding-padding-padding; i=$((i+1)); done; echo LAST-LINE; sleep 60',
    ])
    expect(monitorArgs(id).join(' ')).toContain('--log-max-size 1000000 --log-max-file 2')
    await until('LAST-LINE', () => env.run(['logs', '--tail', '1', id]).stdout === 'LAST-LINE\n', 30_000, 100)
    const dir = stateOf(id)
    expect(diskUsage(dir)).toBeLessThan(2.5e6)
    expect(readdirSync(dir).filter((f) => f.startsWith('container.log')).sort()).toEqual(['container.log', 'container.log.1'])
    for (const file of ['container.log', 'container.log.1']) {
      const text = readFileSync(join(dir, file), 'utf8')
      expect(text.length).toBeLessThanOrEqual(1_000_000)
      // rotated when the next line would not fit, not earlier
      if (file === 'container.log.1') expect(text.length).toBeGreaterThan(1_000_000 - 200)
      for (const line of text.split('\n').slice(0, -1)) JSON.parse(line) // whole lines only, in both files
    }
    // the two files read as one, oldest first: no line lost, cut or doubled at the boundary
    const all = env.run(['logs', id]).stdout.split('\n')
    expect(all.pop()).toBe('')
    expect(all.pop()).toBe('LAST-LINE')
    const numbers = expectContiguous(all, /^line-(\d+)-padding-padding-padding-padding-padding-padding$/, 59_999)
    expect(numbers.length).toBeGreaterThan(12_000)
    // --tail across the rotation boundary: the same lines as the end of the whole
    const tail = env.run(['logs', '--tail', String(numbers.length - 5), id]).stdout
    expect(tail).toBe([...all.slice(6), 'LAST-LINE', ''].join('\n'))
    expect(inspect(id).HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } })
  })

  it('a flood of ESC bytes without a newline stays within the cap and does not hide the last line', async () => {
    const id = detached([
      '--log-opt', 'max-size=1m', '--log-opt', 'max-file=2',
      BUSYBOX, 'sh', '-c', 'head -c 5000000 /dev/zero | tr "\\0" "\\033"; echo; echo LAST-LINE',
    ])
    await until('exit', () => inspect(id).State.Status === 'exited', 30_000, 100)
    expect(diskUsage(stateOf(id))).toBeLessThan(2.5e6)
    expect(env.run(['logs', '--tail', '1', id]).stdout).toBe('LAST-LINE\n')
  })

  it('max-file=1 truncates the one file instead of rotating it', async () => {
    const id = detached([
      '--log-opt', 'max-size=10k', '--log-opt', 'max-file=1',
      BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo n-$i; i=$((i+1)); done; echo LAST-LINE',
    ])
    await until('exit', () => inspect(id).State.Status === 'exited', 30_000, 100)
    expect(readdirSync(stateOf(id)).filter((f) => f.startsWith('container.log'))).toEqual(['container.log'])
    expect(statSync(join(stateOf(id), 'container.log')).size).toBeLessThanOrEqual(10_000)
    const lines = env.run(['logs', id]).stdout.split('\n')
    expect(lines.slice(-2)).toEqual(['LAST-LINE', ''])
    expectContiguous(lines.slice(0, -2), /^n-(\d+)$/, 1999)
  })

  it('caps the log by default: the monitor gets 20m and 5 files without --log-opt', () => {
    const id = detached([BUSYBOX, 'sleep', '60'])
    expect(monitorArgs(id).join(' ')).toContain('--log-max-size 20000000 --log-max-file 5')
    expect(inspect(id).HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '20m', 'max-file': '5' } })
  })

  it('refuses bad --log-opt values and unknown keys with one line and exit 125, creating nothing', () => {
    const cases: [string, string][] = [
      ['max-size=abc', 'invalid --log-opt max-size=abc: a positive size such as 10k, 1m or 20m'],
      ['max-size=0', 'invalid --log-opt max-size=0: a positive size such as 10k, 1m or 20m'],
      ['max-size=-1m', 'invalid --log-opt max-size=-1m: a positive size such as 10k, 1m or 20m'],
      ['max-file=0', 'invalid --log-opt max-file=0: a whole number of files, at least 1'],
      ['max-file=two', 'invalid --log-opt max-file=two: a whole number of files, at least 1'],
      ['foo=bar', "unknown log opt 'foo' for json-file log driver"],
      ['compress=true', '--log-opt compress: not supported by mini-run (max-size, max-file)'],
    ]
    for (const [opt, message] of cases) {
      for (const mode of [['-d'], []]) {
        const r = env.run(['run', ...mode, '--cgroup-parent', env.cgroupParent, '--log-opt', opt, BUSYBOX, 'true'])
        expect(r.stderr).toBe(`mini-run: ${message}\n`)
        expect(r.status).toBe(125)
        expect(r.stdout).toBe('')
        expect(env.leftovers()).toEqual([])
      }
    }
  })

  /** `logs -f` from before the container prints `count` lines (paced by `pace`), to its end. */
  async function followed(name: string, logOpts: string[], count: number, pace: string): Promise<{ id: string; lines: string[] }> {
    const sync = join(env.dir, name)
    mkdirSync(sync)
    try {
      const id = detached([
        ...logOpts.flatMap((o) => ['--log-opt', o]), '-v', `${sync}:/sync`,
        BUSYBOX, 'sh', '-c',
        `echo ready; while [ ! -e /sync/go ]; do sleep 0.05; done; i=0; while [ $i -lt ${count} ]; do echo n-$i; i=$((i+1)); ${pace}; done; echo END`,
      ])
      const follow = miniRunAsync(['--root', env.storeRoot, '--state', env.stateRoot, 'logs', '-f', id])
      await until('logs -f to start', () => follow.output().startsWith('ready\n'), 30_000, 100)
      writeFileSync(join(sync, 'go'), '')
      const r = await follow.done
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      const lines = r.stdout.split('\n')
      expect(lines.slice(0, 1)).toEqual(['ready'])
      expect(lines.slice(-2)).toEqual(['END', ''])
      expect(expectContiguous(lines.slice(1, -2), /^n-(\d+)$/, count - 1)[0]).toBe(0)
      return { id, lines }
    } finally {
      rmSync(sync, { recursive: true, force: true })
    }
  }

  it('logs -f across rotations sees every line once', async () => {
    // 5000 lines of ~70 bytes into 20 kB files: a dozen rotations while logs -f follows
    const { id } = await followed('sync-paced', ['max-size=20k', 'max-file=3'], 5000, '[ $((i % 200)) = 0 ] && sleep 0.1')
    expect(existsSync(join(env.stateRoot, id, 'container.log.2'))).toBe(true)
  })

  it('logs -f keeps up with many rotations between two looks, without skipping a file', async () => {
    // ~300 rotations as fast as the shell prints, all files kept: every line must come,
    // though the follower finds the names mid-rotation (one of them missing) most times
    const { id } = await followed('sync-burst', ['max-size=5k', 'max-file=500'], 20_000, ':')
    expect(existsSync(join(env.stateRoot, id, 'container.log.100'))).toBe(true)
    const all = env.run(['logs', id]).stdout.split('\n')
    expect(all.slice(-2)).toEqual(['END', ''])
    expect(expectContiguous(all.slice(1, -2), /^n-(\d+)$/, 19_999)[0]).toBe(0)
  })
})
