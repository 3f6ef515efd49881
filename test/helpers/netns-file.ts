// A network test file's harness: a test environment (store, state, cgroup
// parent) and a network namespace of its own (netns.ts), a work directory,
// and `mr`, mini-run in that namespace with the environment's roots; after
// each test every container and network of its state goes, after the file
// all of it. Its fields are set once the file's beforeAll has run.
import { mkdtempSync, rmSync } from 'node:fs'
import { afterAll, afterEach, beforeAll } from 'vitest'
import type { CliResult } from './cli.js'
import { makeNetns, removeContainersAndNetworks, type Netns } from './netns.js'
import { makeTestEnv, type TestEnv } from './test-env.js'

export interface NetnsFile {
  env: TestEnv
  ns: Netns
  /** A directory of the file's own, under /var/tmp. */
  dir: string
  /** mini-run in the namespace, with the environment's --root and --state, in cwd if given. */
  mr: (args: string[], cwd?: string) => CliResult
}

export function netnsFile(dirPrefix: string): NetnsFile {
  const f = { mr: (args: string[], cwd?: string) => f.ns.miniRun(['--root', f.env.storeRoot, '--state', f.env.stateRoot, ...args], cwd !== undefined ? { cwd } : {}) } as NetnsFile
  beforeAll(async () => {
    f.env = await makeTestEnv()
    f.ns = makeNetns()
    f.dir = mkdtempSync(`/var/tmp/${dirPrefix}`)
  })
  afterEach(() => removeContainersAndNetworks(f.mr))
  afterAll(() => {
    f.ns?.close([f.env.stateRoot])
    f.env?.cleanup()
    if (f.dir) rmSync(f.dir, { recursive: true, force: true })
  })
  return f
}
