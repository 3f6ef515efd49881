/**
 * Where a command without a "/" is looked for: the container's PATH, or
 * Docker's default when the image sets none.
 */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** The PATH the command is searched in: the container's, or Docker's default. */
export function pathOf(env: readonly string[]): string {
  let path = DEFAULT_PATH
  for (const e of env) if (e.startsWith('PATH=')) path = e.slice(5)
  return path
}
