/**
 * One stage of a build: its instructions in order, each through the cache,
 * each turning the stage's state into the next. ARG and ENV values are kept
 * here, since they decide how later instructions expand.
 */
import { UsageError } from '../errors.js'
import { parseSignal } from '../runtime/spec/signals.js'
import type { BuildRun, StageResult } from './builder.js'
import { PROXY_ARGS, stepKey } from './cache-key.js'
import {
  commandOf,
  DEFAULT_SHELL,
  exposedPorts,
  healthcheckOf,
  parseKeyValues,
  rawKeyValues,
  setEnv,
  shellOf,
  workdirOf,
} from './config-steps.js'
import { flagValue, instructionText, type Instruction, type Stage } from './dockerfile.js'
import { nextState, type BuildConfig, type BuildState } from './image-state.js'
import { copyStep, workdirStep } from './copy-step.js'
import { runCommandStep } from './run-command-step.js'
import { atInstruction, type StepPlan } from './step-layer.js'
import { expand, type Lookup } from './shell-lex.js'

export class StageRun {
  state: BuildState
  key: string
  /** ARGs declared in this stage, with their values (undefined: declared, unset). */
  readonly args = new Map<string, string | undefined>()
  /** Docker: ENTRYPOINT clears an inherited CMD, unless this stage set CMD. */
  #cmdSet = false

  constructor(
    readonly run: BuildRun,
    readonly stage: Stage,
    start: StageResult,
  ) {
    this.state = start.state
    this.key = start.key
    for (const [k, v] of start.args ?? []) this.args.set(k, v)
  }

  get escape(): string {
    return this.run.df.escape
  }

  get config(): BuildConfig {
    return this.state.config.config
  }

  /** ENV wins over ARG of the same name, as in Docker. */
  lookup: Lookup = (name) => {
    for (const e of this.config.Env ?? []) {
      const eq = e.indexOf('=')
      if ((eq < 0 ? e : e.slice(0, eq)) === name) return eq < 0 ? '' : e.slice(eq + 1)
    }
    const arg = this.args.get(name)
    if (arg !== undefined) return arg
    return PROXY_ARGS.has(name) ? this.run.buildArgs.get(name) : undefined
  }

  expandWord(text: string): string {
    return expand(text, this.lookup, this.escape).word
  }

  expandWords(text: string): string[] {
    return expand(text, this.lookup, this.escape).words
  }

  /** Build arguments with values as a RUN's environment: [for the key and history, all of them]. */
  argEnv(): { keyed: string[]; all: string[] } {
    const env = new Set((this.config.Env ?? []).map((e) => e.split('=')[0]))
    const keyed = [...this.args].filter(([k, v]) => v !== undefined && !env.has(k)).map(([k, v]) => `${k}=${v}`).sort()
    const proxies = [...this.run.buildArgs].filter(([k]) => PROXY_ARGS.has(k) && !this.args.has(k) && !env.has(k)).map(([k, v]) => `${k}=${v}`)
    return { keyed, all: [...keyed, ...proxies] }
  }

  /** Run one instruction; `cached` when its result came from the cache. */
  async step(i: Instruction): Promise<{ cached: boolean }> {
    try {
      return await this.dispatch(i)
    } catch (err) {
      throw atInstruction(i, err)
    }
  }

  private async dispatch(i: Instruction): Promise<{ cached: boolean }> {
    switch (i.keyword) {
      case 'ARG':
        this.declareArgs(i)
        return { cached: false }
      case 'RUN':
        return this.through(await runCommandStep(this, i))
      case 'COPY':
      case 'ADD':
        return this.through(await copyStep(this, i))
      case 'WORKDIR':
        return this.through(workdirStep(this, i))
      default:
        return this.through(this.configStep(i))
    }
  }

  async through(plan: StepPlan): Promise<{ cached: boolean }> {
    try {
      const key = stepKey(this.key, plan.parts)
      const { state, cached } = await this.run.cached(key, plan.run)
      this.state = state
      this.key = key
      return { cached }
    } finally {
      await plan.cleanup?.()
    }
  }

  /** ARG: each value expanded after the one before it is set (BuildKit's dispatchArg). */
  declareArgs(i: Instruction): void {
    for (const [name, raw] of rawKeyValues(i, this.escape, this.lookup, { bareNames: true })) {
      const given = this.run.buildArgs.get(name)
      if (given !== undefined) this.run.usedArgs.add(name)
      // ARG NAME in a stage takes the global ARG's value, if there is one
      const fallback = raw === undefined ? undefined : this.expandWord(raw)
      const value = given ?? fallback ?? this.run.globalArgs.get(name)
      this.args.set(name, value)
    }
  }

