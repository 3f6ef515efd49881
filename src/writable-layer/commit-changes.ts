/**
 * `commit --change` (-c): Dockerfile instructions applied to the new
 * image's config, parsed and applied by the build's own code
 * (dockerfile.ts, config-steps.ts). Docker takes only the ones that
 * change nothing but the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
 * STOPSIGNAL, USER, VOLUME, WORKDIR (ONBUILD too, which mini-run never
 * runs, so it is refused). Variables expand from the config's Env, as
 * Docker's do.
 */
import { UsageError } from '../errors.js'
import { commandOf, DEFAULT_SHELL, exposedPorts, parseKeyValues, setEnv, workdirOf } from '../build/config-steps.js'
import { parseDockerfile, type Instruction } from '../build/dockerfile.js'
import type { BuildConfig } from '../build/image-state.js'
import { expand, splitRawWords, type Lookup } from '../build/shell-lex.js'
import { parseSignal } from '../runtime/spec/signals.js'

const ESCAPE = '\\'
export const CHANGE_KEYWORDS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']

function parseChange(text: string): Instruction {
  const df = parseDockerfile(`FROM scratch\n${text}`)
  const instructions = df.stages[0]!.instructions
  if (instructions.length !== 1) throw new UsageError('one instruction per --change')
  const i = instructions[0]!
  if (!CHANGE_KEYWORDS.includes(i.keyword)) throw new UsageError(`${i.keyword} is not a valid change command`)
  return i
}

function apply(config: BuildConfig, i: Instruction): void {
  const env = config.Env ?? []
  const lookup: Lookup = (name) => {
    const found = env.find((e) => e.startsWith(`${name}=`))
    return found === undefined ? undefined : found.slice(name.length + 1)
  }
  const word = (text: string) => expand(text, lookup, ESCAPE).word
  const words = (text: string) => splitRawWords(text, ESCAPE).map(word)
  const shell = config.Shell ?? DEFAULT_SHELL
  switch (i.keyword) {
    case 'CMD':
      config.Cmd = commandOf(i, shell)
      break
    case 'ENTRYPOINT':
      config.Entrypoint = commandOf(i, shell)
      break
    case 'ENV':
      for (const [k, v] of parseKeyValues(i, ESCAPE, lookup)) config.Env = setEnv(config.Env ?? [], k, v ?? '')
      break
    case 'LABEL':
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(parseKeyValues(i, ESCAPE, lookup).map(([k, v]) => [k, v ?? ''])) }
      break
    case 'EXPOSE':
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}), ...Object.fromEntries(exposedPorts(i, words(i.args)).map((p) => [p, {}])) }
      break
    case 'STOPSIGNAL': {
      const signal = word(i.args.trim())
      parseSignal(signal)
      config.StopSignal = signal
      break
    }
    case 'USER':
      config.User = word(i.args.trim())
      break
    case 'VOLUME': {
      const paths = i.json ? i.json.map(word) : words(i.args)
      config.Volumes = { ...(config.Volumes ?? {}), ...Object.fromEntries(paths.map((p) => [p, {}])) }
      break
    }
    case 'WORKDIR':
      config.WorkingDir = workdirOf(config.WorkingDir, word(i.args.trim()))
      break
  }
}

/** Apply each --change to the config, in order; an error names the change. */
export function applyChanges(config: BuildConfig, changes: readonly string[]): void {
  for (const text of changes) {
    try {
      apply(config, parseChange(text))
    } catch (err) {
      if (!(err instanceof UsageError)) throw err
      const reason = err.message.replace(/^Dockerfile:\d+: /, '')
      throw new UsageError(`--change ${JSON.stringify(text)}: ${reason}`, { code: 'ECHANGE', cause: err })
    }
  }
}
