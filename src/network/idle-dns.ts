/**
 * aardvark-dns on its way out. netavark's teardown of a network's last
 * container removes that network's file from <config>/aardvark-dns/ and
 * sends the server SIGHUP; with no file left, the server exits and removes
 * its pid file. A setup that comes before it has gone finds the pid of a
 * live process, sends it SIGHUP in turn instead of starting a server, and
 * the server exits all the same: the new container's names have no server
 * until the next setup (the stop/start of a network's only container, on a
 * loaded machine). The teardown waits a second for it (leases.ts, tidy);
 * a setup does not rely on that: under the network lock, before netavark
 * looks, it ends a server that has no network to serve, which could only
 * be exiting, so that netavark starts a new one.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { MiniRunError } from '../errors.js'
import { removeFile } from '../remove-file.js'

const PID_FILE = 'aardvark.pid'

/** End the aardvark-dns of configDir (netavark's --config) if it runs with no network file left. */
export function endIdleDns(configDir: string): void {
  const dir = join(configDir, 'aardvark-dns')
  const pid = idlePid(dir)
  if (pid === undefined) return
  const ours = (p: number) => isLiveServerOf(p, dir)
  if (ours(pid)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
    // dead once a zombie: its sockets are closed, its port free for the next server
    const wait = new Int32Array(new SharedArrayBuffer(4))
    for (let waited = 0; ours(pid) && waited < 5000; waited += 5) Atomics.wait(wait, 0, 0, 5)
    if (ours(pid)) throw new MiniRunError(`aardvark-dns (pid ${pid}) has no network left to serve and does not exit`, { code: 'ENETAVARK' })
  }
  removeFile(join(dir, PID_FILE))
}

/**
 * For the tidy of a network state without leases (leases.ts): wait, up to
 * ms, while the aardvark-dns of configDir is on its way out (alive, no
 * network file left: netavark's teardown told it so, and it removes its pid
 * file as it exits); then a pid file whose server is gone (killed, or never
 * this directory's) is removed. A server that still has networks to serve
 * is not waited for: it stays.
 */
export function settleIdleDns(configDir: string, ms: number): void {
  const dir = join(configDir, 'aardvark-dns')
  const wait = new Int32Array(new SharedArrayBuffer(4))
  for (let waited = 0; ; waited += 10) {
    const pid = idlePid(dir)
    if (pid === undefined) return
    if (!isLiveServerOf(pid, dir)) {
      removeFile(join(dir, PID_FILE))
      return
    }
    if (waited >= ms) return
    Atomics.wait(wait, 0, 0, 10)
  }
}

/** The pid its pid file names (NaN when unreadable) when the directory holds the pid file alone; undefined otherwise. */
function idlePid(dir: string): number | undefined {
  // the usual case (no DNS server was ever started here) without a thrown ENOENT: a --rm run's release waits for this
  if (!existsSync(join(dir, PID_FILE))) return undefined
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return undefined // no server was ever started here, or the teardown tidied it all
  }
  if (!entries.includes(PID_FILE) || entries.some((e) => e !== PID_FILE)) return undefined
  return Number.parseInt(readText(join(dir, PID_FILE)) ?? '', 10)
}

/**
 * pid is the aardvark-dns of this config dir, not exited. A pid file that
 * outlived its server (a reboot, a kill) may name another process now,
 * another state root's aardvark-dns or podman's: netavark starts each with
 * `--config <dir>` (netavark's src/dns/aardvark.rs).
 */
function isLiveServerOf(pid: number, dir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  const stat = readText(`/proc/${pid}/stat`)
  if (stat === undefined) return false
  // "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ")"
  const close = stat.lastIndexOf(')')
  if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('aardvark') || stat[close + 2] === 'Z') return false
  const argv = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0')
  const at = argv.indexOf('--config')
  const given = at >= 0 ? argv[at + 1] : undefined
  if (given === undefined) return false
  // the same directory, however it was written (relative to the server's cwd, through a symlink)
  try {
    const [a, b] = [statSync(isAbsolute(given) ? given : join(readlinkSync(`/proc/${pid}/cwd`), given)), statSync(dir)]
    return a.dev === b.dev && a.ino === b.ino
  } catch {
    return false
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
