/** Signal names and numbers as runc's kill takes them: KILL, SIGKILL, 9. */
import { constants } from 'node:os'
import { UsageError } from '../errors.js'

export function parseOciSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text)
    if (n >= 1 && n <= 64) return n
  } else {
    const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`
    const n = (constants.signals as Record<string, number>)[name]
    if (n !== undefined) return n
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name)
    if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0)
  }
  throw new UsageError(`invalid signal ${JSON.stringify(text)}`)
}
