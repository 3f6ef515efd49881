/**
 * Detach keys (`--detach-keys`, default Ctrl-P Ctrl-Q), as Docker reads
 * and watches them (moby's term.ToBytes and its escape proxy): a comma-
 * separated list of keys, each one character or `ctrl-X` (X one of a-z,
 * @, [, \, ], ^, _). Input that begins the sequence is held back; the
 * whole sequence detaches; a key that breaks it lets what was held through.
 */
import { UsageError } from '../errors.js'

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q'

export function parseDetachKeys(text: string): Buffer {
  const bytes: number[] = []
  for (const key of text.split(',')) {
    const k = key.trim().toLowerCase()
    if (k.startsWith('ctrl-') && k.length === 6) {
      const c = k[5]!
      if (c >= 'a' && c <= 'z') bytes.push(c.charCodeAt(0) - 'a'.charCodeAt(0) + 1)
      else if (c === '@') bytes.push(0)
      else if ('[\\]^_'.includes(c)) bytes.push(27 + '[\\]^_'.indexOf(c))
      else throw new UsageError(`invalid detach keys (${text}): unknown character: '${c}'`)
    } else if ([...key].length === 1) {
      bytes.push(key.charCodeAt(0))
    } else {
      throw new UsageError(`invalid detach keys (${text}): unknown character: '${key}'`)
    }
  }
  if (bytes.length === 0 || text === '') throw new UsageError('invalid detach keys: empty sequence')
  return Buffer.from(bytes)
}

/** Watches input for the sequence; passes everything else on. */
export class DetachWatcher {
  private held = 0

  constructor(private readonly keys: Buffer) {}

  /** The bytes to send on, and whether the sequence was completed (then nothing after it is sent). */
  filter(chunk: Buffer): { pass: Buffer; detach: boolean } {
    const out: number[] = []
    for (const b of chunk) {
      if (b === this.keys[this.held]) {
        this.held++
        if (this.held === this.keys.length) return { pass: Buffer.from(out), detach: true }
        continue
      }
      // the sequence broke: what was held goes through, and this byte may start it again
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!)
      this.held = 0
      if (b === this.keys[0]) {
        this.held = 1
        if (this.keys.length === 1) return { pass: Buffer.from(out), detach: true }
      } else out.push(b)
    }
    return { pass: Buffer.from(out), detach: false }
  }
}

/** An exec terminal's input filter (Docker's CLI escape proxy): the sequence given, or ctrl-p,ctrl-q. */
export function detachFilter(keys?: string): (chunk: Buffer) => { pass: Buffer; detach: boolean } {
  const watcher = new DetachWatcher(parseDetachKeys(keys ?? DEFAULT_DETACH_KEYS))
  return (chunk) => watcher.filter(chunk)
}

/** What Docker's CLI does with the escape it read (attach, exec): says so, exit 1. */
export function reportDetached(): number {
  process.stderr.write('read escape sequence\n')
  return 1
}
