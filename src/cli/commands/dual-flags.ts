/**
 * `--X` and `--no-X` on one command line: commander keeps the last of the
 * two under one name, where Docker's flags are two and may conflict
 * (`up --build --no-build`: "--build and --no-build are incompatible").
 */
import type { Command } from 'commander'

/** Whether both `--name` and `--no-name` were given to this command. */
export function bothGiven(cmd: Command, name: string): () => boolean {
  const seen = new Set<string>()
  cmd.on(`option:${name}`, () => seen.add(name))
  cmd.on(`option:no-${name}`, () => seen.add(`no-${name}`))
  return () => seen.size === 2
}
