/**
 * A service's `ports:`, short syntax (`"8080:80"`, `"127.0.0.1::80/udp"`,
 * `80`) and long (`{target, published, host_ip, protocol}`), as the `-p`
 * values `run` takes; each checked by run's own parser now, so a bad one
 * fails at load, with its path.
 */
import { parseExpose, parsePublish } from '../network/port-spec.js'
import type { At } from './compose-error.js'
import { int, isMap, str } from './values.js'

export function servicePorts(v: unknown, at: At): string[] {
  if (!Array.isArray(v)) return []
  return v.map((item, i) => {
    const here = at.at(i)
    const spec = isMap(item) ? longPort(item, here) : str(item, here)
    if (spec.startsWith('[') || /^[^/]*:[^/]*:[^/]*:/.test(spec)) throw here.error(`"${spec}": IPv6 host addresses are not supported`)
    try {
      parsePublish(spec)
    } catch (err) {
      throw here.error((err as Error).message.replace(/^invalid -p /, 'invalid port '), err)
    }
    return spec
  })
}

function longPort(p: Record<string, unknown>, at: At): string {
  if (p.target === undefined) throw at.error('a port needs a target')
  const target = int(p.target, at.at('target'), 1)
  const protocol = p.protocol === undefined ? 'tcp' : str(p.protocol, at.at('protocol'))
  if (p.mode !== undefined && str(p.mode, at.at('mode')) !== 'host' && str(p.mode, at.at('mode')) !== 'ingress') throw at.at('mode').error('host or ingress')
  const published = p.published === undefined ? '' : str(p.published, at.at('published'))
  const hostIp = p.host_ip === undefined ? '' : str(p.host_ip, at.at('host_ip'))
  const host = hostIp ? `${hostIp}:${published}:` : published ? `${published}:` : ''
  return `${host}${target}/${protocol}`
}

/** `expose:` ports, as given (the container's own: nothing is published), each checked by run's --expose parser. */
export function exposedPorts(v: unknown, at: At): string[] {
  if (!Array.isArray(v)) return []
  return v.map((item, i) => {
    const text = str(item, at.at(i))
    try {
      parseExpose(text)
    } catch (err) {
      throw at.at(i).error(`invalid port "${text}": PORT[-PORT][/PROTOCOL]`, err)
    }
    return text
  })
}
