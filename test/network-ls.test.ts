// `network ls` as Docker's: NETWORK ID, NAME, DRIVER, SCOPE, sorted by name
// with host and none among them (in -q too); --format (table, json, a
// template), --filter (name, id, driver, scope, type, label) and --no-trunc.
// Networks are made in a private store only: no bridge comes up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { naturalOrder } from '../src/natural-order.js'
import { parseNetworkFilters } from '../src/network/network-list.js'
import { makeTestEnv, type TestEnv } from './helpers/test-env.js'

const BRIDGE_ID = '9e1f0c5b7a2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f'

describe('network ls', () => {
  let env: TestEnv
  let ids: Record<string, string>
  const ok = (args: string[]) => {
    const r = env.run(args)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    return r.stdout
  }
  beforeAll(async () => {
    env = await makeTestEnv({ loadBusybox: false })
    ids = {
      net10: ok(['network', 'create', '--subnet', '10.93.10.0/24', '--label', 'tier=db', '--label', 'a=1', 'net10']).trim(),
      net2: ok(['network', 'create', '--subnet', '10.93.2.0/24', 'net2']).trim(),
    }
  })
  afterAll(() => env?.cleanup())

  it('Docker\'s columns, sorted by name (numbers by value); -q has host and none too', () => {
    const short = (n: string) => ids[n]!.slice(0, 12)
    expect(ok(['network', 'ls'])).toBe(
      [
        'NETWORK ID     NAME      DRIVER    SCOPE',
        `${BRIDGE_ID.slice(0, 12)}   bridge    bridge    local`,
        'host           host      host      local',
        `${short('net2')}   net2      bridge    local`,
        `${short('net10')}   net10     bridge    local`,
        'none           none      null      local',
        '',
      ].join('\n'),
    )
    expect(ok(['network', 'ls', '-q'])).toBe(`${BRIDGE_ID.slice(0, 12)}\nhost\n${short('net2')}\n${short('net10')}\nnone\n`)
    expect(ok(['network', 'ls', '-q', '--no-trunc'])).toBe(`${BRIDGE_ID}\nhost\n${ids.net2}\n${ids.net10}\nnone\n`)
  })

  it('--format: a template, table TEMPLATE, json', () => {
    expect(ok(['network', 'ls', '--format', '{{.Name}} {{.Scope}} {{.IPv6}} {{.Internal}} {{.Labels}} {{.Label "tier"}}', '-f', 'name=net10'])).toBe('net10 local false false a=1,tier=db db\n')
    expect(ok(['network', 'ls', '--format', '{{.ID}}', '--no-trunc', '-f', 'name=net2'])).toBe(`${ids.net2}\n`)
    expect(ok(['network', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}', '-f', 'type=builtin'])).toBe('NAME      DRIVER\nbridge    bridge\nhost      host\nnone      null\n')
    const json = JSON.parse(ok(['network', 'ls', '--format', 'json', '-f', 'name=^none$']))
    expect(Object.keys(json)).toEqual(['CreatedAt', 'Driver', 'ID', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope'])
    expect(json).toMatchObject({ Driver: 'null', ID: 'none', Name: 'none', Scope: 'local', IPv6: 'false', Internal: 'false', Labels: '' })
    expect(ok(['network', 'ls', '--format', '{{.CreatedAt}}', '-f', 'name=^bridge$'])).toBe('1970-01-01 00:00:00 +0000 UTC\n')
    // -q with a format of its own: the format wins, as docker/cli's
    expect(ok(['network', 'ls', '-q', '--format', '{{.Name}}', '-f', 'driver=host'])).toBe('host\n')
  })

  it('--filter: name and id unanchored, driver exact, type custom|builtin, labels all', () => {
    const names = (...filters: string[]) => ok(['network', 'ls', '--format', '{{.Name}}', ...filters.flatMap((f) => ['-f', f])]).split('\n').filter(Boolean)
    expect(names('name=net')).toEqual(['net2', 'net10'])
    expect(names('name=net2', 'name=none')).toEqual(['net2', 'none'])
    expect(names(`id=${ids.net10!.slice(0, 6)}`)).toEqual(['net10'])
    expect(names('driver=bridge')).toEqual(['bridge', 'net2', 'net10'])
    expect(names('driver=null')).toEqual(['none'])
    expect(names('type=custom')).toEqual(['net2', 'net10'])
    expect(names('scope=local', 'type=builtin')).toEqual(['bridge', 'host', 'none'])
    expect(names('label=tier')).toEqual(['net10'])
    expect(names('label=tier=db', 'label=a=1')).toEqual(['net10'])
    expect(names('label=tier=db', 'label=a=2')).toEqual([])
    const bad = env.run(['network', 'ls', '-f', 'type=foo'])
    expect([bad.status, bad.stderr]).toEqual([1, "mini-run: invalid filter: 'type'='foo'\n"])
    expect(env.run(['network', 'ls', '-f', 'colour=red']).stderr).toBe("mini-run: invalid filter 'colour'\n")
    expect(env.run(['network', 'ls', '-f', 'name']).stderr).toBe('mini-run: bad format of filter (expected name=value)\n')
  })

  it('network rm: each one in turn, a failure said and the rest removed (exit 1); host and none are pre-defined, as ls shows them', () => {
    ok(['network', 'create', '--subnet', '10.93.30.0/24', 'gone1'])
    ok(['network', 'create', '--subnet', '10.93.31.0/24', 'gone2'])
    const r = env.run(['network', 'rm', 'nosuch', 'gone1', 'host', 'gone2', 'none', 'bridge'])
    expect([r.status, r.stdout]).toEqual([1, 'gone1\ngone2\n'])
    expect(r.stderr).toBe(
      [
        'mini-run: network nosuch not found',
        'mini-run: host is a pre-defined network and cannot be removed',
        'mini-run: none is a pre-defined network and cannot be removed',
        'mini-run: bridge is a pre-defined network and cannot be removed',
        '',
      ].join('\n'),
    )
    expect(ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'name=gone'])).toBe('')
    // -f: one not there is passed over without a word (docker/cli's errdefs.IsNotFound)
    ok(['network', 'create', '--subnet', '10.93.34.0/24', 'gone3'])
    const forced = env.run(['network', 'rm', '-f', 'nosuch', 'gone3', 'host'])
    expect([forced.status, forced.stdout, forced.stderr]).toEqual([1, 'gone3\n', 'mini-run: host is a pre-defined network and cannot be removed\n'])
    expect([env.run(['network', 'rm', '--force', 'nosuch']).status, env.run(['network', 'rm', '--force', 'nosuch']).stderr]).toEqual([0, ''])
    // two subnets (Docker's multi-subnet network) are refused, not the last one taken
    const two = env.run(['network', 'create', '--subnet', '10.93.32.0/24', '--subnet', '10.93.33.0/24', 'two'])
    expect([two.status, two.stderr]).toEqual([1, 'mini-run: --subnet given 2 times (10.93.32.0/24, 10.93.33.0/24): a mini-run network has one IPv4 subnet and one IPv6 subnet, each with one gateway; one range, IPv4\n'])
  })

  it('naturalOrder and parseNetworkFilters', () => {
    expect(['net10', 'net2', 'bridge', 'net02', 'a', 'none'].sort(naturalOrder)).toEqual(['a', 'bridge', 'net2', 'net02', 'net10', 'none'])
    expect([...parseNetworkFilters(['name=a', 'Name=b', 'label=x=y'])]).toEqual([['name', ['a', 'b']], ['label', ['x=y']]])
  })
})
