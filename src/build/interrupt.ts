/**
 * Ctrl-C (and SIGTERM, SIGHUP) during a build: the build's signal aborts,
 * so it stops at its next step, a running RUN's container killed and
 * removed, rather than the process dying with the container, its writable
 * layer and its state left behind. Listened to only while the build runs:
 * before and after, the signals do what they did.
 */
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export interface Interrupt {
  readonly signal: AbortSignal
  /** Stop listening. */
  dispose(): void
}

export function interruptOnSignals(): Interrupt {
  const controller = new AbortController()
  const interrupt = () => controller.abort()
  for (const s of SIGNALS) process.on(s, interrupt)
  return {
    signal: controller.signal,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, interrupt)
    },
  }
}