  /** The instructions that change only the config. */
  configStep(i: Instruction): StepPlan {
    let change: (c: BuildConfig) => void
    let createdBy = instructionText(i)
    let author: string | undefined
    const shell = this.config.Shell ?? DEFAULT_SHELL
    switch (i.keyword) {
      case 'ENV': {
        const pairs = parseKeyValues(i, this.escape, this.lookup) as [string, string][]
        createdBy = `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`
        change = (c) => {
          let env = c.Env ?? []
          for (const [k, v] of pairs) env = setEnv(env, k, v)
          c.Env = env
        }
        break
      }
      case 'LABEL': {
        const pairs = parseKeyValues(i, this.escape, this.lookup) as [string, string][]
        createdBy = `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`
        change = (c) => {
          c.Labels = { ...(c.Labels ?? {}) }
          for (const [k, v] of pairs) c.Labels[k] = v
        }
        break
      }
      case 'EXPOSE': {
        const ports = exposedPorts(i, this.expandWords(i.args))
        createdBy = `EXPOSE map[${ports.map((p) => `${p}:{}`).join(' ')}]`
        change = (c) => {
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}) }
          for (const p of ports) c.ExposedPorts[p] = {}
        }
        break
      }
      case 'VOLUME': {
        const paths = i.json ? i.json.map((p) => this.expandWord(p)) : this.expandWords(i.args)
        if (paths.some((p) => p === '')) throw new UsageError(`Dockerfile:${i.line}: VOLUME specified can not be an empty string`, { code: 'EDOCKERFILE' })
        createdBy = `VOLUME [${paths.join(' ')}]`
        change = (c) => {
          c.Volumes = { ...(c.Volumes ?? {}) }
          for (const p of paths) c.Volumes[p] = {}
        }
        break
      }
      case 'USER': {
        const user = this.expandWord(i.args.trim())
        createdBy = `USER ${user}`
        change = (c) => {
          c.User = user
        }
        break
      }
      case 'CMD': {
        const cmd = commandOf(i, shell)
        this.#cmdSet = true
        createdBy = `CMD ${JSON.stringify(cmd)}`
        change = (c) => {
          c.Cmd = cmd
        }
        break
      }
      case 'ENTRYPOINT': {
        const entrypoint = commandOf(i, shell)
        const clearCmd = !this.#cmdSet
        createdBy = `ENTRYPOINT ${JSON.stringify(entrypoint)}`
        change = (c) => {
          c.Entrypoint = entrypoint
          if (clearCmd) c.Cmd = null
        }
        break
      }
      case 'SHELL': {
        const newShell = shellOf(i)
        createdBy = `SHELL ${JSON.stringify(newShell)}`
        change = (c) => {
          c.Shell = newShell
        }
        break
      }
      case 'STOPSIGNAL': {
        const signal = this.expandWord(i.args.trim())
        parseSignal(signal)
        createdBy = `STOPSIGNAL ${signal}`
        change = (c) => {
          c.StopSignal = signal
        }
        break
      }
      case 'HEALTHCHECK': {
        const health = healthcheckOf(i)
        createdBy = `HEALTHCHECK ${JSON.stringify(health)}`
        change = (c) => {
          c.Healthcheck = health
        }
        break
      }
      case 'ONBUILD': {
        const trigger = i.args.trim()
        change = (c) => {
          c.OnBuild = [...(c.OnBuild ?? []), trigger]
        }
        break
      }
      case 'MAINTAINER': {
        author = this.expandWord(i.args.trim())
        change = () => {}
        break
      }
      default:
        throw new UsageError(`Dockerfile:${i.line}: ${i.keyword} is not supported`, { code: 'EDOCKERFILE' })
    }
    const parts = [createdBy, author ?? null, i.keyword === 'ENTRYPOINT' ? !this.#cmdSet : null]
    return {
      parts,
      run: async () => {
        const state = nextState(this.state, { createdBy, created: this.run.now().toISOString(), change })
        if (author !== undefined) state.config.author = author
        return state
      },
    }
  }

  /** The stage's current WORKDIR (for relative paths). */
  get workdir(): string {
    return this.config.WorkingDir || '/'
  }

  workdirFor(path: string): string {
    return workdirOf(this.config.WorkingDir, path)
  }

  flag(i: Instruction, name: string): string | undefined {
    const v = flagValue(i, name)
    return v === undefined ? undefined : this.expandWord(v)
  }
}
