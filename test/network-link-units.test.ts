// --link's words and variables (src/network/links.ts), as Docker's
// opts.ParseLink and daemon/links ToEnv make them; the containers' side is
// network-link.test.ts's.
import { describe, expect, it } from 'vitest'
import { inspectLinks, keepLinkEnv, legacyLinks, linkEnv, linkHostNames, parseLink } from '../src/network/links.js'

describe('--link', () => {
  it('takes NAME, /NAME, NAME:ALIAS and inspect\'s /NAME:/PARENT/ALIAS; refuses more parts and an empty value, as Docker, and an alias that is no word of /etc/hosts', () => {
    expect(parseLink('db')).toEqual({ name: 'db', alias: 'db' })
    expect(parseLink('/db')).toEqual({ name: 'db', alias: 'db' })
    expect(parseLink('db:store')).toEqual({ name: 'db', alias: 'store' })
    expect(parseLink('/db:/web/store')).toEqual({ name: 'db', alias: 'store' })
    expect(() => parseLink('')).toThrow('empty string specified for links')
    expect(() => parseLink('a:b:c')).toThrow('bad format for links: a:b:c')
    expect(() => parseLink('db:sp ace')).toThrow('invalid alias name "sp ace"')
  })

  it("Docker's variables: the first port, each port's four, a run of ports' start and end, the name, the other's environment but HOME and PATH", () => {
    const env = linkEnv('/web/x-y', '10.0.0.2', ['A=1', 'PATH=/bin', 'HOME=/root', 'NOEQ', 'B=x=y'], ['9000/udp', '8081/tcp', '53/udp', '8080/tcp'])
    const four = (port: number, proto: string) => {
      const p = `X_Y_PORT_${port}_${proto.toUpperCase()}`
      return [`${p}=${proto}://10.0.0.2:${port}`, `${p}_ADDR=10.0.0.2`, `${p}_PORT=${port}`, `${p}_PROTO=${proto}`]
    }
    expect(env).toEqual([
      'X_Y_PORT=tcp://10.0.0.2:8080',
      ...four(8080, 'tcp'),
      ...four(8081, 'tcp'),
      // TCP first; the run 8080-8081 ends at the next port, which is not in it
      ...four(53, 'udp'),
      'X_Y_PORT_8080_TCP_START=tcp://10.0.0.2:8080', 'X_Y_PORT_8080_TCP_PORT_START=8080', 'X_Y_PORT_8080_TCP_END=tcp://10.0.0.2:8081', 'X_Y_PORT_8080_TCP_PORT_END=8081',
      ...four(9000, 'udp'),
      'X_Y_NAME=/web/x-y',
      'X_Y_ENV_A=1',
      'X_Y_ENV_B=x=y',
    ])
    // no port: the name and the environment alone
    expect(linkEnv('/web/db', '10.0.0.3', [], [])).toEqual(['DB_NAME=/web/db'])
  })

  it('names the other in /etc/hosts by alias, hostname, and its name unless that is the alias; inspect shows /NAME:/PARENT/ALIAS', () => {
    expect(linkHostNames('store', 'abc123', 'db')).toBe('store abc123 db')
    expect(linkHostNames('db', 'abc123', 'db')).toBe('db abc123')
    expect(inspectLinks({ mode: 'bridge', attachments: [{ network: { builtin: true } }], links: [{ name: 'db', alias: 'store', id: 'x' }] }, 'web')).toEqual(['/db:/web/store'])
    expect(inspectLinks(undefined, 'web')).toBeNull()
    // a user network's links are its endpoint's in Docker, not HostConfig's
    expect(inspectLinks({ mode: 'bridge', attachments: [{ network: {} }], links: [{ name: 'db', alias: 'db' }] }, 'web')).toBeNull()
  })

  it("Docker 29's escape hatch asks for the variables; the default bridge and none have legacy links", () => {
    // "1" alone, as Docker's daemon compares it
    expect(['', '1', '0', 'true'].map((v) => keepLinkEnv({ DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS: v }))).toEqual([false, true, false, false])
    expect(keepLinkEnv({})).toBe(false)
    expect(legacyLinks({ mode: 'bridge', attachments: [{ network: { builtin: true } }] })).toBe(true)
    expect(legacyLinks({ mode: 'none', attachments: [] })).toBe(true)
    expect(legacyLinks({ mode: 'bridge', attachments: [{ network: { builtin: false } }] })).toBe(false)
  })
})
