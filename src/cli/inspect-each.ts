/**
 * `volume inspect` and `network inspect`, as docker/cli's inspect.Inspect:
 * every object found is printed (a JSON array, `[]` when none, or -f's
 * template once per object), each one missing is its own line on stderr,
 * and the exit code is 1 if any was.
 */
import { eachContainer as eachRef } from './each-ref.js'
import { writeStdout } from './write-stdout.js'

export async function inspectEach(refs: string[], get: (ref: string) => Record<string, unknown>, format: string | undefined): Promise<void> {
  const found: Record<string, unknown>[] = []
  await eachRef(refs, async (ref) => {
    found.push(get(ref))
  })
  if (format !== undefined) {
    const { formatEach } = await import('./format/format-list.js')
    writeStdout(formatEach(format, found))
  } else {
    writeStdout(JSON.stringify(found, null, 4) + '\n')
  }
}
