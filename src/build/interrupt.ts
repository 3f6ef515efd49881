/**
 * Ctrl-C (and SIGTERM, SIGHUP) during a build: the build's signal aborts,
 * so it stops at its next step, a running RUN's container killed and
 * removed, rather than the process dying with the container, its writable
 * layer and its state left behind. Listened to only while the build runs:
 * before and after, the signals do what they did; a second one during it
 * too (a step that does not stop at once, a pull, cannot hold the user).
 */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export interface Interrupt {
  readonly signal: AbortSignal
  /** Stop listening. */
  dispose(): void
}

export function interruptOnSignals(): Interrupt {
  const controller = new AbortController()
  const dispose = () => {
    for (const s of SIGNALS) process.off(s, interrupt)
  }
  // a second one does not wait for the first to be acted on: no longer listened to, it does what it would have
  const interrupt = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) return controller.abort()
    dispose()
    process.kill(process.pid, signal)
  }
  for (const s of SIGNALS) process.on(s, interrupt)
  return { signal: controller.signal, dispose }
}
