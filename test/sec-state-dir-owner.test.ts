// Security issue, item 7: rootless state lived in a predictable /tmp path
// whose owner and mode were never checked. Another user who made
// /tmp/mini-run-UID first planted state.json files there whose containerDir
// pointed at the victim's files, and `container prune` deleted them. Now a
// state (or store) directory must belong to the caller and be writable by
// no one else, and every field of a state file that names something to act
// on must name its own container's things.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTempDir, runAs, stageCli, type StagedCli } from './helpers/as-user.js'
import { miniRun } from './helpers/cli.js'
import { BUSYBOX_ROOTFS, isRoot } from './helpers/test-env.js'

const VICTIM = 40_111 // runs mini-run without XDG_RUNTIME_DIR
const ATTACKER = 40_112

/** A state.json that names the victim's directory as its writable layer. */
function plant(stateRoot: string, target: string): string {
  const id = 'a'.repeat(64)
  mkdirSync(join(stateRoot, id), { recursive: true })
  writeFileSync(
    join(stateRoot, id, 'state.json'),
    JSON.stringify({ id, name: 'planted', command: ['true'], created: '2026-01-01T00:00:00Z', status: 'exited', exitCode: 0, containerDir: target }),
  )
  return id
}

describe.skipIf(!isRoot)('state directories that are not the caller\'s (needs root: other users through setpriv)', () => {
  let dir: string
  let staged: StagedCli
  let home: string
  let victimFiles: string
  const predictable = `/tmp/mini-run-${VICTIM}`
  const asVictim = (args: string[]) => runAs(VICTIM, VICTIM, [staged.cli, ...args], { HOME: home })

  beforeAll(() => {
    dir = openTempDir('mini-run-sec-state-')
    staged = stageCli(dir)
    home = join(dir, 'home')
    victimFiles = join(home, 'precious')
    mkdirSync(victimFiles, { recursive: true })
    writeFileSync(join(victimFiles, 'thesis.txt'), 'years of work\n')
    execFileSync('chown', ['-R', `${VICTIM}:${VICTIM}`, home])
    rmSync(predictable, { recursive: true, force: true })
  })
  afterAll(() => {
    rmSync(predictable, { recursive: true, force: true })
    rmSync(dir, { recursive: true, force: true })
  })

  it('refuses the default /tmp state dir when another user made it first, and deletes nothing', () => {
    mkdirSync(predictable)
    chmodSync(predictable, 0o777)
    execFileSync('chown', [`${ATTACKER}:${ATTACKER}`, predictable])
    plant(predictable, victimFiles)
    for (const verb of [['ps', '-a'], ['container', 'prune']]) {
      const r = asVictim(verb)
      expect(r.status).toBe(1)
      expect(r.stderr).toBe(`mini-run: state directory ${predictable} belongs to uid ${ATTACKER}, not to you (uid ${VICTIM}): remove it or choose another directory\n`)
    }
    expect(existsSync(join(victimFiles, 'thesis.txt'))).toBe(true)
    rmSync(predictable, { recursive: true, force: true })
  })

  it('refuses a state dir of its own that others may write and that holds anything, and a symlink in its place', () => {
    mkdirSync(predictable)
    execFileSync('chown', [`${VICTIM}:${VICTIM}`, predictable])
    chmodSync(predictable, 0o777)
    plant(predictable, victimFiles)
    let r = asVictim(['ps'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`mini-run: state directory ${predictable} is writable by others (mode 0777): remove it or choose another directory\n`)
    rmSync(predictable, { recursive: true, force: true })
    // empty, nothing can have been planted: it is narrowed and used (a fresh tmpfs comes up 1777)
    mkdirSync(predictable)
    execFileSync('chown', [`${VICTIM}:${VICTIM}`, predictable])
    chmodSync(predictable, 0o1777)
    r = asVictim(['ps'])
    expect(r.stderr).toBe('')
    expect(execFileSync('stat', ['-c', '%a', predictable], { encoding: 'utf8' }).trim()).toBe('700')
    rmSync(predictable, { recursive: true, force: true })
    symlinkSync(home, predictable)
    r = asVictim(['ps'])
    expect(r.stderr).toBe(`mini-run: state directory ${predictable} is a symbolic link: remove it or choose another directory\n`)
    rmSync(predictable, { force: true })
  })

  it('makes the default state dir itself, private, and keeps it', () => {
    const rootfs = join(dir, 'rootfs')
    execFileSync('cp', ['-a', BUSYBOX_ROOTFS, rootfs])
    const r = asVictim(['run', '--rm', '--rootfs', rootfs, 'true'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const st = execFileSync('stat', ['-c', '%u %a', predictable], { encoding: 'utf8' }).trim()
    expect(st).toBe(`${VICTIM} 700`)
  })

  it('ignores a state file whose containerDir is not its own container\'s (as root too)', () => {
    const state = join(dir, 'root-state')
    mkdirSync(state, { mode: 0o700 })
    const target = join(dir, 'victim-of-root')
    mkdirSync(target)
    writeFileSync(join(target, 'keep'), 'x')
    const id = plant(state, target)
    expect(miniRun(['--state', state, 'ps', '-a']).stdout).not.toContain(id.slice(0, 12))
    expect(miniRun(['--state', state, 'container', 'prune']).status).toBe(0)
    expect(existsSync(join(target, 'keep'))).toBe(true)
    rmSync(join(state, id), { recursive: true })
    // the same file with its own path is a container like any other
    const own = plant(state, join(dir, 'store', 'containers', 'a'.repeat(64)))
    expect(miniRun(['--state', state, 'ps', '-a']).stdout).toContain(own.slice(0, 12))
    expect(miniRun(['--state', state, 'rm', own]).status).toBe(0)
  })
})
