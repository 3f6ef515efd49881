/**
 * Signal names as Docker takes them (stop, kill, --stop-signal, an image's
 * StopSignal): "SIGTERM", "TERM" or "15".
 */
import { constants } from 'node:os'
import { UsageError } from '../errors.js'

/** SIGTERM, TERM, 15 -> the signal name Node's process.kill takes. */
export function parseSignal(text: string): NodeJS.Signals {
  const upper = text.toUpperCase()
  const name = /^\d+$/.test(upper)
    ? Object.entries(constants.signals).find(([, n]) => n === Number(upper))?.[0]
    : upper.startsWith('SIG') ? upper : `SIG${upper}`
  if (!name || !(name in constants.signals)) throw new UsageError(`invalid signal: ${text}`)
  return name as NodeJS.Signals
}
