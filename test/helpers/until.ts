// The one poll of the tests: wait for a condition, or fail naming it.
import { setTimeout as sleep } from 'node:timers/promises'

/** Poll until `test` holds (every `every` ms), or fail after `ms` naming what was awaited. */
export async function until(what: string, test: () => boolean | Promise<boolean>, ms = 20_000, every = 50): Promise<void> {
  const end = Date.now() + ms
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(every)
  }
}
