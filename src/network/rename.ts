/**
 * What a container's rename changes of its network, as Docker's embedded
 * DNS does on `docker rename`: the new name resolves on every user network
 * the container is on, the old one no longer; its aliases and short id stay.
 *
 * netavark has no verb for it. It writes one file per network in
 * <config>/aardvark-dns/, a first line of the server's addresses, then a
 * line per container: "<id> <ipv4s> <ipv6s> <names>[ <dns servers>]", the
 * container's name first among the names, then its aliases (aardvark-dns's
 * docs/configuration.md), and sends aardvark-dns SIGHUP, on which it reads
 * them all again. A rename does the same, under the lock every netavark
 * run takes (attach.ts), so neither rewrites the other's file from a stale
 * read.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { networkStateDir, withNetworkLock } from './leases.js'
import type { NetworkRecord } from './attach.js'

/** The lines of one network's aardvark-dns file with container id's name changed; undefined when it has none. */
export function renameDnsLines(text: string, id: string, from: string, to: string): string | undefined {
  let changed = false
  const lines = text.split('\n').map((line, i) => {
    const fields = line.split(' ')
    // (line 0 is the server's addresses, which no id matches)
    if (i === 0 || fields[0] !== id || fields.length < 4) return line
    const names = fields[3]!.split(',')
    if (names[0] !== from) return line
    names[0] = to
    changed = true
    return [...fields.slice(0, 3), names.join(','), ...fields.slice(4)].join(' ')
  })
  return changed ? lines.join('\n') : undefined
}

/**
 * Give container id's entries in aardvark-dns the name `to` for `from`, on
 * every network it is registered on, and have aardvark-dns read them
 * again. Returns the networks changed (none: it is registered nowhere, as
 * a stopped container or one without a user network is).
 */
export function renameInDns(stateRoot: string, id: string, from: string, to: string): string[] {
  const dir = join(networkStateDir(stateRoot), 'aardvark-dns')
  if (!existsSync(dir)) return []
  return withNetworkLock(stateRoot, () => {
    const changed: string[] = []
    for (const network of existsSync(dir) ? readdirSync(dir) : []) {
      if (network === 'aardvark.pid') continue
      const file = join(dir, network)
      const text = readFileSync(file, 'utf8')
      const next = renameDnsLines(text, id, from, to)
      if (next === undefined) continue
      // written beside the directory, not in it: aardvark-dns reads every file there as a network
      const tmp = join(networkStateDir(stateRoot), `aardvark-rename-${process.pid}.tmp`)
      writeFileSync(tmp, next, { mode: 0o644 })
      renameSync(tmp, file)
      changed.push(network)
    }
    if (changed.length) reloadDns(join(dir, 'aardvark.pid'))
    return changed
  })
}

/** SIGHUP to aardvark-dns, as netavark sends it after changing its files. */
function reloadDns(pidFile: string): void {
  let pid: number
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim())
    // a pid file left by a server that is gone names someone else's process now
    if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('aardvark')) return
  } catch {
    // not running: it reads the files when netavark starts it next
    return
  }
  try {
    process.kill(pid, 'SIGHUP')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return
    throw new MiniRunError(`reload aardvark-dns (pid ${pid}): ${(err as Error).message}`, { cause: err })
  }
}

/** The record of an attached network under the new name: netavark's input names the container. */
export function renamedRecord(record: NetworkRecord, to: string): NetworkRecord {
  return record.netavark ? { ...record, netavark: { ...record.netavark, container_name: to } } : record
}
