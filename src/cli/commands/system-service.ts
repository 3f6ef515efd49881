import type { Command } from 'commander'
import { join } from 'node:path'
import { UsageError } from '../../errors.js'
import { defaultStoreRoot } from '../../paths.js'
import { globalOptions } from '../global-options.js'
import { stateRootOf } from '../state-root.js'

interface ServiceFlags {
  time: string
}

async function service(uri: string | undefined, flags: ServiceFlags, cmd: Command): Promise<void> {
  const seconds = Number(flags.time)
  if (!/^\d+$/.test(flags.time) || !Number.isSafeInteger(seconds)) throw new UsageError(`invalid argument "${flags.time}" for "-t, --time" flag: not a whole number of seconds`)
  const warm = warmChildren()
  const global = globalOptions(cmd)
  const stateRoot = stateRootOf(cmd)
  const [{ socketPath, prepareSocket, removeSocket }, { startService }, { sweepRequestConfigs }, { startWarmPool, stopWarmPool }, { cliArgv }] = await Promise.all([
    import('../../api/service-socket.js'),
    import('../../api/api-server.js'),
    import('../../api/api-registry.js'),
    import('../../api/warm-cli.js'),
    import('../../api/cli-call.js'),
  ])
  const path = socketPath(uri ?? `unix://${join(stateRoot, 'docker.sock')}`)
  await prepareSocket(path)
  const svc = { global, stateRoot, storeRoot: global.root ?? defaultStoreRoot(), pendingAttach: new Map(), execs: new Map(), children: new Set<never>() }
  // the clients' credentials a killed service left on disk
  sweepRequestConfigs(svc)
  // only its owner may connect: the socket runs containers as the service's user
  const umask = process.umask(0o177)
  let running
  try {
    running = await startService(svc, path, seconds * 1000)
  } finally {
    process.umask(umask)
  }
  // the verbs' children, started ahead of the requests (warm-cli.ts)
  startWarmPool(cliArgv(global, []), warm)
  process.stderr.write(`mini-run: serving the Docker Engine API on unix://${path} (DOCKER_HOST=unix://${path}); ${seconds > 0 ? `ends after ${seconds} s without a connection` : 'Ctrl-C ends it'}\n`)
  // a second signal while it closes is the same request, not the default action's death (which would
  // leave a pull's or push's credentials behind: api-registry.ts)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    stopWarmPool()
    running.close()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  // the handlers stay until the process ends: its pulls and pushes, told to end, remove their credentials as they go
  await running.closed
  stopWarmPool()
  removeSocket(path)
}

/**
 * MINI_RUN_SERVICE_WARM: how many children wait, started ahead, for the
 * service's next verbs (warm-cli.ts; 2 unless set, 0 none). Each holds
 * ~8 MB of its own beside the pages all Nodes share.
 */
function warmChildren(): number | undefined {
  const v = process.env.MINI_RUN_SERVICE_WARM
  if (v === undefined || v === '') return undefined
  if (!/^\d{1,2}$/.test(v)) throw new UsageError(`MINI_RUN_SERVICE_WARM=${v}: not a number of children (0-99)`)
  return Number(v)
}

/** `system service`, podman's: the Docker Engine API on a unix socket, in the foreground. */
export function register(system: Command): void {
  system
    .command('service')
    .description("serve Docker's Engine API (1.41) on a unix socket, for docker with DOCKER_HOST, the Docker SDKs and docker-compose 1.x (default unix://STATE/docker.sock)")
    .argument('[uri]', 'unix:///path/to/socket')
    .option('-t, --time <seconds>', 'end after this many seconds without a connection; 0 never (podman\'s default, 5)', '5')
    .action((uri: string | undefined, flags: ServiceFlags, cmd: Command) => service(uri, flags, cmd))
}
