// containers-registries.conf(5)'s insecure registries (src/registry/registries-conf.ts):
// the files found and merged as containers/image finds them; then compose push
// and pull (which have no --insecure-registry) reaching a plain-HTTP registry
// on a non-loopback address, inside the test's own network namespace.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insecureInRegistriesConf } from '../src/registry/registries-conf.js'
import { makeNetns, type Netns } from './helpers/netns.js'
import { registryUnavailable, startRegistry, type RegistryServer } from './helpers/registry-server.js'
import { isRoot } from './helpers/test-env.js'

describe('registries.conf: which registries are insecure', () => {
  let home: string
  beforeAll(() => {
    home = mkdtempSync('/tmp/mini-run-registries-conf-')
  })
  afterAll(() => rmSync(home, { recursive: true, force: true }))
  const put = (rel: string, text: string) => {
    mkdirSync(join(home, rel, '..'), { recursive: true })
    writeFileSync(join(home, rel), text)
    return join(home, rel)
  }
  const insecure = async (hosts: string[], env: NodeJS.ProcessEnv, at = home) => {
    const out: string[] = []
    for (const h of hosts) if (await insecureInRegistriesConf(h, env, at)) out.push(h)
    return out
  }

  it('reads v2 [[registry]] tables and v1 [registries.insecure]; the longest prefix decides; a drop-in replaces an entry of the same prefix', async () => {
    const main = put(
      'main.conf',
      [
        '[registries.insecure]',
        'registries = ["v1.lan:5000"]',
        '[[registry]]',
        'location = "Reg.lan:5000/"',
        'insecure = true',
        // the first of a prefix in one file stands, as in containers/image
        '[[registry]]',
        'location = "reg.lan:5000"',
        'insecure = false',
        '[[registry]]',
        'location = "later.lan"',
        'insecure = true',
        '[[registry]]',
        'prefix = "*.dev.lan"',
        'insecure = true',
        // more specific, and secure: it wins over the wildcard
        '[[registry]]',
        'location = "prod.dev.lan"',
        // one namespace of a registry, a registry remapped to another, a wildcard remapped: not a registry's own connection
        '[[registry]]',
        'location = "ns.lan/team"',
        'insecure = true',
        '[[registry]]',
        'prefix = "remapped.lan"',
        'location = "mirror.lan"',
        'insecure = true',
        '[[registry]]',
        'prefix = "*.elsewhere.lan"',
        'location = "mirror.lan"',
        'insecure = true',
        '',
      ].join('\n'),
    )
    // with the override, the system's and the user's drop-ins are read, in name order
    put('.config/containers/registries.conf.d/10-later.conf', '[[registry]]\nlocation = "later.lan"\ninsecure = false\n')
    put('.config/containers/registries.conf.d/20-more.conf', '[[registry]]\nlocation = "more.lan"\ninsecure = true\n')
    put('.config/containers/registries.conf.d/ignored.txt', '[[registry]]\nlocation = "txt.lan"\ninsecure = true\n')
    const hosts = ['v1.lan:5000', 'reg.lan:5000', 'reg.lan', 'later.lan', 'a.dev.lan', 'a.b.dev.lan:5000', 'dev.lan', 'x.dev.lan.evil', 'prod.dev.lan', 'prod.dev.lan:5000', 'ns.lan', 'remapped.lan', 'mirror.lan', 'a.elsewhere.lan', 'more.lan', 'more.lan:8443', 'txt.lan']
    // an entry without a port takes the host on any port (more.lan:8443), and so a secure one wins there over a wildcard (prod.dev.lan:5000)
    expect(await insecure(hosts, { CONTAINERS_REGISTRIES_CONF: main })).toEqual(['v1.lan:5000', 'reg.lan:5000', 'a.dev.lan', 'a.b.dev.lan:5000', 'more.lan', 'more.lan:8443'])
  })

  it('prefers the user\'s own registries.conf, with only the user\'s drop-ins; a broken file is left out, making nothing insecure', async () => {
    put('.config/containers/registries.conf', '[[registry]]\nlocation = "mine.lan"\ninsecure = true\n')
    // set but empty is unset
    expect(await insecure(['mine.lan', 'more.lan', 'v1.lan:5000'], { CONTAINERS_REGISTRIES_CONF: '' })).toEqual(['mine.lan', 'more.lan'])
    const bad = put('bad.conf', '[[registry]\nlocation = "x"\ninsecure = true\n')
    expect(await insecure(['x', 'more.lan'], { CONTAINERS_REGISTRIES_CONF: bad })).toEqual(['more.lan'])
    expect(await insecure(['mine.lan'], { CONTAINERS_REGISTRIES_CONF: join(home, 'missing.conf') }, join(home, 'nohome'))).toEqual([])
  })
})

