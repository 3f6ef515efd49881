/**
 * A container's spec and start input live in `<stateRoot>/<id>/config.json`,
 * apart from state.json. They are 95% of what a container records (15 of
 * 16 kB), are written when it is created (and by a rename: the network plan
 * names it), and only inspect, exec, start, cp and attach need them: `ps` of 50 containers spent
 * more time parsing them than everything else it does (6-7 ms, and the
 * scavenges after). state.json holds what changes (status, pid, network).
 *
 * readState gives a state whose `spec` and `startInput` read config.json when
 * first used, so a caller cannot tell them from the fields state.json holds.
 * writeState writes config.json only when the state's spec or start input is
 * not what config.json already holds (a new container, or one recorded by an
 * older mini-run with its spec in state.json): first, so a crash between the
 * two writes leaves a state.json that still finds its spec.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { Spec } from '../spec/spec.js'
import type { StartInput } from './start-input.js'

type ConfigKey = 'spec' | 'startInput'
const CONFIG_KEYS: readonly ConfigKey[] = ['spec', 'startInput']
interface Config {
  spec?: Spec
  startInput?: StartInput
}
/** What of a container's state these functions touch (state.ts's ContainerState). */
type ContainerState = Config & object

/** Values read from, or written to, a config.json (the file, by value): writeState leaves that file alone. */
const inFile = new WeakMap<object, string>()

function readConfig(file: string): Config {
  let config: Config
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as Config
  } catch (err) {
    // removed with its container since state.json was read (an rm -f meanwhile), or never
    // written: a state without a spec, which start, exec and cp refuse. Not an error here:
    // the copies of a state (spreads) read it, and a stop that races the container's own
    // removal (run -d --rm) must not fail for it
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
  for (const key of CONFIG_KEYS) if (config[key] !== undefined) inFile.set(config[key], file)
  return config
}

/** Where an unread spec and start input come from, and what was read of it: on the state, not enumerable. */
const SOURCE = Symbol('mini-run.config-source')
interface Source {
  file: string
  config?: Config
}
type WithSource = ContainerState & { [SOURCE]?: Source }

function lazyField(key: ConfigKey): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get(this: WithSource) {
      const source = this[SOURCE]
      const value = source ? (source.config ??= readConfig(source.file))[key] : undefined
      Object.defineProperty(this, key, { value, enumerable: true, configurable: true, writable: true })
      return value
    },
    set(this: WithSource, value: unknown) {
      Object.defineProperty(this, key, { value, enumerable: true, configurable: true, writable: true })
    },
  }
}

// one set of descriptors for every state (their getters find the file on
// the state): a third of the time of two closures and two defineProperty
// calls per state (50 states in a fresh process: 0.12-0.2 ms against 0.4-0.6)
const LAZY_FIELDS: PropertyDescriptorMap = { spec: lazyField('spec'), startInput: lazyField('startInput') }

/** Make state's spec and startInput read `file` when first used (the value then stays, as a plain field). */
export function readConfigOnUse(state: ContainerState, file: string): void {
  Object.defineProperty(state, SOURCE, { value: { file }, configurable: true })
  Object.defineProperties(state, LAZY_FIELDS)
}

/**
 * A copy of state with fields set, as `{ ...state, ...fields }` would make,
 * but which leaves an unread spec and start input unread: `ps` derives every
 * container's status this way, and reads neither.
 */
export function stateWith<S extends ContainerState, T extends object>(state: S, fields: T): Omit<S, keyof T> & T {
  // the fields one by one and the two accessors as they are: a third of the
  // time of copying every descriptor, which leaves a slow dictionary object
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(state)) {
    if (key === 'spec' || key === 'startInput') {
      const field = Object.getOwnPropertyDescriptor(state, key)!
      if (field.get) {
        Object.defineProperty(copy, key, field)
        continue
      }
    }
    copy[key] = state[key as keyof S]
  }
  // the accessors' source goes with them: the copy and the state share one read of it
  const source = (state as WithSource)[SOURCE]
  if (source) Object.defineProperty(copy, SOURCE, { value: source, configurable: true })
  return Object.assign(copy, fields) as Omit<S, keyof T> & T
}

/**
 * state without spec and startInput, to write as state.json; first writes
 * configFile when either is not what that file holds.
 */
export function withoutConfig(state: ContainerState, configFile: string): Record<string, unknown> {
  const light: Record<string, unknown> = {}
  let changed = false
  for (const key of Object.keys(state)) {
    const field = Object.getOwnPropertyDescriptor(state, key)!
    if (key === 'spec' || key === 'startInput') {
      // an accessor is config.json's, unread
      if ('value' in field && field.value !== undefined && inFile.get(field.value as object) !== configFile) changed = true
    } else {
      light[key] = field.value
    }
  }
  if (changed) {
    const config: Config = { spec: state.spec, startInput: state.startInput }
    const tmp = `${configFile}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(config) + '\n', { mode: 0o600 })
    renameSync(tmp, configFile)
    for (const key of CONFIG_KEYS) if (config[key] !== undefined) inFile.set(config[key], configFile)
  }
  return light
}
