/**
 * Docker's way with a verb given several containers (or volumes): act on
 * each in turn, report each failure on its own line, go on, and exit 1 if
 * any failed.
 */
import { writeStdout } from './write-stdout.js'

export async function eachContainer(refs: string[], act: (ref: string) => Promise<void>, o: { missingIsFine?: boolean } = {}): Promise<void> {
  const { errorLine } = await import('./error-line.js')
  for (const ref of refs) {
    try {
      await act(ref)
    } catch (err) {
      process.stderr.write(errorLine(err))
      // `rm -f` of one that is not there: said, but no failure (docker/cli rm.go), as scripts clean up with it
      if (!(o.missingIsFine && (err as { code?: string }).code === 'ENOCONTAINER')) process.exitCode = 1
    }
  }
}

/** Docker's bound on the containers a verb works on at once (parallelOperation's defaultParallel). */
const AT_ONCE = 50

/**
 * Docker's stop, kill, rm, pause and unpause (docker/cli
 * cli/command/container/utils.go, parallelOperation): all the containers at
 * once, so `stop -t 5 a b c` takes 5 seconds, not 15. Each name is printed
 * in the order given, once it and those before it are done; the failures
 * come after them all, one line each, and the exit status is 1 (stop.go
 * joins them into the error it returns). One container given twice (a name
 * twice, or its name and its id) is acted on twice, one after the other:
 * a process's own container lock does not keep two of its promises apart
 * (file-lock.ts counts a process's holds). `idOf`: the container a ref
 * names, to know them (a ref it cannot resolve is its own key).
 */
export async function eachContainerAtOnce(
  refs: string[],
  act: (ref: string) => Promise<void>,
  o: { missingIsFine?: boolean; idOf: (ref: string) => string },
): Promise<void> {
  const { errorLine } = await import('./error-line.js')
  const slot = slots(AT_ONCE)
  const previous = new Map<string, Promise<unknown>>()
  const keyOf = (ref: string) => {
    try {
      return o.idOf(ref)
    } catch {
      return `ref:${ref}`
    }
  }
  const outcomes = refs.map((ref) => {
    const key = keyOf(ref)
    const done = (previous.get(key) ?? Promise.resolve()).then(() => slot(() => act(ref))).then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, err }),
    )
    previous.set(key, done)
    return done
  })
  const failures: unknown[] = []
  for (const [i, outcome] of outcomes.entries()) {
    const result = await outcome
    if (result.ok) writeStdout(`${refs[i]}\n`)
    // `rm -f` of one that is not there: said at its turn, no failure (docker/cli rm.go)
    else if (o.missingIsFine && (result.err as { code?: string }).code === 'ENOCONTAINER') process.stderr.write(errorLine(result.err))
    else failures.push(result.err)
  }
  for (const err of failures) process.stderr.write(errorLine(err))
  if (failures.length > 0) process.exitCode = 1
}

/** Runs functions given to it, `n` at the most at a time, the others waiting their turn. */
function slots(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: (() => void)[] = []
  return async (fn) => {
    while (active >= n) await new Promise<void>((resolve) => waiting.push(resolve))
    active++
    try {
      return await fn()
    } finally {
      active--
      waiting.shift()?.()
    }
  }
}
