/**
 * Signal names as Docker takes them (stop, kill, --stop-signal, an image's
 * StopSignal): "SIGTERM", "TERM", "15", and the real-time signals as
 * "SIGRTMIN+3", "RTMAX-1" or their numbers (moby/sys/signal).
 */
import { constants } from 'node:os'
import { UsageError } from '../../errors.js'

/**
 * The real-time range as glibc and Docker count it: the kernel's starts at
 * 32, but glibc keeps 32 and 33 for its threads (signal(7)), so
 * SIGRTMIN+3 is 37 for a program and for `docker stop` alike.
 */
const SIGRTMIN = 34
const SIGRTMAX = 64

/**
 * SIGTERM, TERM, 15 -> the name Node's process.kill takes; a real-time
 * signal (which Node has no name for) -> its number.
 */
export function parseSignal(text: string): NodeJS.Signals | number {
  const upper = text.toUpperCase()
  if (/^\d+$/.test(upper)) {
    const n = Number(upper)
    const name = Object.entries(constants.signals).find(([, v]) => v === n)?.[0]
    if (name) return name as NodeJS.Signals
    if (n >= 1 && n <= SIGRTMAX) return n
  } else {
    const bare = upper.startsWith('SIG') ? upper.slice(3) : upper
    const rt = bare.match(/^RT(MIN|MAX)(?:([+-])(\d+))?$/)
    if (rt) {
      const offset = Number(rt[3] ?? 0)
      // RTMIN counts up, RTMAX down: "RTMIN-1" and "RTMAX+1" are outside the range
      const n = rt[1] === 'MIN' ? (rt[2] === '-' ? -1 : SIGRTMIN + offset) : rt[2] === '+' ? -1 : SIGRTMAX - offset
      if (n >= SIGRTMIN && n <= SIGRTMAX) return n
    } else if (`SIG${bare}` in constants.signals) {
      return `SIG${bare}` as NodeJS.Signals
    }
  }
  throw new UsageError(`invalid signal: ${text}`)
}

/**
 * An image's StopSignal, checked when the container is created: a bad one
 * would otherwise make every `stop` fail and leave the container running.
 * Docker sends SIGTERM then, silently (Container.StopSignal in moby's
 * daemon/container); mini-run records SIGTERM and says so once.
 */
export function imageStopSignal(text: string): { signal: string; warning?: string } {
  try {
    parseSignal(text)
    return { signal: text }
  } catch {
    return { signal: 'SIGTERM', warning: `image StopSignal ${JSON.stringify(text)} is not a signal: stop will send SIGTERM` }
  }
}
