// exec -d: the command runs under a mini-run-monitor of its own, as a
// detached container's does (podman's conmon holds a detached exec so):
// the monitor stays its parent, reaps it and writes its exit code beside
// the container's state (exec-records.ts), which the Docker API's exec
// inspect reads. A start that fails leaves no file; rm -f takes a running
// detached exec, and its monitor, with the container; -dt gets a terminal
// the monitor holds.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readExecStatus, sweepExecRecords } from '../src/runtime/container/exec-records.js'
import { readProcStat } from '../src/proc-stat.js'
import { useCliEnv } from './helpers/cli-env.js'
import { BUSYBOX, isRoot } from './helpers/test-env.js'
import { until } from './helpers/until.js'

const EXEC_ID = 'ab'.repeat(32)
const OTHER_ID = 'cd'.repeat(32)

/** The processes whose command line names this exec's exit file: its monitor alone. */
function monitorsOf(execId: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`exec-${execId}.exit`)
      } catch {
        return false
      }
    })
    .map(Number)
}

describe('exec records (unit)', () => {
  it('the sweep at each exec -d removes the files of execs that ended over ten minutes ago, and nothing else', () => {
    const root = mkdtempSync('/var/tmp/mini-run-exec-records-')
    try {
      const dir = join(root, 'c'.repeat(64))
      mkdirSync(dir)
      const [old, recent, running, killed, young] = ['a', 'b', 'e', 'f', '0'].map((c) => c.repeat(64))
      const self = readProcStat(process.pid)!.startTime
      // running: its monitor is this process, alive; killed: its monitor is gone without an exit file
      writeFileSync(join(dir, `exec-${running}.json`), JSON.stringify({ pid: 1, monitorPid: process.pid, monitorStartTime: self }))
      for (const id of [old, recent, killed, young]) writeFileSync(join(dir, `exec-${id}.json`), JSON.stringify({ pid: 1, monitorPid: process.pid, monitorStartTime: '1' }))
      for (const id of [old, recent]) writeFileSync(join(dir, `exec-${id}.exit`), '{"exitCode":0}\n')
      writeFileSync(join(dir, `exec-${old}.json.12.tmp`), '{')
      writeFileSync(join(dir, 'state.json'), '{}\n')
      const now = Date.now()
      const age = (now - 601_000) / 1000
      for (const f of [`exec-${old}.exit`, `exec-${running}.json`, `exec-${killed}.json`, `exec-${old}.json.12.tmp`]) utimesSync(join(dir, f), age, age)
      sweepExecRecords(root, 'c'.repeat(64), now)
      expect(readdirSync(dir).sort()).toEqual([`exec-${recent}.exit`, `exec-${recent}.json`, `exec-${running}.json`, `exec-${young}.json`, 'state.json'].sort())
      // the same record read: running while its monitor lives, ended (no code) once it is gone unrecorded, its code once written
      expect(readExecStatus(root, 'c'.repeat(64), running)).toEqual({ running: true, exitCode: null, pid: 1 })
      expect(readExecStatus(root, 'c'.repeat(64), young)).toEqual({ running: false, exitCode: null, pid: 1 })
      expect(readExecStatus(root, 'c'.repeat(64), recent)).toEqual({ running: false, exitCode: 0, pid: 1 })
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!isRoot)('exec -d under a monitor of its own (needs root)', () => {
  const cli = useCliEnv()
  const { ok } = cli
  const detached = (name: string) => ok(['run', '-d', '--name', name, '--network', 'none', '--cgroup-parent', cli.env.cgroupParent, BUSYBOX, 'sleep', '120']).trim()

  it('records the command\'s pid while it runs and its exit code once it ends; a start that fails leaves no file', async () => {
    const id = detached('xd')
    const dir = join(cli.env.stateRoot, id)
    // the plan says so, and where the exit goes
    const plan = ok(['exec', '-d', '--explain', '--exec-id', EXEC_ID, 'xd', 'true'])
    expect(plan).toContain(`mini-run-monitor (stays the child's parent) calls clone3 no new namespace`)
    expect(plan).toContain(`then the monitor sends the output to /dev/null, writes ${join(dir, `exec-${EXEC_ID}.exit`)} at the exit, then execs mini-run `)
    expect(plan).toContain(` internal exec-exit ${id} ${EXEC_ID}\n`)
    // it waits for the test's mark, so it is seen running (no sleep a busy machine could outlast)
    expect(ok(['exec', '-d', '--exec-id', EXEC_ID, 'xd', 'sh', '-c', 'until [ -e /tmp/go ]; do sleep 0.05; done; exit 3'])).toBe('')
    const running = readExecStatus(cli.env.stateRoot, id, EXEC_ID)
    expect(running).toMatchObject({ running: true, exitCode: null })
    // the monitor is the parent of the stage's init, whose child is the command
    const [monitor] = monitorsOf(EXEC_ID)
    expect(readProcStat(monitor!)?.comm).toMatch(/^mini-run-moni/)
    expect(readProcStat(running!.pid)?.ppid).toBe(monitor)
    ok(['exec', 'xd', 'touch', '/tmp/go'])
    await until('the exec\'s exit recorded', () => readExecStatus(cli.env.stateRoot, id, EXEC_ID)?.running === false)
    expect(readExecStatus(cli.env.stateRoot, id, EXEC_ID)).toEqual({ running: false, exitCode: 3, pid: running!.pid })
    await until('its monitor gone', () => monitorsOf(EXEC_ID).every((pid) => ['Z', 'X', undefined].includes(readProcStat(pid)?.state)))
    // its exit command said so, as Docker's exec_die, with the code
    const died = () => cli.env.run(['events', '--since', '0', '--until', (Date.now() / 1000 + 0.5).toFixed(3), '--filter', 'event=exec_die', '--format', '{{.Actor.Attributes.execID}} {{.Actor.Attributes.exitCode}}']).stdout
    await until('its exec_die event', () => died().includes(`${EXEC_ID} 3\n`))
    // a command that is not there: 127 as for an attached exec, and neither a record nor an exit file
    const missing = cli.env.run(['exec', '-d', '--exec-id', OTHER_ID, 'xd', '/nonexistent'])
    expect(missing.status).toBe(127)
    expect(readdirSync(dir).filter((f) => f.includes(OTHER_ID))).toEqual([])
    expect(cli.env.run(['exec', '-d', '--exec-id', 'nothex', 'xd', 'true'])).toMatchObject({ status: 1, stderr: 'mini-run: invalid exec id: nothex\n' })
    // an id whose files are there is another exec's: refused before anything starts
    expect(cli.env.run(['exec', '-d', '--exec-id', EXEC_ID, 'xd', 'true'])).toMatchObject({ status: 1, stderr: `mini-run: exec id ${EXEC_ID} is already in use in container ${id.slice(0, 12)}\n` })
    // its events carry the id it was given
    const events = ok(['events', '--since', '0', '--until', (Date.now() / 1000 + 0.5).toFixed(3), '--filter', 'event=exec_start', '--format', '{{.Actor.Attributes.execID}}'])
    expect(events.split('\n')).toContain(EXEC_ID)
  })

  it('rm -f takes a running detached exec and its monitor with the container; -dt gives the command a terminal', async () => {
    const id = detached('xr')
    expect(ok(['exec', '-dt', 'xr', 'sh', '-c', 'tty > /tmp/tty; exec sleep 100'])).toBe('')
    await until('the detached command\'s terminal', () => cli.env.run(['exec', 'xr', 'cat', '/tmp/tty']).stdout !== '')
    expect(ok(['exec', 'xr', 'cat', '/tmp/tty'])).toMatch(/^\/dev\/pts\/\d+\n$/)
    expect(ok(['exec', '-d', '--exec-id', EXEC_ID, 'xr', 'sleep', '100'])).toBe('')
    const { pid } = readExecStatus(cli.env.stateRoot, id, EXEC_ID)!
    const monitors = monitorsOf(EXEC_ID)
    expect(monitors).toHaveLength(1)
    ok(['rm', '-f', 'xr'])
    expect(existsSync(join(cli.env.stateRoot, id))).toBe(false)
    const gone = (p: number) => ['Z', 'X', undefined].includes(readProcStat(p)?.state)
    await until('the command and its monitor gone', () => gone(pid) && monitors.every(gone))
  })
})
