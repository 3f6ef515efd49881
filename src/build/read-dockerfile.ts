/**
 * The Dockerfile's text, or one line in BuildKit's words that names the
 * file: "failed to read dockerfile: open /ctx/Dockerfile: no such file or
 * directory". BuildKit names it relative to the context; mini-run names the
 * path it tried, which also tells a -f file from the context's own.
 */
import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'
import { errnoNumber, strerror } from '../native/lib.js'

export function readDockerfile(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const text = code ? strerror(errnoNumber(code)) : undefined
    // Go's words: lowercase; a directory opens, and its read fails (os.ReadFile)
    const why = text && text !== code ? text.toLowerCase() : (err as Error).message
    throw new UsageError(`failed to read dockerfile: ${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${why}`, { cause: err })
  }
}
