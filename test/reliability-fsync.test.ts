// Issue 13, power loss: a completed load (or pull, build, tag) survives a
// power cut. What is published by a rename is on disk before it (a file's
// fsync; an unpacked layer's syncfs, one call for its thousands of files),
// and the directory the rename changed is synced after it. Checked on the
// system calls a real `mini-run load` makes (strace).
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cliEnv } from './helpers/cli.js'
import { BUSYBOX_OCI, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const strace = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe.skipIf(!isRoot || !strace)('what a load syncs before and after it publishes (needs root and strace)', () => {
  let env: TestEnv
  let calls: { name: string; args: string }[]
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    const log = join(env.dir, 'strace.log')
    execFileSync('strace', ['-f', '-y', '-qq', '-e', 'trace=syncfs,fsync,fdatasync,rename,renameat,renameat2', '-o', log, 'mini-run', '--root', env.storeRoot, 'load', '-i', BUSYBOX_OCI], {
      env: cliEnv(),
      stdio: 'ignore',
    })
    // a call another thread interrupted is split in two: its first half has the arguments
    calls = readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l && !l.includes('resumed>'))
      .map((l) => /^\d+\s+(\w+)\((.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1]!, args: m[2]! }))
  }, 60_000)
  afterAll(() => env?.cleanup())

  /** The index of the first call after `from` matching, or -1. */
  const find = (from: number, name: RegExp, args: (a: string) => boolean, backwards = false) => {
    const order = backwards ? [...calls.keys()].slice(0, from).reverse() : [...calls.keys()].slice(from + 1)
    return order.find((i) => name.test(calls[i]!.name) && args(calls[i]!.args)) ?? -1
  }
  const renamesInto = (dir: string) =>
    calls.flatMap((c, i) => (c.name.startsWith('rename') && c.args.includes(`"${join(env.storeRoot, dir)}/`) ? [i] : []))

  it('syncs an unpacked layer\'s file system before its rename, and layers/ after', () => {
    const [rename] = renamesInto('layers')
    expect(rename).toBeDefined()
    const work = /^"([^"]+)"/.exec(calls[rename!]!.args)![1]!
    expect(find(rename!, /^syncfs$/, (a) => a.includes(`<${work}>`), true)).toBeGreaterThanOrEqual(0)
    expect(find(rename!, /^fsync$/, (a) => a.includes(`<${join(env.storeRoot, 'layers')}>`))).toBeGreaterThan(rename!)
  })

  it('fsyncs each blob and ref before its rename, and its directory after', () => {
    for (const [dir, synced] of [['blobs/sha256', 'blobs/sha256'], ['refs', 'refs']] as const) {
      const renames = renamesInto(dir)
      expect(renames.length).toBeGreaterThan(0)
      for (const rename of renames) {
        const tmp = /^"([^"]+)"/.exec(calls[rename]!.args)![1]!
        expect({ dir, fileSynced: find(rename, /^f(data)?sync$/, (a) => a.includes(`<${tmp}>`), true) >= 0 }).toEqual({ dir, fileSynced: true })
        expect({ dir, dirSynced: find(rename, /^fsync$/, (a) => a.includes(`<${join(env.storeRoot, synced)}>`)) > rename }).toEqual({ dir, dirSynced: true })
      }
    }
  })
})
