/**
 * A network namespace of the test's own, for tests about networking: the
 * bridge, the NAT rules, aardvark-dns and the containers live in it, and
 * traffic goes only to its 127.0.0.1 and to the containers' addresses.
 * A holder process (`unshare --net ... sleep`) keeps it; every command runs
 * in it through `nsenter --net=/proc/<holder>/ns/net`. close() kills the
 * holder and whatever daemon was started in it (aardvark-dns), by pid.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cliEnv, type CliResult } from './cli.js'

export interface NetnsOptions {
  /**
   * Also a mount namespace of its own, with a veth pair standing in for
   * the host's outside interface (an address and a default route: pasta
   * copies them; nothing is sent there), /dev/net/tun open to everyone
   * (pasta needs it; Debian's udev makes it 0666, this machine has 0600)
   * and optionally /etc/resolv.conf replaced.
   */
  outside?: boolean
  resolvConf?: string
}

export interface Netns {
  pid: number
  /** argv in the namespace. */
  exec(argv: string[], options?: SpawnSyncOptions): CliResult
  /** mini-run in the namespace (this checkout's, as test/helpers/cli.ts finds it). */
  miniRun(args: string[], options?: SpawnSyncOptions): CliResult
  /**
   * mini-run in the namespace, not waited for (env: the runner's own, if not given): its stdout so far,
   * the process to signal (nsenter execs mini-run: the same pid), kill() for a finally (SIGKILL).
   */
  miniRunAsync(args: string[], env?: NodeJS.ProcessEnv, cwd?: string): { child: ChildProcess; done: Promise<CliResult>; output: () => string; errors: () => string; kill: () => void }
  /** Interfaces and firewall rules, to compare before and after. */
  snapshot(): { links: string[]; rules: string[] }
  /** Kill the holder and aardvark-dns (of any of these state dirs). */
  close(stateRoots?: string[]): void
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export function makeNetns(options: NetnsOptions = {}): Netns {
  const dir = mkdtempSync('/tmp/mini-run-netns-')
  const ready = join(dir, 'ready')
  const setup = ['ip link set lo up']
  if (options.outside) {
    setup.push(
      'ip link add mr-outside type veth peer name mr-outside-peer',
      'ip addr add 198.51.100.2/24 dev mr-outside',
      'ip link set mr-outside up', 'ip link set mr-outside-peer up',
      'ip route add default via 198.51.100.1',
      `mknod ${dir}/tun c 10 200`, `chmod 666 ${dir}/tun`, `mount --bind ${dir}/tun /dev/net/tun`,
    )
    if (options.resolvConf !== undefined) {
      writeFileSync(join(dir, 'resolv.conf'), options.resolvConf)
      setup.push(`mount --bind ${dir}/resolv.conf /etc/resolv.conf`)
    }
  }
  setup.push(`touch ${ready}`, 'exec sleep 1000000')
  const holder = spawn('unshare', ['--net', ...(options.outside ? ['--mount', '--propagation', 'private'] : []), 'sh', '-ec', setup.join('\n')], { stdio: 'ignore', detached: true })
  holder.unref()
  const pid = holder.pid!
  for (let waited = 0; !existsSync(ready); waited += 10) {
    if (waited > 10_000 || holder.exitCode !== null) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
      throw new Error('the test\'s network namespace could not be made')
    }
    sleepMs(10)
  }
  const enter = [`--net=/proc/${pid}/ns/net`, ...(options.outside ? [`--mount=/proc/${pid}/ns/mnt`] : [])]
  const exec = (argv: string[], o: SpawnSyncOptions = {}): CliResult => {
    const r = spawnSync('nsenter', [...enter, ...argv], { encoding: 'utf8', timeout: 60_000, ...o, env: cliEnv(o.env) })
    return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') }
  }
  return {
    pid,
    exec,
    miniRun: (args, o) => exec(['mini-run', ...args], o),
    miniRunAsync(args, env, cwd) {
      const child = spawn('nsenter', [...enter, 'mini-run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv(env), ...(cwd !== undefined && { cwd }) })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      const done = new Promise<CliResult>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })))
      return { child, done, output: () => stdout, errors: () => stderr, kill: () => child.kill('SIGKILL') }
    },
    snapshot() {
      const links = exec(['ip', '-o', 'link', 'show']).stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().replace(/@.*/, '')).sort()
      const rules = exec(['iptables-save']).stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).sort()
      return { links, rules }
    },
    close(stateRoots = []) {
      for (const root of stateRoots) {
        try {
          const dns = Number(readFileSync(join(root, 'network', 'aardvark-dns', 'aardvark.pid'), 'utf8'))
          if (readFileSync(`/proc/${dns}/comm`, 'utf8').startsWith('aardvark')) process.kill(dns, 'SIGKILL')
        } catch {
          // not running, as it should not be
        }
      }
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A file's afterEach: every container of its state removed, then the networks none uses (its own `mini-run` with --root/--state). */
export function removeContainersAndNetworks(mr: (args: string[]) => CliResult): void {
  const ids = mr(['ps', '-a', '-q']).stdout.trim().split('\n').filter(Boolean)
  if (ids.length) mr(['rm', '-f', ...ids])
  mr(['network', 'prune', '-f'])
}

export { until } from './until.js'

/** A container's command: busybox httpd serving "hello from <hostname>" on port 80. */
export const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www']
/** A shell command for the page at host:port: the last line of the answer. Debian's busybox wget dies of SIGSEGV on its error path: nc speaks HTTP/1.0 here. */
export const GET = (host: string, port = 80) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port} | tail -n 1`
