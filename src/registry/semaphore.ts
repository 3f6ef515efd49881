/**
 * A counting semaphore. Not p-limit: a layer gives its download slot back
 * when its last byte is verified, while its task goes on (waiting for the
 * other layers before the store commits it), which a run-this-function
 * limiter cannot express.
 */
export class Semaphore {
  private readonly waiters: Array<() => void> = []

  constructor(private free: number) {}

  /** Resolves with a release function, callable once (later calls do nothing). */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--
    else await new Promise<void>((resolve) => this.waiters.push(resolve))
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiters.shift()
      if (next) next()
      else this.free++
    }
  }
}
