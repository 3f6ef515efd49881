// `inspect NAME` of every kind of object, as `docker inspect`: a container,
// else an image, a network, a volume (docker/cli system/inspect.go's order);
// --type for one kind; and `network inspect -f`, which goes on past a
// network that is missing, as docker/cli's inspect.Inspect does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUSYBOX, makeTestEnv, type TestEnv } from './helpers/test-env.js'

describe('inspect of networks and volumes', () => {
  let env: TestEnv
  const ok = (args: string[]) => {
    const r = env.run(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  beforeAll(async () => {
    env = await makeTestEnv()
  })
  afterAll(() => env?.cleanup())

  it('finds a network by name or id, and a volume, where no container or image has that name', () => {
    const id = ok(['network', 'create', '--subnet', '10.93.7.0/24', 'insp-net']).trim()
    ok(['volume', 'create', 'insp-vol'])
    const [net] = JSON.parse(ok(['inspect', 'insp-net'])) as Record<string, unknown>[]
    expect(net).toMatchObject({ Name: 'insp-net', Id: id, Driver: 'bridge', IPAM: { Config: [{ Subnet: '10.93.7.0/24', Gateway: '10.93.7.1' }] } })
    expect(ok(['inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}}', id.slice(0, 12)])).toBe('insp-net bridge local\n')
    expect(ok(['inspect', '--type', 'network', '-f', '{{.Name}}', 'insp-net', 'bridge'])).toBe('insp-net\nbridge\n')
    expect(ok(['inspect', '-f', '{{.Name}} {{.Driver}}', 'insp-vol'])).toBe('insp-vol local\n')
    const typed = env.run(['inspect', '--type', 'network', 'insp-vol'])
    expect([typed.status, typed.stdout, typed.stderr]).toEqual([1, '[]\n', 'Error: No such network: insp-vol\n'])
    const some = env.run(['inspect', '-f', '{{.Name}}', 'insp-net', 'nosuch'])
    expect([some.status, some.stdout, some.stderr]).toEqual([1, 'insp-net\n', 'Error: No such object: nosuch\n'])
    ok(['network', 'rm', 'insp-net'])
    ok(['volume', 'rm', 'insp-vol'])
    // host and none, which network ls lists, as Docker shows them
    expect(ok(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{len .IPAM.Config}} {{len .Containers}}', 'host', 'none'])).toBe('host host 0 0\nnone null 0 0\n')
    expect(ok(['inspect', '-f', '{{.Driver}}', 'none'])).toBe('null\n')
  })

  it('takes a container before a network, and a network before a volume, of one name', () => {
    ok(['network', 'create', '--subnet', '10.93.8.0/24', 'same'])
    ok(['volume', 'create', 'same'])
    expect(ok(['inspect', '-f', '{{.Driver}}', 'same'])).toBe('bridge\n')
    expect(ok(['inspect', '--type', 'volume', '-f', '{{.Driver}}', 'same'])).toBe('local\n')
    const container = ok(['create', '--name', 'same', BUSYBOX, 'true']).trim()
    expect(ok(['inspect', '-f', '{{.Id}}', 'same'])).toBe(`${container}\n`)
    ok(['rm', 'same'])
    ok(['network', 'rm', 'same'])
    ok(['volume', 'rm', 'same'])
  })

  it('network inspect -f prints each network found; a missing one is its own line and exit 1', () => {
    ok(['network', 'create', '--subnet', '10.93.9.0/24', '--label', 'tier=db', 'fmt-net'])
    expect(ok(['network', 'inspect', '--format', '{{.Name}} {{index .Labels "tier"}}', 'fmt-net'])).toBe('fmt-net db\n')
    const some = env.run(['network', 'inspect', '-f', '{{.Name}}', 'nosuch', 'fmt-net'])
    expect([some.status, some.stdout, some.stderr]).toEqual([1, 'fmt-net\n', 'mini-run: network nosuch not found\n'])
    const none = env.run(['network', 'inspect', 'nosuch'])
    expect([none.status, none.stdout, none.stderr]).toEqual([1, '[]\n', 'mini-run: network nosuch not found\n'])
    ok(['network', 'rm', 'fmt-net'])
  })
})
