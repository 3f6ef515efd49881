/**
 * A login user made for a test, as an administrator would: useradd -m,
 * with or without ranges in /etc/subuid and /etc/subgid (newuidmap checks
 * the caller's name there, so the rootless tests with subordinate ids need
 * a real user, not only a uid). remove() takes everything away, even after
 * a failure: the user's processes (by pid), home, entries and state dir.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findProgram } from '../../src/rootless/subordinate-ids.js'
import { runAs, type AsUserResult } from './as-user.js'

export interface TestUser {
  name: string
  uid: number
  gid: number
  home: string
  /** $XDG_RUNTIME_DIR: the user's state goes to <it>/mini-run. */
  runtimeDir: string
  /** The subordinate range, when made with one. */
  subids?: { start: number; size: number }
  /** Run argv as the user, in their home, with HOME, XDG_RUNTIME_DIR and PATH set. */
  run(argv: string[], timeout?: number): AsUserResult
  remove(): void
}

/** Why the rootless tests with subordinate ids cannot run here; undefined when they can. */
export function subidsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create users'
  if (!findProgram('newuidmap') || !findProgram('newgidmap')) return 'newuidmap/newgidmap missing (apt-get install uidmap)'
  if (!findProgram('useradd')) return 'useradd missing'
  const help = spawnSync('unshare', ['--help'], { encoding: 'utf8' }).stdout ?? ''
  if (!help.includes('--map-users')) return 'unshare(1) lacks --map-users (util-linux 2.38)'
  return undefined
}

/**
 * fn with /etc/subuid and /etc/subgid locked as shadow's own tools lock them
 * (commonio: FILE.lock, a hard link of a file holding the locker's pid, taken
 * from a dead locker): test files run two at a time, and useradd, userdel
 * and the other file's edits must not interleave with a read and rewrite.
 */
export function withSubidLocks<T>(fn: () => T): T {
  const taken: string[] = []
  try {
    for (const file of ['/etc/subuid', '/etc/subgid']) {
      const own = `${file}.${process.pid}`
      writeFileSync(own, String(process.pid))
      try {
        for (let tries = 0; ; tries++) {
          try {
            linkSync(own, `${file}.lock`)
            break
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 1500) throw err
            const holder = Number(readFileSync(`${file}.lock`, 'utf8').trim() || 'NaN')
            if (Number.isInteger(holder) && !alive(holder)) rmSync(`${file}.lock`, { force: true })
            else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20)
          }
        }
        taken.push(`${file}.lock`)
      } finally {
        rmSync(own, { force: true })
      }
    }
    return fn()
  } finally {
    for (const lock of taken.reverse()) rmSync(lock, { force: true })
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function dropSubids(name: string): void {
  withSubidLocks(() => dropSubidsLocked(name))
}

function dropSubidsLocked(name: string): void {
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    if (!existsSync(file)) continue
    const lines = readFileSync(file, 'utf8').split('\n')
    const kept = lines.filter((l) => !l.startsWith(`${name}:`))
    if (kept.length !== lines.length) writeFileSync(file, kept.join('\n'))
  }
}

/** A range no other line of /etc/subuid or /etc/subgid overlaps, above what useradd hands out. */
function freeRange(): { start: number; size: number } {
  let start = 1_000_000_000 + (process.pid % 1000) * 65536
  const taken = ['/etc/subuid', '/etc/subgid'].flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n') : []))
    .map((l) => l.split(':'))
    .filter((p) => p.length === 3)
    .map(([, s, c]) => ({ start: Number(s), end: Number(s) + Number(c) }))
  while (taken.some((t) => t.start < start + 65536 && start < t.end)) start += 65536
  return { start, size: 65536 }
}

/** The pids of the user's processes (from /proc): what a failed test may have left running. */
function processesOf(uid: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (statSync(`/proc/${name}`).uid === uid) pids.push(Number(name))
    } catch {
      // gone
    }
  }
  return pids
}

export function createTestUser(o: { subids: boolean; tmpDir: string }): TestUser {
  const name = `mrt${process.pid % 100000}${Math.random().toString(36).slice(2, 6)}`
  // ids above what useradd hands out by default (1000...): remove() kills the user's processes by
  // uid, and the files running beside this one run containers as uid 1000 without a user namespace
  const ids = ['UID', 'GID'].flatMap((k) => ['-K', `${k}_MIN=52000`, '-K', `${k}_MAX=59999`])
  execFileSync('useradd', ['-m', '-s', '/bin/sh', ...ids, name], { stdio: 'ignore' })
  let uid = -1
  const remove = () => {
    if (uid >= 0) for (const pid of processesOf(uid)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    spawnSync('userdel', ['-r', name], { stdio: 'ignore' })
    dropSubids(name)
    rmSync(runtimeDir, { recursive: true, force: true })
  }
  const runtimeDir = join(o.tmpDir, `run-${name}`)
  try {
    uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
    const home = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).split(':')[5]!
    // useradd may have given a range already (SUB_UID_MIN in login.defs): ours is explicit
    dropSubids(name)
    let subids: { start: number; size: number } | undefined
    if (o.subids) {
      subids = withSubidLocks(() => {
        const range = freeRange()
        for (const file of ['/etc/subuid', '/etc/subgid']) writeFileSync(file, `${name}:${range.start}:${range.size}\n`, { flag: 'a' })
        return range
      })
    }
    mkdirSync(runtimeDir, { mode: 0o700 })
    chownSync(runtimeDir, uid, gid)
    const env = { HOME: home, XDG_RUNTIME_DIR: runtimeDir, USER: name, LOGNAME: name }
    return {
      name, uid, gid, home, runtimeDir, ...(subids ? { subids } : {}),
      run: (argv, timeout) => runAs(uid, gid, ['/bin/sh', '-c', 'cd "$HOME" && exec "$@"', 'sh', ...argv], env, timeout),
      remove,
    }
  } catch (err) {
    remove()
    throw err
  }
}
