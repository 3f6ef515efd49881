// The events log under many writers at once: each process appends its
// lines (one write(2) each on an O_APPEND fd), and no line is cut, merged
// with another or lost; past its limit the log rotates to events.log.1,
// and `events` following it reads across the rotation. Needs no root:
// the writers are Node processes calling the runtime's appendEvent.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { miniRunAsync } from './helpers/cli.js'
import { until } from './helpers/until.js'

const EVENT_LOG = fileURLToPath(new URL('../dist/events/event-log.js', import.meta.url))
// long lines: a write that was not one append would show as a cut or merged line
const PAYLOAD = 3000

/** Start `count` processes that each append `lines` events; resolves when all have exited. */
function writers(stateRoot: string, count: number, lines: number, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const script = `
    const { appendEvent } = await import(${JSON.stringify(EVENT_LOG)})
    const [who, lines, size] = process.argv.slice(1).map(Number)
    for (let i = 0; i < lines; i++) {
      appendEvent(${JSON.stringify(stateRoot)}, { type: 'container', action: 'start', id: who + '-' + i, attributes: { name: 'w' + who, payload: String.fromCharCode(97 + (i % 26)).repeat(size) } })
    }`
  const all = Array.from({ length: count }, (_, who) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, String(who), String(lines), String(PAYLOAD)], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, ...env },
      })
      child.on('error', reject)
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${who} exited with ${code}`))))
    }),
  )
  return Promise.all(all).then(() => undefined)
}

/** Every line of a log file, checked whole: its payload is one letter, as long as written. */
function intactLines(file: string): string[] {
  if (!existsSync(file)) return []
  const text = readFileSync(file, 'utf8')
  expect(text.endsWith('\n')).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const e = JSON.parse(line)
      const [who, i] = (e.Actor.ID as string).split('-').map(Number)
      expect(e.Actor.Attributes).toEqual({ name: `w${who}`, payload: String.fromCharCode(97 + (i! % 26)).repeat(PAYLOAD) })
      return e.Actor.ID as string
    })
}

describe('the events log under concurrent writers', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('keeps every line of every writer whole', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-events-'))
    // a limit the 5 MB will not reach: one file holds them all
    await writers(dir, 8, 200, { MINI_RUN_EVENTS_MAX_SIZE: String(64 << 20) })
    const ids = intactLines(join(dir, 'events.log'))
    expect(ids).toHaveLength(8 * 200)
    expect(new Set(ids).size).toBe(8 * 200)
  })

  it('rotates past its limit, and keeps the log to about twice it, with every line whole', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-events-'))
    const max = 100_000
    await writers(dir, 6, 150, { MINI_RUN_EVENTS_MAX_SIZE: String(max) })
    const log = join(dir, 'events.log')
    // a line past the limit rotates: each file holds the limit and what the writers appended while one rotated
    // (the last line may have rotated the log: then there is no events.log until the next line)
    const size = (file: string) => (existsSync(file) ? statSync(file).size : 0)
    expect(size(log)).toBeLessThanOrEqual(max + 6 * (PAYLOAD + 200))
    expect(statSync(`${log}.1`).size).toBeLessThanOrEqual(max + 6 * (PAYLOAD + 200))
    const ids = [...intactLines(`${log}.1`), ...intactLines(log)]
    expect(new Set(ids).size).toBe(ids.length)
    // what is kept is the newest: the limit's worth at least, each writer's lines in their order
    expect(ids.length).toBeGreaterThanOrEqual(Math.floor(max / (PAYLOAD + 200)))
    for (let who = 0; who < 6; who++) {
      const own = ids.filter((id) => id.startsWith(`${who}-`)).map((id) => Number(id.split('-')[1]))
      expect(own).toEqual([...own].sort((a, b) => a - b))
    }
  })

  it('a follower reads on across a rotation and loses no line', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mini-run-events-'))
    const state = dir
    const follower = miniRunAsync(['--state', state, 'events', '--since', '0', '--format', '{{.Actor.ID}}'])
    try {
      // the first line is written before the rotation, once the follower reads
      await writers(state, 1, 1)
      await until('the follower to read the first line', () => follower.output() === '0-0\n')
      // ~60 kB past a 40 kB limit: one rotation while it follows
      await writers(state, 1, 20, { MINI_RUN_EVENTS_MAX_SIZE: '40000' })
      expect(existsSync(join(state, 'events.log.1'))).toBe(true)
      await until('the follower to read every line', () => follower.output().split('\n').length === 22)
      expect(follower.output()).toBe(`0-0\n${Array.from({ length: 20 }, (_, i) => `0-${i}\n`).join('')}`)
    } finally {
      process.kill(follower.child.pid!, 'SIGTERM')
      await follower.done
    }
  })
})