const unavailable = registryUnavailable() ?? (isRoot ? undefined : 'needs root for a network namespace of its own')

describe.skipIf(unavailable)(`compose push and pull to a plain-HTTP registry registries.conf marks insecure${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const ADDRESS = '10.89.77.1'
  let ns: Netns
  let registry: RegistryServer
  let work: string
  const image = `${ADDRESS}:5000/cr/busybox:1`
  const compose = (store: string, home: string, args: string[]) =>
    ns.miniRun(['--root', join(work, store), '--state', join(work, 'state'), 'compose', '-p', 'cr', ...args], {
      cwd: work,
      // no override: the user's own registries.conf, as podman would read it
      env: { ...process.env, HOME: join(work, home), CONTAINERS_REGISTRIES_CONF: undefined, REGISTRIES_CONFIG_PATH: undefined },
      timeout: 120_000,
    })

  beforeAll(async () => {
    work = mkdtempSync('/tmp/mini-run-registries-conf-')
    ns = makeNetns()
    expect(ns.exec(['ip', 'addr', 'add', `${ADDRESS}/32`, 'dev', 'lo']).status).toBe(0)
    registry = await startRegistry({ pid: ns.pid, address: ADDRESS })
    // compose push pushes what a service builds; another service uses the image
    mkdirSync(join(work, 'app'))
    writeFileSync(join(work, 'app', 'Dockerfile'), 'FROM scratch\nCOPY hello /hello\n')
    writeFileSync(join(work, 'app', 'hello'), 'hello\n')
    writeFileSync(join(work, 'compose.yaml'), `services:\n  app:\n    build: ./app\n    image: ${image}\n  use:\n    image: ${image}\n`)
    mkdirSync(join(work, 'plain'))
    mkdirSync(join(work, 'podman-user/.config/containers'), { recursive: true })
    writeFileSync(join(work, 'podman-user/.config/containers/registries.conf'), `[[registry]]\nlocation = "${ADDRESS}:5000"\ninsecure = true\n`)
  })
  afterAll(async () => {
    await registry?.stop()
    ns?.close()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('refuses plain HTTP to it without the entry, and pushes and pulls with it', () => {
    const built = compose('source', 'plain', ['build', 'app'])
    expect(built.status, built.stderr).toBe(0)
    // said at once and plainly, as Docker says it, not after retries in OpenSSL's words
    const said = `https://${ADDRESS}:5000: server gave HTTP response to HTTPS client (a registry without TLS: --insecure-registry ${ADDRESS}:5000, or insecure = true in registries.conf)\n`
    const refused = compose('source', 'plain', ['push', 'app'])
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toMatch(new RegExp(`\\nmini-run: pushing ${image} \\(service app\\): blob sha256:[0-9a-f]{64} to ${ADDRESS}:5000/cr/busybox: `))
    expect(refused.stderr.endsWith(said)).toBe(true)
    const pushed = compose('source', 'podman-user', ['push', 'app'])
    expect(pushed.status, pushed.stderr).toBe(0)
    const notPulled = compose('target', 'plain', ['pull', 'use'])
    expect(notPulled.status).not.toBe(0)
    expect(notPulled.stderr.endsWith(`mini-run: compose.yaml: services.use.image: pulling ${image}: manifest for ${image}: ${said}`)).toBe(true)
    const pulled = compose('target', 'podman-user', ['pull', 'use'])
    expect(pulled.status, pulled.stderr).toBe(0)
    const listed = ns.miniRun(['--root', join(work, 'target'), 'images', '--format', '{{.Repository}}:{{.Tag}}'])
    expect(listed.stdout).toBe(`${image}\n`)
  })

  it('says a broken file is left out in the form compose --progress json prints: every stderr line JSON', () => {
    const conf = join(work, 'broken-user/.config/containers/registries.conf')
    mkdirSync(dirname(conf), { recursive: true })
    writeFileSync(conf, `[[registry]\nlocation = "${ADDRESS}:5000"\ninsecure = true\n`)
    const r = compose('broken', 'broken-user', ['--progress', 'json', 'pull', 'use'])
    expect(r.status).not.toBe(0)
    const lines = r.stderr.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toContainEqual({ level: 'warning', msg: expect.stringMatching(new RegExp(`^ignoring ${conf}: `)), time: expect.any(String) })
    // left out, it makes nothing insecure: the pull is refused as without the file
    expect(lines.at(-1)).toEqual({ error: true, message: expect.stringContaining('server gave HTTP response to HTTPS client') })
  })
})
