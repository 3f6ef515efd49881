/**
 * The one pino logger of the process. Library code logs at debug/trace for
 * people who pass --log-level; it never logs what a user must see (that is an
 * error, and the CLI prints it).
 *
 * pino takes tens of milliseconds to load, and most runs log nothing: the
 * logger below checks the level first and loads pino on the first message
 * that will really be written.
 */
import { createRequire } from 'node:module'
import type pino from 'pino'
import { UsageError } from './errors.js'

type LogMethod = (objOrMsg: unknown, msg?: string, ...args: unknown[]) => void

export interface Logger {
  trace: LogMethod
  debug: LogMethod
  info: LogMethod
  warn: LogMethod
  error: LogMethod
  fatal: LogMethod
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

let levelName = process.env.MINI_RUN_LOG_LEVEL ?? 'warn'
let instance: pino.Logger | undefined

function pinoLogger(): pino.Logger {
  if (!instance) {
    const create = createRequire(import.meta.url)('pino') as typeof pino
    instance = create({ name: 'mini-run', level: levelName }, create.destination({ fd: 2, sync: true }))
  }
  return instance
}

function method(name: keyof Logger): LogMethod {
  return (objOrMsg, msg, ...args) => {
    if ((LEVELS[name] ?? 0) < (LEVELS[levelName] ?? LEVELS.warn!)) return
    const rest = msg === undefined ? [] : [msg, ...args]
    ;(pinoLogger()[name] as (...a: unknown[]) => void)(objOrMsg, ...rest)
  }
}

const logger: Logger = {
  trace: method('trace'),
  debug: method('debug'),
  info: method('info'),
  warn: method('warn'),
  error: method('error'),
  fatal: method('fatal'),
}

export function getLogger(): Logger {
  return logger
}

export function setLogLevel(level: string): void {
  if (!(level in LEVELS)) throw new UsageError(`unknown log level "${level}": use trace, debug, info, warn, error or silent`)
  levelName = level
  if (instance) instance.level = level
}

/** The level set (--log-level, MINI_RUN_LOG_LEVEL): for code bundled apart, which has its own copy of this module (scripts/bundle.mjs). */
export function currentLogLevel(): string {
  return levelName
}

/** Whether messages at this level are shown (`--log-level debug`: errors give their details too). */
export function logLevelEnabled(level: string): boolean {
  return (LEVELS[level] ?? 0) >= (LEVELS[levelName] ?? LEVELS.warn!)
}
