/**
 * Rootless networking with pasta (Debian: package passt). Without root
 * there is no bridge and no veth in the host's namespace; pasta joins the
 * container's user and network namespaces, makes a tap device there with
 * the host's address and routes (--config-net), and carries the traffic
 * through sockets of its own in the host's namespace. A published port is
 * a socket pasta binds on the host, so 127.0.0.1:PORT works like any other
 * host address; connections from the host's loopback are spliced, never
 * passed through the tap.
 *
 * Started by pid, pasta does not notice the namespace going away: the
 * teardown ends it, by the pid and start time recorded in the state.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs'
import { MiniRunError } from '../errors.js'
import { processStartTime } from '../proc-stat.js'
import { hostRoutes } from './host-net.js'
import type { PortMapping } from './port-spec.js'

function findPasta(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/usr/local/bin']) {
    if (existsSync(`${dir}/pasta`)) return `${dir}/pasta`
  }
  return undefined
}

/** Why pasta cannot run here, or undefined. */
export function pastaUnusable(): string | undefined {
  if (!findPasta()) return 'pasta is not installed (Debian: apt-get install passt)'
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK)
  } catch {
    return 'pasta needs /dev/net/tun, which this user may not open'
  }
  if (!hostRoutes().some((r) => r.dest.prefix === 0)) return 'pasta copies the host\'s address and default route, and the host has no default route'
  return undefined
}

/** pasta's -t/-u argument: "127.0.0.1/8080-8081:80-81,9090:90"; "none" for none. */
export function pastaPortSpec(ports: readonly PortMapping[], protocol: 'tcp' | 'udp'): string {
  const span = (first: number, range: number) => (range > 1 ? `${first}-${first + range - 1}` : String(first))
  const specs = ports
    .filter((p) => p.protocol === protocol)
    .map((p) => `${p.hostIp ? `${p.hostIp}/` : ''}${span(p.hostPort, p.range)}:${span(p.containerPort, p.range)}`)
  return specs.length ? specs.join(',') : 'none'
}

export function pastaArgv(o: { pid: number; ports: readonly PortMapping[]; pidFile: string; dnsForward?: string }): string[] {
  return [
    '--config-net', '--quiet',
    '--ns-ifname', 'eth0',
    '-t', pastaPortSpec(o.ports, 'tcp'),
    '-u', pastaPortSpec(o.ports, 'udp'),
    // nothing of the host's own ports is forwarded into the container
    '-T', 'none', '-U', 'none',
    ...(o.dnsForward ? ['--dns-forward', o.dnsForward] : []),
    '--pid', o.pidFile,
    String(o.pid),
  ]
}

export interface PastaProcess {
  pid: number
  startTime: string
}

/** Start pasta for the container `pid`; it daemonizes once the namespace is configured. */
export function startPasta(o: { pid: number; ports: readonly PortMapping[]; pidFile: string; logFile: string; dnsForward?: string }): PastaProcess {
  const pasta = findPasta()
  if (!pasta) throw new MiniRunError('rootless networking needs pasta (Debian: apt-get install passt)', { code: 'ENOPASTA' })
  // Its daemon keeps the fds it was given: a file, not a pipe to wait on.
  const log = openSync(o.logFile, 'w', 0o600)
  let r
  try {
    r = spawnSync(pasta, pastaArgv(o), { stdio: ['ignore', log, log], timeout: 30_000 })
  } finally {
    closeSync(log)
  }
  const said = () => {
    try {
      return readFileSync(o.logFile, 'utf8').split('\n').filter((l) => l && !l.includes('syslog')).join('; ')
    } catch {
      return ''
    }
  }
  if (r.error || r.status !== 0) throw new MiniRunError(`pasta: ${said() || r.error?.message || `exit status ${r.status}`}`, { code: 'EPASTA' })
  const pid = Number(readFileSync(o.pidFile, 'utf8').trim())
  const startTime = processStartTime(pid)
  if (!Number.isInteger(pid) || pid <= 0 || startTime === undefined) throw new MiniRunError(`pasta exited after starting: ${said()}`, { code: 'EPASTA' })
  return { pid, startTime }
}

export function stopPasta(p: PastaProcess): void {
  if (processStartTime(p.pid) !== p.startTime) return
  try {
    process.kill(p.pid, 'SIGTERM')
  } catch {
    // gone meanwhile
  }
}
