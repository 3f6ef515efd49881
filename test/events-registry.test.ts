// `events` of push and pull: the reference as Actor.ID and the repository
// as name, as Docker's daemon logs them. A real registry (Debian's
// docker-registry on 127.0.0.1), as in registry-push.test.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadArchive } from '../src/image/load-archive.js'
import { ImageStore } from '../src/image/store.js'
import { miniRun } from './helpers/cli.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { BUSYBOX_OCI } from './helpers/test-env.js'

const unavailable = registryUnavailable()

describe.skipIf(unavailable)(`events of push and pull${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let registry: RegistryServer
  let work: string
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mini-run-events-registry-'))
    registry = await startRegistry()
  })
  afterAll(async () => {
    await registry?.stop()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('push, then pull into another store: push and pull events with the reference', async () => {
    const remote = `${registry.host}/ev/busybox:1`
    const source = join(work, 'source')
    await loadArchive(new ImageStore({ root: source }), BUSYBOX_OCI, { name: remote })
    const state = join(work, 'state')
    const since = (Date.now() / 1000).toFixed(3)
    const mini = (args: string[]) => {
      const r = miniRun(['--state', state, ...args])
      expect([args, r.status, r.stderr]).toEqual([args, 0, ''])
      return r.stdout
    }
    mini(['--root', source, 'push', '--insecure-registry', registry.host, '-q', remote])
    mini(['--root', join(work, 'target'), 'pull', '--insecure-registry', registry.host, '-q', remote])
    const seen = mini(['events', '--since', since, '--until', '0s', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'])
    expect(seen).toBe(`image push ${remote} ${registry.host}/ev/busybox\nimage pull ${remote} ${registry.host}/ev/busybox\n`)
  })
})
