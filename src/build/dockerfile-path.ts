/**
 * The Dockerfile of a build that names none (no -f): the context's
 * `Dockerfile`, or its `dockerfile` when only that one is there. Docker's
 * CLI does so "just to be nice" (cli/command/image/build/context.go
 * getDockerfileRelPath; moby#10858), and BuildKit's frontend the same.
 * A -f file is taken as given: no fallback.
 */
import { lstatSync } from 'node:fs'
import { join } from 'node:path'

export const DEFAULT_DOCKERFILE = 'Dockerfile'

export function contextDockerfile(contextDir: string): string {
  const named = join(contextDir, DEFAULT_DOCKERFILE)
  const lowercase = join(contextDir, DEFAULT_DOCKERFILE.toLowerCase())
  // lstat, as Docker's: a dangling symlink named Dockerfile is still the one
  return !present(named) && present(lowercase) ? lowercase : named
}

function present(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}
