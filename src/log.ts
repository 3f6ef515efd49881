/**
 * The one pino logger of the process. Library code logs at debug/trace for
 * people who pass --log-level; it never logs what a user must see (that is an
 * error, and the CLI prints it).
 */
import pino from 'pino'

export type Logger = pino.Logger

let logger: Logger | undefined

export function getLogger(): Logger {
  logger ??= pino(
    { name: 'mini-run', level: process.env.MINI_RUN_LOG_LEVEL ?? 'warn' },
    pino.destination({ fd: 2, sync: true }),
  )
  return logger
}

export function setLogLevel(level: string): void {
  getLogger().level = level
}
