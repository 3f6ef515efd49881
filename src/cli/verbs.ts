/**
 * mini-run's verbs, in the order `mini-run --help` lists them. A list of its
 * own, so that the launcher can tell `mini-run IMAGE` (a shorthand for
 * `run --rm`) from a verb without loading the verbs; commands/index.ts
 * registers exactly these.
 */
export const VERB_NAMES = [
  'run',
  'create',
  'start',
  'restart',
  'attach',
  'ps',
  'logs',
  'exec',
  'stop',
  'kill',
  'wait',
  'rm',
  'inspect',
  'cp',
  'diff',
  'export',
  'commit',
  'top',
  'stats',
  'rename',
  'pause',
  'unpause',
  'update',
  'container',
  'volume',
  'port',
  'healthcheck',
  'compose',
  'network',
  'pull',
  'images',
  'rmi',
  'load',
  'import',
  'image',
  'build',
  'buildx',
  'builder',
  'lint',
  'push',
  'tag',
  'save',
  'history',
  'manifest',
  'login',
  'logout',
  'system',
  'version',
  'info',
  'events',
  'internal',
] as const

export type VerbName = (typeof VERB_NAMES)[number]

const verbs: ReadonlySet<string> = new Set(VERB_NAMES)

/** Whether a word is one of mini-run's verbs (or help). */
export function isVerb(word: string): boolean {
  return word === 'help' || verbs.has(word)
}

/**
 * Docker's own verbs that mini-run does not have. `mini-run IMAGE` runs an
 * image, so without this `mini-run commit c1` would look for an image
 * named commit, and pull it: these are refused in one line instead (an
 * image of such a name still runs with `mini-run run NAME`).
 */
const DOCKER_ONLY_VERBS: ReadonlySet<string> = new Set([
  'checkpoint', 'config', 'context',
  'node', 'plugin', 'search', 'secret', 'service', 'stack', 'swarm', 'trust',
])

export function isDockerOnlyVerb(word: string): boolean {
  return DOCKER_ONLY_VERBS.has(word)
}
