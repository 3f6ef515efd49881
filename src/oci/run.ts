/**
 * `run`: create, start and wait, as runc run. In the foreground this
 * process is the container's parent: no start gate, its terminal relayed
 * when the config asks for one and no --console-socket is given, its exit
 * status returned, then the container deleted (unless --keep). --detach is
 * create then start.
 */
import { realHost } from '../runtime/container/real-host.js'
import type { Host } from '../runtime/process/host.js'
import { runHooks } from '../runtime/process/run-hooks.js'
import { superviseProcess } from '../runtime/process/supervise.js'
import { createContainer, launchOci, prepareOci, writePidFile } from './create.js'
import { deleteContainer } from './delete.js'
import { runtimeState } from './oci-state.js'
import { startContainer } from './start.js'

export interface RunOptions {
  root: string
  id: string
  bundle: string
  consoleSocket?: string
  pidFile?: string
  detach: boolean
  keep: boolean
  stdio?: [number, number, number]
  host?: Host
}

/** The container's exit status (undefined with --detach), and what to warn about. */
export async function runOci(o: RunOptions): Promise<{ exitCode?: number; warnings: string[] }> {
  if (o.detach) {
    const created = await createContainer(o)
    const started = await startContainer(o.root, o.id)
    return { warnings: [...created.warnings, ...started.warnings] }
  }
  const host = o.host ?? realHost
  const p = prepareOci({ root: o.root, id: o.id, bundle: o.bundle, ...(o.consoleSocket ? { consoleSocket: o.consoleSocket } : {}), gated: false })
  const warnings = [...p.warnings]
  const launched = await launchOci(o.root, p, host, o.stdio ?? [0, 1, 2])
  if (o.pidFile) writePidFile(o.pidFile, launched.pid)
  let exitCode: number
  try {
    exitCode = await superviseProcess(launched, host, {
      forwardSignals: true,
      onRunning: () => {
        const hooks = p.record.spec.hooks?.poststart
        if (hooks?.length) void runHooks('poststart', hooks, runtimeState(o.root, p.record)).catch((err: Error) => warnings.push(err.message))
      },
    })
  } finally {
    launched.resources.closeFds()
    if (!o.keep) warnings.push(...(await deleteContainer(o.root, o.id, true)).warnings)
  }
  return { exitCode, warnings }
}
