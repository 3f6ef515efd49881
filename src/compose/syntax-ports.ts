/**
 * A service's `ports:`, short syntax (`"8080:80"`, `"127.0.0.1::80/udp"`,
 * `80`) and long (`{target, published, host_ip, protocol}`), as the `-p`
 * values `run` takes; each checked by run's own parser now, so a bad one
 * fails at load, with its path.
 */
import { parseExpose, parsePublish } from '../network/port-spec.js'
import type { At } from './compose-error.js'
import { int, isMap, str } from './values.js'

/**
 * The ports, each once: as compose-go's EnforceUnicity (portIndexer) keeps
 * one entry per host address, published port, target and protocol, whichever
 * syntax or file gave it (`"8080:80"` in one file, `{target: 80, published:
 * 8080}` in an override), so the same port said twice is not published twice.
 */
export function servicePorts(v: unknown, at: At): string[] {
  if (!Array.isArray(v)) return []
  const seen = new Set<string>()
  return v.flatMap((item, i) => {
    const here = at.at(i)
    const spec = isMap(item) ? longPort(item, here) : str(item, here)
    if (spec.startsWith('[') || /^[^/]*:[^/]*:[^/]*:/.test(spec)) throw here.error(`"${spec}": IPv6 host addresses are not supported`)
    let p: ReturnType<typeof parsePublish>
    try {
      p = parsePublish(spec)
    } catch (err) {
      throw here.error((err as Error).message.replace(/^invalid -p /, 'invalid port '), err)
    }
    // a range is one entry per port to compose-go: one said already, port by port, is not said again
    const published = (n: number) => (p.hostPortEnd !== undefined ? `${p.hostPort}-${p.hostPortEnd}` : p.hostPort ? p.hostPort + n : '')
    const keys = Array.from({ length: p.range }, (_, n) => `${p.hostIp || '0.0.0.0'}:${published(n)}:${p.containerPort + n}/${p.protocol}`)
    if (keys.every((k) => seen.has(k))) return []
    for (const k of keys) seen.add(k)
    return [spec]
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

/** `expose:` ports, as given (the container's own: nothing is published), each checked by run's --expose parser, each once (compose-go's exposeIndexer: 1000 and "1000" are one). */
export function exposedPorts(v: unknown, at: At): string[] {
  if (!Array.isArray(v)) return []
  const texts = v.map((item, i) => {
    const text = str(item, at.at(i))
    try {
      parseExpose(text)
    } catch (err) {
      throw at.at(i).error(`invalid port "${text}": PORT[-PORT][/PROTOCOL]`, err)
    }
    return text
  })
  return [...new Set(texts)]
}
