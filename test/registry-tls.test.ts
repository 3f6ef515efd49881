/**
 * A registry over TLS whose certificate a test CA signed, trusted through
 * NODE_EXTRA_CA_CERTS, as a user behind a corporate CA sets it: the
 * executable's #! line hides the variable from Node (which would parse the
 * file at every start) and mini-run reads it when a pull first needs TLS
 * (src/registry/extra-ca-certs.ts).
 *
 * The registry (Debian's docker-registry) serves TLS on 192.0.2.10, an
 * address on lo in a network namespace of the test's own: not a loopback
 * address, which mini-run (like Docker) would treat as an insecure registry
 * and accept any certificate from.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { miniRun } from './helpers/cli.js'
import { makeNetns, until, type Netns } from './helpers/netns.js'
import { registryUnavailable, REGISTRY_BINARY } from './helpers/registry-server.js'
import { BUSYBOX, BUSYBOX_OCI, isRoot, makeTestEnv, type TestEnv } from './helpers/test-env.js'

const ADDRESS = '192.0.2.10'
const HOST = `${ADDRESS}:5443`
const IMAGE = `${HOST}/test/busybox:latest`
const why = !isRoot ? 'needs root: a network namespace with an address of its own' : registryUnavailable()

describe.skipIf(why)(`NODE_EXTRA_CA_CERTS for a TLS registry${why ? ` (skipped: ${why})` : ''}`, () => {
  let netns: Netns
  let env: TestEnv
  let dir: string
  let registry: ChildProcess | undefined
  let caFile: string
  const withCa = (value: string | undefined) => {
    const e = { ...process.env }
    delete e.NODE_EXTRA_CA_CERTS
    return value === undefined ? e : { ...e, NODE_EXTRA_CA_CERTS: value }
  }
  const pull = (ca: string | undefined) => netns.miniRun(['--root', env.storeRoot, 'pull', '-q', IMAGE], { env: withCa(ca) })

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/mini-run-tls-')
    env = await makeTestEnv()
    netns = makeNetns()
    netns.exec(['ip', 'addr', 'add', `${ADDRESS}/32`, 'dev', 'lo'])
    // a CA, and the registry's certificate for the address, signed by it
    const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mini-run test CA'])
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${ADDRESS}`])
    writeFileSync(join(dir, 'san.ext'), `subjectAltName=IP:${ADDRESS}\n`)
    ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'])
    caFile = join(dir, 'ca.pem')
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log:', '  level: error', '  accesslog:', '    disabled: true',
        'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'storage')}`,
        'http:', `  addr: ${HOST}`, '  secret: mini-run-test',
        '  tls:', `    certificate: ${join(dir, 'server.pem')}`, `    key: ${join(dir, 'server.key')}`,
        '',
      ].join('\n'),
    )
    // nsenter execs the registry: the child's pid is the registry's, killed by it
    const registryEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')))
    registry = spawn('nsenter', [`--net=/proc/${netns.pid}/ns/net`, REGISTRY_BINARY, 'serve', join(dir, 'config.yml')], { stdio: 'ignore', env: registryEnv })
    const push = () => netns.exec(['skopeo', 'copy', '-q', '--dest-tls-verify=false', `oci:${BUSYBOX_OCI}:latest`, `docker://${IMAGE}`])
    await until('a push to the TLS registry', () => push().status === 0, 20_000)
  }, 120_000)

  afterAll(() => {
    if (registry?.pid !== undefined && registry.exitCode === null) registry.kill('SIGKILL')
    netns?.close()
    env?.cleanup()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('refuses the registry when its CA is not trusted', () => {
    const r = pull(undefined)
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/certificate/)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('pulls from it with the CA in NODE_EXTRA_CA_CERTS, and runs what it pulled', () => {
    const r = pull(caFile)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const run = netns.miniRun(env.runArgs(['--network', 'none', IMAGE, 'cat', '/etc/hostname']))
    expect(run.status).toBe(0)
  })

  it("warns once, as Node would, when the file cannot be read, and trusts Node's roots alone", () => {
    const missing = join(dir, 'no-such-ca.pem')
    const r = pull(missing)
    expect(r.status).not.toBe(0)
    const lines = r.stderr.trim().split('\n')
    expect(lines.filter((l) => l.includes(`ignoring extra certs from NODE_EXTRA_CA_CERTS=${missing}`))).toHaveLength(1)
    expect(r.stderr).toMatch(/certificate/)
  })

  it('reads no certificate file where no TLS is spoken, and gives the variable back to what it starts', () => {
    // Node itself prints "Ignoring extra certs from ..." at start when it reads a missing file
    const missing = join(dir, 'no-such-ca.pem')
    const images = env.run(['images'], { env: withCa(missing) })
    expect(images.status).toBe(0)
    expect(images.stderr).toBe('')
    // -e NAME passes the caller's value, as in Docker
    const run = miniRun(env.runArgs(['--network', 'none', '-e', 'NODE_EXTRA_CA_CERTS', BUSYBOX, 'sh', '-c', 'echo "[$NODE_EXTRA_CA_CERTS]"']), { env: withCa(missing) })
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe(`[${missing}]\n`)
    // the monitor of run -d has the variable as the caller set it, and not the #! line's other name
    const started = env.run(['run', '-d', '--network', 'none', '--cgroup-parent', env.cgroupParent, BUSYBOX, 'sleep', '60'], { env: withCa(missing) })
    expect(started.stderr).toBe('')
    const [info] = JSON.parse(env.run(['inspect', started.stdout.trim()]).stdout) as Array<{ State: { Pid: number } }>
    const monitor = Number(readFileSync(`/proc/${info!.State.Pid}/stat`, 'latin1').replace(/^.*\) /, '').split(' ')[1])
    const environ = readFileSync(`/proc/${monitor}/environ`, 'latin1').split('\0')
    expect(readFileSync(`/proc/${monitor}/comm`, 'latin1').trim()).toBe('mini-run-monito')
    expect(environ).toContain(`NODE_EXTRA_CA_CERTS=${missing}`)
    expect(environ.filter((e) => e.startsWith('MINI_RUN_EXTRA_CA_CERTS'))).toEqual([])
    expect(env.run(['rm', '-f', started.stdout.trim()]).status).toBe(0)
  })
})
