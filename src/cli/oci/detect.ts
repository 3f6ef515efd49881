/**
 * Which command line this is: mini-run's own (Docker's verbs, `--root` the
 * image store) or runc's (verbs on bundles, `--root` the state directory).
 * The two share verbs (create, start, run, exec, kill, ps...) and a global
 * flag, so the rule, in order (README "OCI runtime"):
 *
 * 1. the executable's name: `mini-run-oci` or `runc` (a symlink, a
 *    package.json bin, to the script or to native/launcher.c's program)
 *    is always runc's command line;
 * 2. `mini-run oci VERB ...` is, explicitly;
 * 3. a global flag only runc has (--log, --log-format, --systemd-cgroup,
 *    --criu, --rootless) before the verb: containerd's shim always passes
 *    --log and --log-format. Not --debug, which Docker's CLI has too
 *    (`docker --debug run ...`): a line with it goes on to the rules below,
 *    and is runc's also for create or run where a config.json is (runc's
 *    default bundle is the current directory);
 * 4. a verb only runc has: spec, state, delete, features, list, resume,
 *    checkpoint, restore;
 * 5. a flag only runc's form of a shared verb has: create/run --bundle,
 *    --pid-file, --console-socket, --no-pivot, --no-new-keyring,
 *    --preserve-fds; exec --process, --pid-file, --console-socket; among
 *    the verb's own options (before its first argument: runc's container
 *    id, Docker's image or container), not the container's command's;
 * 6. a shared verb whose arguments name a container of the OCI state root
 *    (the --root given, else /run/mini-run-oci): podman runs `start ID`,
 *    `kill ID 15` with no flag at all.
 * Anything else is mini-run's own command line.
 */
import { existsSync } from 'node:fs'
import { defaultOciRoot, isOciContainer } from '../../oci/oci-state.js'
import { invokedAsRunc } from '../run-line-parse.js'

/** runc's global flags that take a value, and the Docker mode's. */
const VALUE_GLOBALS = new Set(['--root', '--log', '--log-format', '--criu', '--rootless', '--state', '--log-level'])
const RUNC_ONLY_GLOBALS = new Set(['--log', '--log-format', '--systemd-cgroup', '--criu', '--rootless'])
const RUNC_ONLY_VERBS = new Set(['spec', 'state', 'delete', 'features', 'list', 'resume', 'checkpoint', 'restore'])
const SHARED_VERBS = new Set(['create', 'run', 'start', 'kill', 'exec', 'ps', 'pause', 'update', 'events'])
const RUNC_ONLY_FLAGS: Record<string, string[]> = {
  create: ['--bundle', '-b', '--pid-file', '--console-socket', '--no-pivot', '--no-new-keyring', '--preserve-fds'],
  run: ['--bundle', '-b', '--pid-file', '--console-socket', '--no-pivot', '--no-new-keyring', '--preserve-fds', '--keep'],
  exec: ['--process', '-p', '--pid-file', '--console-socket', '--preserve-fds', '--process-label', '--apparmor', '--no-new-privs', '--cap', '--additional-gids', '-g'],
}

/** runc's options of create, run and exec that take a value: the word after one is not the container's id. */
const RUNC_VALUE_FLAGS = new Set([
  '--bundle', '-b', '--console-socket', '--pid-file', '--preserve-fds', '--cwd', '--env', '-e', '--user', '-u',
  '--additional-gids', '-g', '--process', '-p', '--process-label', '--apparmor', '--cap', '-c', '--cgroup',
])

/**
 * A verb's own options: its words up to its first argument. What follows
 * is the container's command (`run alpine ls -b`, `exec web ps -p 1`),
 * whose flags are not the verb's.
 */
function verbOptions(rest: readonly string[]): string[] {
  const own: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!
    if (a === '--' || !a.startsWith('-')) break
    own.push(a)
    if (!a.includes('=') && RUNC_VALUE_FLAGS.has(a)) i++
  }
  return own
}

/** Long option names runc (Go's flag package) also takes with one dash: -root, -bundle. */
const LONG_NAMES = new Set([
  'root', 'log', 'log-format', 'debug', 'systemd-cgroup', 'criu', 'rootless', 'bundle', 'pid-file', 'console-socket',
  'no-pivot', 'no-new-keyring', 'preserve-fds', 'detach', 'keep', 'process', 'tty', 'cwd', 'env', 'user', 'cap',
  'no-new-privs', 'additional-gids', 'process-label', 'apparmor', 'force', 'all', 'format', 'stats', 'interval',
  'resources', 'memory', 'memory-swap', 'memory-reservation', 'kernel-memory', 'kernel-memory-tcp', 'cpu-shares',
  'cpu-quota', 'cpu-period', 'cpu-rt-period', 'cpu-rt-runtime', 'cpuset-cpus', 'cpuset-mems', 'pids-limit',
  'blkio-weight', 'l3-cache-schema', 'mem-bw-schema', 'quiet', 'help', 'version',
])

/** `-root` and `-root=x` as `--root`, `--root=x`; anything else as it is. */
export function normalizeDashes(args: readonly string[]): string[] {
  return args.map((a) => {
    const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(a)
    return m && LONG_NAMES.has(m[1]!) ? `-${a}` : a
  })
}

/**
 * The arguments of runc's command line (argv from the verb's globals on,
 * without an `oci` prefix), or undefined when this is mini-run's own.
 * `exists(root, id)` tells whether the OCI root holds a container.
 */
export function ociArgs(
  argv: readonly string[],
  exists: (root: string, id: string) => boolean = isOciContainer,
  argv0: string = process.argv0,
  bundleHere: () => boolean = () => existsSync('config.json'),
): string[] | undefined {
  const args = argv.slice(2)
  if (invokedAsRunc(argv, argv0)) return normalizeDashes(args)
  const norm = normalizeDashes(args)
  let runcGlobal = false
  let debug = false
  let root: string | undefined
  let i = 0
  for (; i < norm.length; i++) {
    const a = norm[i]!
    if (!a.startsWith('-')) break
    const name = a.split('=')[0]!
    if (RUNC_ONLY_GLOBALS.has(name)) runcGlobal = true
    if (name === '--debug') debug = true
    if (VALUE_GLOBALS.has(name) && !a.includes('=')) {
      if (name === '--root') root = norm[i + 1]
      i++
    } else if (name === '--root') {
      root = a.slice('--root='.length)
    }
  }
  const verb = norm[i]
  if (verb === 'oci') return [...norm.slice(0, i), ...norm.slice(i + 1)]
  if (verb === undefined) return runcGlobal ? norm : undefined
  if (runcGlobal || RUNC_ONLY_VERBS.has(verb)) return norm
  if (!SHARED_VERBS.has(verb)) return undefined
  const rest = norm.slice(i + 1)
  const flags = RUNC_ONLY_FLAGS[verb] ?? []
  if (verbOptions(rest).some((a) => flags.includes(a.split('=')[0]!))) return norm
  // runc's --debug with create or run of the bundle runc defaults to, the current directory's
  if (debug && (verb === 'create' || verb === 'run') && bundleHere()) return norm
  const words = rest.filter((a) => !a.startsWith('-'))
  const ociRoot = root ?? defaultOciRoot()
  if (words.slice(0, 3).some((w) => exists(ociRoot, w))) return norm
  return undefined
}
